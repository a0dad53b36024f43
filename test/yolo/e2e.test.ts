// End to end from the image file with the real model (../shared/models/yolov8n-seg_int8.onnx):
// every reference detection with score >= 0.3 (Ultralytics' reference.json) must be found with box IoU >= 0.95.
// Also: our onnxruntime run on the reference input tensor reproduces the stored raw outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { loadYoloModel } from '../../src/models/yolo/model.js';

const REF = '../shared/data/reference/yolo';
const MODEL = '../shared/models/yolov8n-seg_int8.onnx';
const f32 = (p: string): Float32Array => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

function boxIoU(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

test('real model: inference on the reference tensor matches the stored raw outputs', async () => {
  const model = await loadYoloModel(MODEL, { threads: 1 });
  try {
    for (const stem of ['antonio_1', 'eren_1']) {
      const raw = await model.run(f32(`${REF}/dev/${stem}/input.f32`));
      const e0 = f32(`${REF}/dev/${stem}/output0.f32`);
      const e1 = f32(`${REF}/dev/${stem}/output1.f32`);
      let d0 = 0;
      let d1 = 0;
      for (let i = 0; i < e0.length; i++) d0 = Math.max(d0, Math.abs(e0[i] - raw.output0[i]));
      for (let i = 0; i < e1.length; i++) d1 = Math.max(d1, Math.abs(e1[i] - raw.protos!.data[i]));
      // Same onnxruntime version as the reference; allow float noise from a different CPU's kernels.
      assert.ok(d0 < 1e-3 && d1 < 1e-3, `${stem}: max |diff| output0 ${d0}, protos ${d1}`);
    }
  } finally {
    await model.dispose();
  }
});

test('real model end to end: every reference detection with score >= 0.3 is found (box IoU >= 0.95)', async () => {
  const seg = await createSegmenter({ model: MODEL, classes: 'all' });
  try {
    let checked = 0;
    for (const stem of readdirSync(`${REF}/dev`).sort()) {
      const ref = JSON.parse(readFileSync(`${REF}/dev/${stem}/reference.json`, 'utf8'));
      const r = await seg.segment(`${REF}/../${ref.image_path}`);
      assert.deepEqual([r.height, r.width], ref.orig_size);
      for (const e of ref.detections.filter((d: any) => d.score >= 0.3)) {
        const best = Math.max(0, ...r.instances.filter((i) => i.classId === e.cls).map((i) => boxIoU(i.box, e.box)));
        assert.ok(best >= 0.95, `${stem}: reference ${e.cls} ${e.score.toFixed(3)} best IoU ${best.toFixed(3)}`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `checked ${checked} detections`);
  } finally {
    await seg.dispose();
  }
});

test('real model: COCO model keeps only persons by default', async () => {
  const seg = await createSegmenter({ model: MODEL });
  try {
    assert.deepEqual(seg.info.defaultClasses, [0]);
    assert.equal(seg.info.classNames.length, 80);
    assert.deepEqual(seg.info.imgsz, [320, 320]);
    const r = await seg.segment(`${REF}/../../illustrations/images/eren_1.jpg`, { conf: 0.05 });
    assert.ok(r.instances.length > 0);
    assert.ok(r.instances.every((i) => i.classId === 0 && i.className === 'person'));
    for (const k of ['decode', 'preprocess', 'inference', 'postprocess']) assert.ok(r.timings[k] >= 0, k);
  } finally {
    await seg.dispose();
  }
});

test('real model on inference workers: same outputs as the reference, runs side by side', async () => {
  const model = await loadYoloModel(MODEL, { workers: 2, threads: 1 });
  try {
    const stems = ['antonio_1', 'eren_1', 'cirno_1'];
    const results = await Promise.all(stems.map((s) => model.run(f32(`${REF}/dev/${s}/input.f32`))));
    results.forEach((raw, i) => {
      const e0 = f32(`${REF}/dev/${stems[i]}/output0.f32`);
      let d0 = 0;
      for (let k = 0; k < e0.length; k++) d0 = Math.max(d0, Math.abs(e0[k] - raw.output0[k]));
      assert.ok(d0 < 1e-3, `${stems[i]}: max |diff| ${d0}`);
      assert.equal(raw.protos!.data.length, 32 * 80 * 80);
      assert.ok((raw.ms ?? -1) >= 0);
    });
  } finally {
    await model.dispose();
  }
});
