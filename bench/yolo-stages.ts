/**
 * Where the CPU of `segment`'s default outputs goes, per image: each stage of the batch's work (decode,
 * letterbox, inference, postprocess with full-resolution masks, instance filter, alpha, mask PNG, cutout
 * pixels, cutout PNG, JSON with RLE and polygons, atomic writes) run one after the other in one thread with
 * a 1-thread session, timed with process.cpuUsage (which counts sharp's threads too). CPU time rather than
 * wall time, so a busy machine skews it less; each stage is also given as a share of the inference.
 *
 *   npx tsx bench/yolo-stages.ts [--model PATH] [--conf 0.45] [--images DIR] [--runs 2]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { expandInputs } from '../src/pipeline/run/inputs.js';
import { resultAlpha, alphaImage, cutout, resultJson } from '../src/pipeline/outputs.js';
import { encodeImage } from '../src/image/encode.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { filterInstances } from '../src/pipeline/instance-filter.js';
import { decodeImageFile } from '../src/image/decode.js';
import { letterboxTensor } from '../src/models/yolo/letterbox.js';
import { loadYoloModel } from '../src/models/yolo/model.js';
import { postprocess } from '../src/models/yolo/postprocess.js';
import { detectionToInstance } from '../src/pipeline/instances.js';
import { DETECT_DEFAULTS } from '../src/pipeline/options.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '../shared/models/animeseg-char-n416.onnx' },
    conf: { type: 'string', default: '0.45' },
    images: { type: 'string', default: '../shared/data/illustrations/images' },
    runs: { type: 'string', default: '2' },
  },
});
const runs = Number(values.runs);
const conf = Number(values.conf);

const items = await expandInputs([values.images]);
const model = await loadYoloModel(values.model, { threads: 1 });
const [ih, iw] = model.contract.imgsz;
const out = await mkdtemp(join(tmpdir(), 'animeseg-stages-'));
console.log(`${items.length} images, model ${values.model}, conf ${conf}, ${runs} runs; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const cpu: Record<string, number[]> = {};
let mark = process.cpuUsage();
const lap = (k: string, keep: boolean): void => {
  const d = process.cpuUsage(mark);
  if (keep) (cpu[k] ??= []).push((d.user + d.system) / 1000);
  mark = process.cpuUsage();
};
try {
  // Round 0 warms up on the first image and is not counted.
  for (let r = 0; r <= runs; r++) {
    for (const it of r === 0 ? items.slice(0, 1) : items) {
      const keep = r > 0;
      lap('-', false);
      const { image } = await decodeImageFile(it.path);
      lap('decode', keep);
      const { tensor, geometry } = letterboxTensor(image, iw, ih);
      lap('letterbox', keep);
      const raw = await model.run(tensor);
      lap('inference', keep);
      const dets = postprocess(raw, geometry, { conf, iou: DETECT_DEFAULTS.iou, maxDet: DETECT_DEFAULTS.maxDet, classes: null, masks: 'native' });
      const found = dets.map((d) => detectionToInstance(d, model.contract.names));
      lap('postprocess + masks', keep);
      const instances = filterInstances(found, image.width, image.height, {}).kept;
      const res = { width: image.width, height: image.height, instances, timings: {} };
      lap('instance filter', keep);
      const alpha = resultAlpha(res);
      lap('alpha', keep);
      const maskPng = await encodeImage(alphaImage(alpha, image.width, image.height), 'png');
      lap('mask PNG', keep);
      const cut = cutout(image, alpha, {});
      lap('cutout pixels', keep);
      const cutPng = await encodeImage(cut, 'png');
      lap('cutout PNG', keep);
      const json = JSON.stringify(resultJson(res, { image: it.path, model: 'bench', settings: {} }));
      lap('JSON (RLE, polygons)', keep);
      await writeFileAtomic(join(out, 'a.png'), cutPng);
      await writeFileAtomic(join(out, 'a.mask.png'), maskPng);
      await writeFileAtomic(join(out, 'a.json'), json);
      lap('writes (atomic, fsync)', keep);
    }
  }
} finally {
  await model.dispose();
  await rm(out, { recursive: true, force: true });
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const inference = mean(cpu.inference);
let rest = 0;
console.log('\nCPU ms per image (mean), and as a share of the inference:');
for (const [k, xs] of Object.entries(cpu)) {
  const v = mean(xs);
  if (k !== 'inference') rest += v;
  console.log(`  ${k.padEnd(24)} ${v.toFixed(1).padStart(6)} ms  ${((100 * v) / inference).toFixed(0).padStart(4)}%`);
}
console.log(`all but inference: ${rest.toFixed(1)} ms = ${(rest / inference).toFixed(2)}x the inference`);
