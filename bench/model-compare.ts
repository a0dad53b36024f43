/**
 * Two character models side by side on the real illustrations (../shared/data/illustrations: 40 images,
 * the characters each depicts listed in info/NAME.json; never trained on): the count per confidence
 * threshold (exact images, characters found, extra characters, after `segment`'s default instance filter)
 * and seconds per image (one inference pass: decode + model + masks), runs alternated, median of --runs.
 *
 *   npx tsx bench/model-compare.ts --a ../shared/models/animeseg-char-n416.onnx --b models/animeseg-char-n416-v2.onnx [--runs 3]
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { countIllustrations, type IllustrationCount } from '../src/train/recipe/illustrations.js';
import { CONF_SWEEP } from '../src/train/recipe/recipe.js';

const SHARED = new URL('../../shared/', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    a: { type: 'string', default: join(SHARED, 'models/animeseg-char-n416.onnx') },
    b: { type: 'string' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
  },
});
if (!args.b) throw new Error('--b MODEL.onnx is required');
const dir = join(SHARED, 'data/illustrations');
const runs = Math.max(1, Number(args.runs));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const results: Record<'a' | 'b', IllustrationCount[]> = { a: [], b: [] };
for (let r = 0; r < runs; r++) {
  for (const k of ['a', 'b'] as const) results[k].push(await countIllustrations(args[k]!, dir, CONF_SWEEP, Number(args.threads)));
}
const first = results.a[0];
console.log(`illustrations: ${first.images} images, ${first.listed} characters listed; conf sweep, count after the default --max-covered filter`);
console.log('conf   ' + ['a', 'b'].map((k) => `${k}: exact  found  extra`.padEnd(28)).join(''));
for (let i = 0; i < CONF_SWEEP.length; i++) {
  const cell = (c: IllustrationCount) => `${c.rows[i].exact}/${c.images}`.padEnd(7) + `${c.rows[i].found}/${c.listed}`.padEnd(7) + String(c.rows[i].extra).padEnd(11);
  console.log(String(CONF_SWEEP[i]).padEnd(7) + '   ' + cell(results.a[0]) + '   ' + cell(results.b[0]));
}
const sa = median(results.a.map((c) => c.secondsPerImage));
const sb = median(results.b.map((c) => c.secondsPerImage));
console.log(`seconds/image (median of ${runs} alternated runs): a ${sa.toFixed(3)}, b ${sb.toFixed(3)}, b/a ${(sb / sa).toFixed(2)}`);
console.log(`a = ${args.a}\nb = ${args.b}`);
