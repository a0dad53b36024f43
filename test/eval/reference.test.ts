/**
 * The golden cases in ../shared/data/reference/metrics (values produced by Ultralytics 8.2.103's own
 * SegmentationValidator, see its README). Expected numbers are read from expected.json / intermediate.json,
 * never from our code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRle, rleFromJson } from '../../src/mask/rle.js';
import { valGeometry, scaleBoxToNative } from '../../src/eval/metrics/geometry.js';
import { buildGt, parseLabel, type GtImage } from '../../src/eval/metrics/gt.js';
import { MetricsAccumulator, type PredImage } from '../../src/eval/metrics/results.js';
import { parsePredictions, predImageFromStored } from '../../src/eval/predictions.js';
import { letterboxBox, type GridMask } from '../../src/eval/metrics/predmask.js';

const ROOT = '../shared/data/reference/metrics';
const TOL = 1e-4;

interface Case {
  dir: string;
  expected: any;
  sizes: Record<string, { width: number; height: number }>;
  intermediate: { images: any[] };
  predictionsText: string;
}

function loadCase(name: string): Case {
  const dir = join(ROOT, name);
  return {
    dir,
    expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')),
    sizes: JSON.parse(readFileSync(join(dir, 'image_sizes.json'), 'utf8')),
    intermediate: JSON.parse(readFileSync(join(dir, 'intermediate.json'), 'utf8')),
    predictionsText: readFileSync(join(dir, 'predictions.json'), 'utf8'),
  };
}

function namesOf(c: Case): Map<number, string> {
  return new Map(Object.entries(c.expected.names as Record<string, string>).map(([k, v]) => [Number(k), v]));
}

/** Compare every number in `expected` (recursively) with the same path in `actual`. */
function assertClose(actual: any, expected: any, path: string, failures: string[]): void {
  if (typeof expected === 'number') {
    if (!(typeof actual === 'number' && Math.abs(actual - expected) <= TOL)) failures.push(`${path}: got ${actual}, expected ${expected}`);
  } else if (Array.isArray(expected)) {
    expected.forEach((v, i) => assertClose(actual?.[i], v, `${path}[${i}]`, failures));
  } else if (expected && typeof expected === 'object') {
    for (const k of Object.keys(expected)) assertClose(actual?.[k], expected[k], `${path}.${k}`, failures);
  }
}

const KEYS = ['images', 'instances', 'predictions', 'nt_per_class', 'nt_per_image', 'mean', 'box', 'mask', 'per_class', 'maps_box', 'maps_mask', 'tp_counts_box', 'tp_counts_mask'];

function checkAll(metrics: any, expected: any): void {
  const failures: string[] = [];
  for (const k of KEYS) assertClose(metrics[k], expected[k], k, failures);
  // per_class names must agree too
  assert.deepEqual(
    metrics.per_class.map((r: any) => [r.class, r.name]),
    expected.per_class.map((r: any) => [r.class, r.name]),
  );
  assert.deepEqual(failures, []);
}

