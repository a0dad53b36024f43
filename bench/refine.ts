/**
 * Refinement benchmark (npx tsx bench/refine.ts [--reps 3] [--composites 20] [--images DIR] [--threads N]).
 *
 * 1. Speed on the real illustrations of ../shared/data/illustrations/images: per image, median over `reps` runs
 *    of each stage (YOLO = decode..postprocess of the segmenter with refine 'none'; over-segmentation; fusion
 *    (colour model + vote); soft edge; output = combined alpha + RGBA cutout + PNG encode), then the median
 *    over images, and how much `regions` adds relative to YOLO in the same run. Images near 1000 px are
 *    reported separately (the target: regions adds <= 300 ms to a ~1000 px image on 2 cores).
 *    Wall times per stage, plus process CPU time for YOLO and for `regions` (robust when the machine is shared).
 * 2. Quality on KS composites (sprites with exact mattes on backgrounds, built in memory; truth = alpha > 127):
 *    per image and mean foreground IoU and boundary F (2 px) for none / regions / regions+softedge (the soft
 *    alpha thresholded at 128), plus the alpha error within 3 px of the true outline (soft vs hard).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { createSegmenter } from '../src/pipeline/segmenter.js';
import { createRegionsRefiner } from '../src/refine/regions/refiner.js';
import { combinedAlpha, cutout } from '../src/pipeline/outputs.js';
import { encodePng } from '../src/image/encode.js';
import { decodeImage } from '../src/image/decode.js';
import { maskIoU, unionMasks } from '../src/mask/ops.js';
import { boundaryFScore } from '../src/mask/boundary.js';
import type { Instance } from '../src/pipeline/types.js';
import { resolveSoftEdge } from '../src/refine/softedge.js';
import { runRefineStage } from '../src/refine/stage.js';
import { buildComposites, type Composite } from '../test/refine/support/composites.js';
import { YOLO_MODEL } from '../test/refine/support/yolo.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    composites: { type: 'string', default: '20' },
    images: { type: 'string', default: new URL('../../shared/data/illustrations/images', import.meta.url).pathname },
    threads: { type: 'string' },
    'skip-speed': { type: 'boolean', default: false },
  },
});
const reps = Math.max(1, Number(args.reps));
// One inference thread by default: YOLO's CPU time then equals its single-core time, comparable with regions'.
const threads = Number(args.threads ?? 1);

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Process CPU time (all threads) in ms: less disturbed than wall time when other jobs share the cores. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const f1 = (v: number) => v.toFixed(1);

const segmenter = await createSegmenter({ model: YOLO_MODEL, refine: 'none', threads });
const regions = createRegionsRefiner();
const soft = resolveSoftEdge(true);

if (!args['skip-speed']) {
  const files = readdirSync(args.images).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  const STAGES = ['yolo', 'resize', 'overseg', 'fusion', 'softedge', 'output', 'regionsTotal', 'yoloCpu', 'regionsCpu'] as const;
  const perImage: { file: string; side: number; det: number; st: Record<string, number> }[] = [];
  console.log(`speed: ${files.length} illustrations, ${reps} runs each (median per image), YOLO threads ${threads}, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(join(args.images, file)));
    const { image } = await decodeImage(bytes);
    const runs: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
    let det = 0;
    for (let r = 0; r < reps + 1; r++) {
      const t0 = performance.now();
      const c0 = cpuMs();
      const res = await segmenter.segment(image);
      const tYolo = performance.now() - t0;
      const cYolo = cpuMs() - c0;
      det = res.instances.length;
      let out: Instance[] = res.instances;
      let t: Record<string, number> = {};
      const t1 = performance.now();
      let cRegions = 0;
      if (det) {
        // CPU time of `regions` alone (no soft edge), then the soft-edge run for the stage timings.
        const c1 = cpuMs();
        await regions.refine(res.image, res.instances);
        cRegions = cpuMs() - c1;
        // The refinement stage as the segmenter runs it: regions, then the soft edge.
        const staged = await runRefineStage(regions, res.image, res.instances, soft);
        out = staged.instances;
        t = staged.timings;
      }
      const tRefine = (t.resize ?? 0) + (t.propose ?? 0) + (t.fusion ?? 0);
      const t2 = performance.now();
      const alpha = combinedAlpha(out, res.width, res.height);
      await encodePng(cutout(res.image, alpha));
      const tOut = performance.now() - t2;
      if (r === 0) continue; // warm-up
      runs.yolo.push(tYolo);
      runs.resize.push(t.resize ?? 0);
      runs.overseg.push(t.propose ?? 0);
      runs.fusion.push(t.fusion ?? 0);
      runs.softedge.push(t.softEdge ?? 0);
      runs.output.push(tOut);
      runs.regionsTotal.push(tRefine); // what `regions` without soft edges adds (wall)
      runs.yoloCpu.push(cYolo);
      runs.regionsCpu.push(cRegions);
    }
    const st = Object.fromEntries(STAGES.map((s) => [s, median(runs[s])]));
    perImage.push({ file, side: Math.max(image.width, image.height), det, st });
    console.log(`  ${file.padEnd(28)} ${String(image.width).padStart(4)}x${String(image.height).padEnd(4)} det ${det}  ` + STAGES.map((s) => `${s} ${f1(st[s])}`).join('  '));
  }
  const summary = (rows: typeof perImage, label: string) => {
    const withDet = rows.filter((r) => r.det > 0);
    if (!withDet.length) return;
    const cols = STAGES.map((s) => `${s} ${f1(median(withDet.map((r) => r.st[s])))}`);
    const ratio = median(withDet.map((r) => r.st.regionsTotal / r.st.yolo));
    const ratioCpu = median(withDet.map((r) => r.st.regionsCpu / r.st.yoloCpu));
    console.log(`${label} (${withDet.length} images with detections), median ms: ${cols.join('  ')}  | regions/YOLO wall ${ratio.toFixed(2)}x, CPU ${ratioCpu.toFixed(2)}x`);
  };
  summary(perImage, 'all');
  summary(perImage.filter((r) => r.side >= 850 && r.side <= 1200), '~1000 px');
}

// ---- quality on composites ----
const comps: Composite[] = await buildComposites(Number(args.composites), 100);
function band(truth: Composite['truth'], r: number): Uint8Array {
  const { width: W, height: H, data } = truth;
  const b = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = data[y * W + x];
      if ((x + 1 < W && data[y * W + x + 1] !== v) || (y + 1 < H && data[(y + 1) * W + x] !== v))
        for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) b[yy * W + xx] = 1;
    }
  return b;
}
const bandErr = (alpha: Uint8Array, c: Composite, b: Uint8Array) => {
  let s = 0;
  let n = 0;
  for (let p = 0; p < b.length; p++) if (b[p]) ((s += Math.abs(alpha[p] - c.alpha[p])), n++);
  return n ? s / n / 255 : 0;
};
const q: Record<string, { iou: number[]; f: number[] }> = { none: { iou: [], f: [] }, regions: { iou: [], f: [] }, 'regions+softedge': { iou: [], f: [] } };
const errSoft: number[] = [];
const errHard: number[] = [];
console.log(`\nquality: ${comps.length} KS composites (tuning set, offset 100; the test uses offset 0)`);
for (const c of comps) {
  const res = await segmenter.segment(c.image);
  const { width: W, height: H } = c.image;
  const none = res.instances;
  const reg = none.length ? await regions.refine(c.image, none) : [];
  const softened = none.length ? (await runRefineStage(regions, c.image, none, soft)).instances : [];
  const softAlpha = combinedAlpha(softened, W, H);
  const softMask = { data: softAlpha.map((v) => (v >= 128 ? 1 : 0)), width: W, height: H };
  const masks = { none: unionMasks(none.map((i) => i.mask), W, H), regions: unionMasks(reg.map((i) => i.mask), W, H), 'regions+softedge': softMask };
  const cells: string[] = [];
  for (const [k, m] of Object.entries(masks)) {
    const iou = maskIoU(m, c.truth);
    const f = boundaryFScore(m, c.truth, 2).f;
    q[k].iou.push(iou);
    q[k].f.push(f);
    cells.push(`${k} IoU ${iou.toFixed(3)} F ${f.toFixed(3)}`);
  }
  const b = band(c.truth, 3);
  errSoft.push(bandErr(softAlpha, c, b));
  errHard.push(bandErr(combinedAlpha(reg, W, H), c, b));
  console.log(`  ${c.name.padEnd(52)} det ${none.length}  ${cells.join('  ')}  alpha-err soft ${errSoft.at(-1)!.toFixed(3)} hard ${errHard.at(-1)!.toFixed(3)}`);
}
console.log(
  'mean: ' +
    Object.entries(q)
      .map(([k, v]) => `${k} IoU ${mean(v.iou).toFixed(4)} F ${mean(v.f).toFixed(4)}`)
      .join('  |  ') +
    `  |  alpha error within 3 px of the outline: soft ${mean(errSoft).toFixed(4)} hard ${mean(errHard).toFixed(4)}`,
);
await segmenter.dispose();
