/**
 * Evaluation overhead: seconds per 100 images for the Ultralytics metric computation alone (GT rasterisation,
 * prediction grid masks, IoU, matching, AP) against model inference measured in the same run (the baseline:
 * segment() at validation settings, conf 0.001 / iou 0.7 / max_det 300). Also the worst case for the metric
 * side (every image padded to 300 predictions, max_det) and the full-resolution quality figures.
 * Last, the effect of our mask choice: Mask metrics from the segmenter's native masks sampled onto the
 * validator grid (what evaluate() does) against the model's own proto-resolution masks cropped as
 * process_mask does (what Ultralytics compares), same detections, same ground truth.
 *   npx tsx bench/eval.ts [images=20] [runs=5] [model=../shared/models/yolov8n-seg_int8.onnx]
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSynthSet } from '../test/eval/synth-set.js';
import { createSegmenter } from '../src/pipeline/segmenter.js';
import type { Instance } from '../src/pipeline/types.js';
import { valGeometry } from '../src/eval/metrics/geometry.js';
import { buildGt, parseLabel, type LabelInstance } from '../src/eval/metrics/gt.js';
import { MetricsAccumulator } from '../src/eval/metrics/results.js';
import { predImageFromInstances } from '../src/eval/evaluate.js';
import { imageQuality } from '../src/eval/quality.js';
import { fillPolygons } from '../src/mask/polygon.js';
import { loadYoloModel } from '../src/models/yolo/model.js';
import { letterboxTensor } from '../src/models/yolo/letterbox.js';
import { nonMaxSuppression } from '../src/models/yolo/nms.js';
import { logitsWindow } from '../src/models/yolo/masks.js';
import { scaleBoxToOriginal } from '../src/models/yolo/postprocess.js';
import { decodeImageFile } from '../src/image/decode.js';
import { toRgb } from '../src/image/pixels.js';
import type { GridMask } from '../src/eval/metrics/predmask.js';
import type { PredImage } from '../src/eval/metrics/results.js';

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

  const seg = await createSegmenter({ model, conf: 0.001, iou: 0.7, maxDet: 300 });
  const imgsz = Math.max(...seg.info.imgsz);
  const results: { width: number; height: number; instances: Instance[] }[] = [];
  const inferRuns: number[] = [];
  for (let r = 0; r < Math.max(1, Math.min(runs, 3)); r++) {
    const t = performance.now();
    for (const img of set.images) {
      const res = await seg.segment(img);
      if (r === 0) results.push({ width: res.width, height: res.height, instances: res.instances });
    }
    inferRuns.push(performance.now() - t);
  }
  await seg.dispose();

  /** One full metric pass over the set (what evaluate() does besides inference and quality). */
  const metricPass = (padTo = 0): number => {
    const t = performance.now();
    const acc = new MetricsAccumulator(new Map([[0, 'character']]));
    results.forEach((r, i) => {
      let inst = r.instances;
      if (padTo > 0 && inst.length > 0) {
        inst = Array.from({ length: padTo }, (_, k) => {
          const src = r.instances[k % r.instances.length];
          return { ...src, score: src.score * (1 - k / (padTo + 1)) };
        });
      }
      const g = valGeometry(r.width, r.height, imgsz);
      acc.add(buildGt(labels[i], g), predImageFromInstances(inst, g));
    });
    acc.result();
    return performance.now() - t;
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
  metricPass(); // warm-up (JIT)
  const metric = median(Array.from({ length: runs }, () => metricPass()));
  const metric300 = median(Array.from({ length: runs }, () => metricPass(300)));
  const quality = median(Array.from({ length: runs }, () => qualityPass()));
  const infer = median(inferRuns);
  const per100 = (ms: number) => (ms / nImages) * 100 / 1000;
  const preds = results.reduce((s, r) => s + r.instances.length, 0);
  console.log(`eval bench: ${nImages} images ${results[0].width}x${results[0].height}, model ${model} (imgsz ${imgsz}), ${preds} predictions at conf 0.001, median of ${runs} runs`);
  console.log(`inference (baseline, segment() incl. decode/NMS/masks): ${per100(infer).toFixed(3)} s/100 img`);
  console.log(`metric computation:                                   ${per100(metric).toFixed(4)} s/100 img = ${((100 * metric) / infer).toFixed(2)} % of inference`);
  console.log(`metric computation, 300 predictions/img (max_det):     ${per100(metric300).toFixed(4)} s/100 img = ${((100 * metric300) / infer).toFixed(2)} % of inference`);
  console.log(`full-resolution quality (IoU, instance IoU, boundary F): ${per100(quality).toFixed(4)} s/100 img = ${((100 * quality) / infer).toFixed(2)} % of inference`);

  // --- our native->grid masks vs the model's proto-resolution masks (Ultralytics' own) -------------------
  const yolo = await loadYoloModel(model);
  const accNative = new MetricsAccumulator(new Map([[0, 'character']]));
  const accProto = new MetricsAccumulator(new Map([[0, 'character']]));
  let sameGeometry = true;
  for (let i = 0; i < set.images.length; i++) {
    const img = toRgb((await decodeImageFile(set.images[i])).image);
    const [ih, iw] = yolo.contract.imgsz;
    const { tensor, geometry } = letterboxTensor(img, iw, ih);
    const g = valGeometry(img.width, img.height, imgsz);
    if (geometry.padLeft !== g.left || geometry.padTop !== g.top || geometry.resizedW !== g.w || geometry.resizedH !== g.h) sameGeometry = false;
    const raw = await yolo.run(tensor);
    const dets = nonMaxSuppression(raw.output0, raw.nc, raw.anchors, { conf: 0.001, iou: 0.7, maxDet: 300, classes: [0] });
    const { protos } = raw;
    const n = dets.length;
    const proto: PredImage = { cls: new Int32Array(n), conf: new Float32Array(n), boxes: new Float32Array(4 * n), masks: [] };
    const coeffs = new Float32Array(protos.nm);
    const base = (4 + raw.nc) * raw.anchors;
    dets.forEach((d, k) => {
      proto.cls[k] = d.classId;
      proto.conf[k] = d.score;
      proto.boxes.set(scaleBoxToOriginal(d.box, geometry), 4 * k);
      for (let j = 0; j < protos.nm; j++) coeffs[j] = raw.output0[base + j * raw.anchors + d.anchor];
      // process_mask: logits on the proto grid, crop x1*mw/iw <= c < x2*mw/iw (float32), > 0
      const sx = Math.fround(protos.mw / iw);
      const sy = Math.fround(protos.mh / ih);
      const c0 = Math.max(0, Math.ceil(Math.fround(d.box[0] * sx)));
      const c1 = Math.min(protos.mw, Math.ceil(Math.fround(d.box[2] * sx)));
      const r0 = Math.max(0, Math.ceil(Math.fround(d.box[1] * sy)));
      const r1 = Math.min(protos.mh, Math.ceil(Math.fround(d.box[3] * sy)));
      const data = new Uint8Array(protos.mw * protos.mh);
      const win = logitsWindow(protos, coeffs, r0, r1, c0, c1);
      for (let r = r0, o = 0; r < r1; r++) for (let c = c0; c < c1; c++, o++) if (win[o] > 0) data[r * protos.mw + c] = 1;
      const gm: GridMask = { data, r0, r1, c0, c1 };
      proto.masks.push(gm);
    });
    const gt = buildGt(labels[i], g);
    accProto.add(gt, proto);
    accNative.add(gt, predImageFromInstances(results[i].instances, g));
  }
  await yolo.dispose();
  const mN = accNative.result().metrics;
  const mP = accProto.result().metrics;
  const row = (name: string, m: typeof mN) =>
    `${name.padEnd(34)} Box P ${m.box.mp.toFixed(4)} R ${m.box.mr.toFixed(4)} mAP50 ${m.box.map50.toFixed(4)} mAP50-95 ${m.box.map.toFixed(4)} | Mask P ${m.mask.mp.toFixed(4)} R ${m.mask.mr.toFixed(4)} mAP50 ${m.mask.map50.toFixed(4)} mAP50-95 ${m.mask.map.toFixed(4)}`;
  console.log(`mask source (same detections, same GT${sameGeometry ? '' : '; NOTE: predict and val letterbox differ'}):`);
  console.log(row('  proto masks (Ultralytics)', mP));
  console.log(row('  native masks -> grid (animeseg)', mN));
} finally {
  await rm(dir, { recursive: true, force: true });
}