for (const name of ['case1', 'case2']) {
  test(`${name}: labels + predictions.json through our rasterisation reproduce expected.json within 1e-4`, () => {
    const c = loadCase(name);
    const preds = parsePredictions(c.predictionsText, join(c.dir, 'predictions.json'));
    const acc = new MetricsAccumulator(namesOf(c));
    const labelFiles = readdirSync(join(c.dir, 'labels')).sort();
    assert.equal(labelFiles.length, c.expected.images);
    let gtPixelsChecked = 0;
    let tpChecked = 0;
    let predMasksChecked = 0;
    for (const im of c.intermediate.images) {
      const { width, height } = c.sizes[im.image];
      const g = valGeometry(width, height, 640);
      const gt = buildGt(parseLabel(readFileSync(join(c.dir, 'labels', `${im.image}.txt`), 'utf8')), g);
      // Ground truth: same order, classes and 160x160 masks as the validator compared (intermediate.json).
      assert.deepEqual([...gt.cls], im.gt.map((e: any) => e.cls), `${im.image} GT classes/order`);
      im.gt.forEach((e: any, k: number) => {
        const ref = decodeRle(rleFromJson(e.mask160_rle)).data;
        for (let i = 0; i < ref.length; i++) assert.equal(gt.index[i] === k + 1 ? 1 : 0, ref[i], `${im.image} GT ${k} pixel ${i}`);
        gtPixelsChecked += ref.length;
        // box_xyxy_native is rounded to 4 decimals
        if (e.box_xyxy_native) for (let j = 0; j < 4; j++) assert.ok(Math.abs(gt.boxes[4 * k + j] - e.box_xyxy_native[j]) <= 5.1e-5);
      });
      const pred = predImageFromStored(preds.get(im.image)?.predictions ?? [], g);
      assert.equal(pred.cls.length, im.n_pred);
      // Cropped 160x160 prediction masks, as process_mask produced them (present when the image has GT).
      im.pred.forEach((e: any, i: number) => {
        if (!e.mask160_rle) return;
        assert.deepEqual(pred.masks[i].data, decodeRle(rleFromJson(e.mask160_rle)).data, `${im.image} pred ${i} mask`);
        predMasksChecked++;
      });
      const m = acc.add(gt, pred);
      // The validator's correct-matrices per prediction.
      im.pred.forEach((e: any, i: number) => {
        if (!e.tp_box) return;
        assert.deepEqual([...m.tpBox.subarray(i * 10, i * 10 + 10)], e.tp_box, `${im.image} pred ${i} tp_box`);
        assert.deepEqual([...m.tpMask.subarray(i * 10, i * 10 + 10)], e.tp_mask, `${im.image} pred ${i} tp_mask`);
        tpChecked++;
      });
    }
    assert.ok(gtPixelsChecked > 0 && tpChecked > 0 && predMasksChecked > 0);
    checkAll(acc.result().metrics, c.expected);
  });

  test(`${name}: intermediate.json masks (matching + AP alone) reproduce expected.json within 1e-4`, () => {
    const c = loadCase(name);
    const preds = parsePredictions(c.predictionsText, join(c.dir, 'predictions.json'));
    const acc = new MetricsAccumulator(namesOf(c));
    for (const im of c.intermediate.images) {
      const { width, height } = c.sizes[im.image];
      const g = valGeometry(width, height, 640);
      const n = im.gt.length;
      const size = 160;
      const index = new Uint8Array(size * size);
      const areas = new Int32Array(n);
      const boxes = new Float32Array(4 * n);
      im.gt.forEach((e: any, k: number) => {
        const m = decodeRle(rleFromJson(e.mask160_rle)).data;
        for (let i = 0; i < m.length; i++) if (m[i]) {
          index[i] = k + 1;
          areas[k]++;
        }
        if (e.box_xyxy_native) boxes.set(e.box_xyxy_native, 4 * k);
      });
      const gt: GtImage = { cls: Int32Array.from(im.gt.map((e: any) => e.cls)), boxes, index, areas, size };
      // Predictions: scores, classes and boxes from predictions.json (same order), masks from intermediate.json.
      const stored = preds.get(im.image)?.predictions ?? [];
      const np = stored.length;
      const pred: PredImage = { cls: new Int32Array(np), conf: new Float32Array(np), boxes: new Float32Array(4 * np), masks: [] };
      stored.forEach((p, i) => {
        assert.equal(Math.fround(p.score), Math.fround(im.pred[i].score));
        pred.cls[i] = p.cls;
        pred.conf[i] = p.score;
        pred.boxes.set(letterboxBox(p.box, g), 4 * i);
        scaleBoxToNative(pred.boxes, 4 * i, g);
        const rle = im.pred[i].mask160_rle;
        const data = rle ? decodeRle(rleFromJson(rle)).data : new Uint8Array(size * size);
        const gm: GridMask = { data, r0: 0, r1: size, c0: 0, c1: size };
        pred.masks.push(gm);
      });
      acc.add(gt, pred);
    }
    checkAll(acc.result().metrics, c.expected);
  });
}
