/**
 * --classes names and ids against a model's class names (ids pass through; names match case-insensitively),
 * for `segment` and the queue workers, which resolve them only once the model is loaded.
 */
import { AnimesegError } from '../errors.js';

export function classIds(list: (number | string)[], names: readonly string[]): number[] {
  return list.map((c) => {
    if (typeof c === 'number') {
      if (c >= names.length) throw new AnimesegError('BAD_OPTION', `--classes: this model has no class ${c} (ids 0..${names.length - 1})`, { hint: `classes: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}` });
      return c;
    }
    const i = names.findIndex((n) => n.toLowerCase() === c.toLowerCase());
    if (i < 0) throw new AnimesegError('BAD_OPTION', `--classes: this model has no class '${c}'`, { hint: `classes: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}` });
    return i;
  });
}
