/**
 * Evaluation overhead: seconds per 100 images for the Ultralytics metric computation alone (GT rasterisation,
 * prediction grid masks, IoU, matching, AP) against model inference measured in the same run (the baseline:
 * decode + letterbox + ONNX inference + NMS with native masks at validation settings, conf 0.001 / iou 0.7 /
 * max_det 300). Also the worst case for the metric side (every image padded to 300 predictions, max_det), the
 * full-resolution quality figures, and the effect of the mask source: Ultralytics' proto-resolution masks
 * (what evaluate() uses by default) against our native masks sampled onto the grid (its fallback).
 *   npx tsx bench/eval.ts [images=20] [runs=5] [model=../shared/models/yolov8n-seg_int8.onnx]
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSynthSet } from '../test/eval/synth-set.js';
import { createValRunner, type ValRun } from '../src/eval/model-runner.js';
import { valGeometry } from '../src/eval/metrics/geometry.js';
import { buildGt, parseLabel, type LabelInstance } from '../src/eval/metrics/gt.js';
import { MetricsAccumulator, type UltralyticsMetrics } from '../src/eval/metrics/results.js';
import { predImageFromInstances, predImageFromRun } from '../src/eval/evaluate.js';
import { imageQuality } from '../src/eval/quality.js';
import { fillPolygons } from '../src/mask/polygon.js';

const nImages = Number(process.argv[2] ?? 20);
const runs = Number(process.argv[3] ?? 5);
const model = process.argv[4] ?? '../shared/models/yolov8n-seg_int8.onnx';

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = await mkdtemp(join(tmpdir(), 'animeseg-bench-eval-'));
try {
  const set = await buildSynthSet(dir, { images: nImages, seed: 5 });
  const labels: LabelInstance[][] = [];
  for (const img of set.images) labels.push(parseLabel(await readFile(img.replace('/images/', '/labels/').replace(/\.png$/, '.txt'), 'utf8')));

  const runner = await createValRunner({ model });
  const imgsz = Math.max(...runner.imgsz);
  let results: ValRun[] = [];
  const inferRuns: number[] = [];
  for (let r = 0; r < Math.max(1, Math.min(runs, 3)); r++) {
    let ms = 0;
    const pass: ValRun[] = [];
    for (const img of set.images) {
      const res = await runner.run(img);
      const t = res.timings;
      ms += t.decode + t.preprocess + t.inference + t.postprocess; // protoMasks is metric work, timed below
      pass.push(res);
    }
    inferRuns.push(ms);
    results = pass;
  }
  await runner.dispose();

  /** One full metric pass over the set (what evaluate() does besides inference and quality). */
  const metricPass = (mode: 'proto' | 'native', padTo = 0): { ms: number; metrics: UltralyticsMetrics } => {
    const t = performance.now();
    const acc = new MetricsAccumulator(new Map([[0, 'character']]));
    results.forEach((r, i) => {
      const g = valGeometry(r.width, r.height, imgsz);
      let pred;
      if (padTo > 0 && r.instances.length > 0) {
        const inst = Array.from({ length: padTo }, (_, k) => {
          const src = r.instances[k % r.instances.length];
          return { ...src, score: src.score * (1 - k / (padTo + 1)) };
        });
        pred = predImageFromInstances(inst, g);
      } else if (mode === 'proto') pred = predImageFromRun(r, g).pred;
      else pred = predImageFromInstances(r.instances, g);
      acc.add(buildGt(labels[i], g), pred);
    });
    const metrics = acc.result().metrics;
    // proto masks were computed during the run (timings.protoMasks): count them as metric work
    const protoMs = mode === 'proto' && padTo === 0 ? results.reduce((s, r) => s + (r.timings.protoMasks ?? 0), 0) : 0;
    return { ms: performance.now() - t + protoMs, metrics };
  };
  const qualityPass = (): number => {
    const t = performance.now();
    results.forEach((r, i) => {
      const gts = labels[i].map((l) => ({
        cls: l.cls,
        mask: fillPolygons([Array.from(l.points, (v, k) => (k % 2 === 0 ? v * r.width : v * r.height))], r.width, r.height),
      }));
      const preds = r.instances.filter((x) => x.score >= 0.25).map((x) => ({ cls: x.classId, mask: x.mask }));
      imageQuality(preds, gts, r.width, r.height, 2);
    });
    return performance.now() - t;
  };
  metricPass('proto'); // warm-up (JIT)
  const metric = median(Array.from({ length: runs }, () => metricPass('proto').ms));
  const metricNative = median(Array.from({ length: runs }, () => metricPass('native').ms));
  const metric300 = median(Array.from({ length: runs }, () => metricPass('native', 300).ms));
  const quality = median(Array.from({ length: runs }, () => qualityPass()));
  const infer = median(inferRuns);
  const per100 = (ms: number) => ((ms / nImages) * 100) / 1000;
  const pct = (ms: number) => ((100 * ms) / infer).toFixed(2);
  const preds = results.reduce((s, r) => s + r.instances.length, 0);
  console.log(`eval bench: ${nImages} images ${results[0].width}x${results[0].height}, ${model} (imgsz ${imgsz}), ${preds} predictions at conf 0.001, median of ${runs} runs`);
  console.log(`inference (baseline: decode, letterbox, ONNX, NMS, native masks): ${per100(infer).toFixed(3)} s/100 img`);
  console.log(`metric computation (proto masks, the default):       ${per100(metric).toFixed(4)} s/100 img = ${pct(metric)} % of inference`);
  console.log(`metric computation (native masks sampled on grid):   ${per100(metricNative).toFixed(4)} s/100 img = ${pct(metricNative)} % of inference`);
  console.log(`metric computation, 300 predictions/img (max_det):   ${per100(metric300).toFixed(4)} s/100 img = ${pct(metric300)} % of inference`);
  console.log(`full-resolution quality (fg IoU, inst IoU, bound. F): ${per100(quality).toFixed(4)} s/100 img = ${pct(quality)} % of inference`);

  const mP = metricPass('proto').metrics;
  const mN = metricPass('native').metrics;
  const row = (name: string, m: UltralyticsMetrics) =>
    `${name.padEnd(36)} Box P ${m.box.mp.toFixed(4)} R ${m.box.mr.toFixed(4)} mAP50 ${m.box.map50.toFixed(4)} mAP50-95 ${m.box.map.toFixed(4)} | Mask P ${m.mask.mp.toFixed(4)} R ${m.mask.mr.toFixed(4)} mAP50 ${m.mask.map50.toFixed(4)} mAP50-95 ${m.mask.map.toFixed(4)}`;
  console.log('mask source (same detections, same ground truth):');
  console.log(row('  proto masks (Ultralytics, default)', mP));
  console.log(row('  native masks -> grid (fallback)', mN));
} finally {
  await rm(dir, { recursive: true, force: true });
}
