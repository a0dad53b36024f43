/** animeseg fg2mask: a thin layer over fg2mask() (src/data/fg2mask.ts). */
import { AnimesegError } from '../../errors.js';
import { intOption, parseCommandArgs, progressOption, requireExistingPaths } from '../args.js';

export const usage = `Usage: animeseg fg2mask --fg DIR --out DIR [options]

Writes one binary mask PNG (0 = background, 255 = character) per RGBA foreground, from its alpha, at the
same relative path with a .png extension. Files without a usable alpha are reported and skipped (exit 1).
Existing masks are kept, so an interrupted run resumes.

Options:
  --fg DIR          RGBA cut-outs
  --out DIR         mask folder
  --threshold N     alpha at or above N (0-255) is foreground (default 128)
  --overwrite       rewrite masks that exist
  --progress MODE   auto | bar | plain | silent`;

const options = {
  fg: { type: 'string' },
  out: { type: 'string', short: 'o' },
  threshold: { type: 'string' },
  overwrite: { type: 'boolean' },
  progress: { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('fg2mask', argv, options, false);
  if (!v.fg || !v.out) throw new AnimesegError('BAD_OPTION', '--fg and --out are required', { hint: "run 'animeseg fg2mask --help'" });
  const p = progressOption(v.progress);
  await requireExistingPaths([v.fg]);
  const { fg2mask } = await import('../../data/fg2mask.js');
  const s = await fg2mask({
    fg: v.fg,
    out: v.out,
    threshold: intOption('threshold', v.threshold, 128, 1, 255),
    overwrite: v.overwrite,
    progress: p,
  });
  console.log(`fg2mask: ${s.written} masks written, ${s.existing} already there, ${s.failed.length} skipped`);
  return s.failed.length > 0 ? 1 : 0;
}
