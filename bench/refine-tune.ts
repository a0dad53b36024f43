/**
 * Parameter sweep for the `regions` refiner on KS composites (sprites with exact mattes pasted on
 * backgrounds): mean foreground IoU of the union mask against the truth (alpha > 127) for every combination,
 * plus the segment count and over-segmentation time. Lists are comma-separated environment variables:
 *   KS (Felzenszwalb k), SIDES (maxSide), SIGMAS, MINS (minSize), W (colour weight), CORE, RING (fractions of
 *   the longest side), SC (colour scale), TH (vote threshold), YE/YD/FE/FD (YOLO and final erode/dilate).
 * Usage: KS=100,200,300 W=0,0.5,1 npx tsx bench/refine-tune.ts [count=20] [offset=100]
 * The offset keeps the tuning set apart from the composites of test/refine/quality.test.ts (offset 0).
 */
import { buildComposites } from '../test/refine/support/composites.js';
import { loadYolo } from '../test/refine/support/yolo.js';
import { overSegment } from '../src/refine/regions/proposer.js';
import { colourBias, DEFAULT_COLOUR_PRIOR } from '../src/refine/regions/colour-prior.js';
import { DEFAULT_REGIONS_OPTIONS } from '../src/refine/regions/proposer.js';
import { REGIONS_VOTE_DEFAULTS } from '../src/refine/regions/refiner.js';
import { voteFusionPerInstance } from '../src/refine/vote.js';
import { maskIoU, unionMasks } from '../src/mask/ops.js';
import type { Mask } from '../src/mask/types.js';
import { DEFAULT_VOTE_OPTIONS } from '../src/refine/types.js';

const count = Number(process.argv[2] ?? 20);
const offset = Number(process.argv[3] ?? 100);
const list = (k: string, d: number | undefined) => (process.env[k] ?? String(d)).split(',').map(Number);
const comps = await buildComposites(count, offset);
const yolo = await loadYolo();
const unions: Mask[] = [];
for (const c of comps) unions.push(unionMasks((await yolo.detect(c.image)).map((d) => d.mask), c.image.width, c.image.height));
await yolo.dispose();
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const base = comps.map((c, i) => maskIoU(unions[i], c.truth));
console.log(`none: mean IoU ${mean(base).toFixed(4)}`);

const R = DEFAULT_REGIONS_OPTIONS;
const C = DEFAULT_COLOUR_PRIOR;
const V = { ...DEFAULT_VOTE_OPTIONS, ...REGIONS_VOTE_DEFAULTS };
for (const maxSide of list('SIDES', R.maxSide))
  for (const k of list('KS', R.k))
    for (const sigma of list('SIGMAS', R.sigma))
      for (const minSize of list('MINS', R.minSize)) {
        const seg = { maxSide, k, sigma, minSize };
        const times: number[] = [];
        const lms = comps.map((c) => {
          const t0 = performance.now();
          const lm = overSegment(c.image, seg);
          times.push(performance.now() - t0);
          return lm;
        });
        times.sort((a, b) => a - b);
        const segs = mean(lms.map((l) => l.count)).toFixed(0);
        for (const weight of list('W', C.weight))
          for (const coreErode of list('CORE', C.coreErode))
            for (const ringWidth of list('RING', C.ringWidth))
              for (const scale of list('SC', C.scale)) {
                const biases = comps.map((c, i) => colourBias(c.image, lms[i], unions[i], { weight, coreErode, ringWidth, scale }));
                for (const threshold of list('TH', REGIONS_VOTE_DEFAULTS.threshold))
                  for (const yoloErode of list('YE', V.yoloErode))
                    for (const yoloDilate of list('YD', V.yoloDilate))
                      for (const finalErode of list('FE', V.finalErode))
                        for (const finalDilate of list('FD', V.finalDilate)) {
                          const vote = { threshold, yoloErode, yoloDilate, finalErode, finalDilate };
                          const ious = comps.map((c, i) => maskIoU(voteFusionPerInstance([unions[i]], lms[i], vote, biases[i])[0], c.truth));
                          console.log(
                            `${JSON.stringify({ ...seg, weight, coreErode, ringWidth, scale, ...vote })} segs ${segs} overseg-ms ${times[times.length >> 1].toFixed(1)} IoU ${mean(ious).toFixed(4)} min ${Math.min(...ious).toFixed(3)}`,
                          );
                        }
              }
      }
