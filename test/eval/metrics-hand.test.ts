/**
 * Tiny cases whose expected values are worked out by hand in the comments (matching, AP interpolation, the
 * F1-based P/R choice, IoU in float32), following the Ultralytics code the modules port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPredictions, IOU_THRESHOLDS } from '../../src/eval/metrics/matching.js';
import { apPerClass, computeAp } from '../../src/eval/metrics/ap.js';
import { boxIoU, iouFromCounts } from '../../src/eval/metrics/iou.js';
import { interp1, pairwiseSum, trapz, linspace, smooth } from '../../src/eval/metrics/numpy.js';
import { MetricsAccumulator, fmtG, type PredImage } from '../../src/eval/metrics/results.js';
import type { GtImage } from '../../src/eval/metrics/gt.js';

const row = (flags: Uint8Array, p: number) => [...flags.subarray(p * 10, p * 10 + 10)];

test('IoU thresholds are 0.50, 0.55, ..., 0.95 (float32)', () => {
  assert.equal(IOU_THRESHOLDS.length, 10);
  IOU_THRESHOLDS.forEach((t, i) => assert.ok(Math.abs(t - (0.5 + 0.05 * i)) < 1e-6, `threshold ${i} = ${t}`));
});

test('matching: perfect, duplicate, class mix-up and miss', () => {
  // GT: g0 class 0, g1 class 0, g2 class 1. Predictions in score order:
  // p0 class 0 on g0 (IoU 0.92), p1 class 0 duplicate of g0 (IoU 0.80), p2 class 1 on g1 (IoU 0.75 but wrong class).
  // g2 has no prediction (miss).
  const predCls = [0, 0, 1];
  const trueCls = [0, 0, 1];
  // rows = GT, columns = predictions
  const iou = Float32Array.of(0.92, 0.8, 0, 0, 0, 0.75, 0, 0, 0);
  const c = matchPredictions(predCls, trueCls, iou);
  // p0 qualifies for every threshold up to 0.90 (9 of 10), p1's best GT is taken by p0 -> never correct,
  // p2's pair is zeroed by the class check -> never correct.
  assert.deepEqual(row(c, 0), [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  assert.deepEqual(row(c, 1), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(row(c, 2), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('matching: a GT goes to the higher-scoring prediction whose best GT it is, not to the best IoU', () => {
  // Ultralytics keeps the first pair per prediction (by IoU), then np.unique orders survivors by prediction index,
  // so each GT keeps its lowest-index (highest-score) prediction. p0 IoU 0.6, p1 IoU 0.9, one GT:
  // t <= 0.60: p0 correct, p1 not; 0.65 <= t <= 0.90: only p1 qualifies -> p1 correct; t = 0.95: none.
  // IoUs are float32 in the validator (0.6 -> 0.60000002, equal to the float32 threshold 0.6)
  const c = matchPredictions([0, 0], [0], Float32Array.of(0.6, 0.9));
  assert.deepEqual(row(c, 0), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(row(c, 1), [0, 0, 0, 1, 1, 1, 1, 1, 1, 0]);
});

test('matching: a prediction takes its best GT, another prediction the other GT', () => {
  // p0 overlaps g0 (0.7) and g1 (0.8); p1 overlaps g0 (0.75). p0's best pair is g1, p1's is g0 -> both correct
  // for t <= 0.70; at 0.75 p0 (0.8 with g1) and p1 (0.75) still qualify; at 0.8 only p0; above none.
  const c = matchPredictions([0, 0], [0, 0], Float32Array.of(0.7, 0.75, 0.8, 0));
  assert.deepEqual(row(c, 0), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(row(c, 1), [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
});

test('np.interp edge behaviour: left/right values, exact hits, repeated xp take the last', () => {
  const xp = [0, 0.5, 0.5, 1];
  const fp = [1, 0.9, 0.4, 0.2];
  assert.equal(interp1(-0.1, xp, fp), 1); // below: fp[0]
  assert.equal(interp1(-0.1, xp, fp, 7), 7); // below with left=
  assert.equal(interp1(2, xp, fp), 0.2); // above: fp[-1]
  assert.equal(interp1(0.5, xp, fp), 0.4); // repeated 0.5: the last of the run
  assert.equal(interp1(0.25, xp, fp), 0.95); // halfway between (0, 1) and (0.5, 0.9)
  assert.equal(interp1(0.75, xp, fp), 0.30000000000000004); // 0.4 + (0.2-0.4)/0.5*0.25 in double
  assert.equal(interp1(1, xp, fp), 0.2);
});

test('numpy pairwise sum, trapz and smooth', () => {
  // 10 values: 8 partial sums then 2 added: exact for these small integers
  assert.equal(pairwiseSum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 55);
  // trapz of y = x on [0, 1] = 0.5
  const x = linspace(0, 1, 101);
  assert.ok(Math.abs(trapz(x, x) - 0.5) < 1e-12);
  // smooth of a constant is the constant; length is kept (nf = 101 for 1000 points, f = 0.1)
  const s = smooth(new Float64Array(1000).fill(0.25), 0.1);
  assert.equal(s.length, 1000);
  assert.ok(s.every((v) => Math.abs(v - 0.25) < 1e-12));
});

test('AP: a single perfect prediction gives 0.995 (101-point rule: recall 1.0 samples the 0 sentinel)', () => {
  // mrec [0, 1, 1], mpre [1, 1, 0]: 1 on x in [0, 0.99], 0 at x = 1 -> 0.99 + (1 + 0) / 2 * 0.01 = 0.995
  assert.ok(Math.abs(computeAp([1], [1]).ap - 0.995) < 1e-12);
});

test('AP: TP, FP, TP on 2 GT', () => {
  // recall [0.5, 0.5, 1], precision [1, 0.5, 2/3]; envelope -> 1 on [0, 0.5), 2/3 on [0.5, 1), 0 at 1.
  // trapz: 0.49 (flat 1) + (1 + 2/3)/2*0.01 + 0.49*2/3 + (2/3 + 0)/2*0.01 = 0.8283333...
  const expected = 0.49 + (5 / 3 / 2) * 0.01 + 0.49 * (2 / 3) + (2 / 3 / 2) * 0.01;
  assert.ok(Math.abs(computeAp([0.5, 0.5, 1], [1, 0.5, 2 / 3]).ap - expected) < 1e-9);
});

test('P and R come from the smoothed class-mean F1 maximum', () => {
  // One class, 2 GT; predictions 0.9 TP, 0.6 FP, 0.3 TP. Below confidence 0.3 the curves are flat at
  // P = 2/3, R = 1 (F1 = 0.8), which is the highest F1 anywhere (between 0.3 and 0.9 both P and R are lower),
  // so the smoothed maximum is the first grid point: P = 2/3, R = 1.
  const tp = new Uint8Array(30);
  tp.fill(1, 0, 10);
  tp.fill(1, 20, 30);
  const r = apPerClass({ tp, conf: [0.9, 0.6, 0.3], predCls: [0, 0, 0], targetCls: [0, 0] });
  assert.equal(r.bestIndex, 0);
  assert.ok(Math.abs(r.p[0] - 2 / 3) < 1e-12);
  assert.equal(r.r[0], 1);
  assert.ok(Math.abs(r.f1[0] - 0.8) < 1e-12);
});

test('box IoU in float32 with eps', () => {
  // [0,0,10,10] vs [5,0,15,10]: 50 / (100 + 100 - 50) = 1/3
  const iou = boxIoU([0, 0, 10, 10], [5, 0, 15, 10, 20, 20, 30, 30]);
  assert.equal(iou[0], Math.fround(1 / 3));
  assert.equal(iou[1], 0);
  // union 1: 1 + 1e-7 is NOT 1 in float32 (ulp(1) = 1.19e-7), so a 1-pixel perfect match gives 1/(1+1.19e-7)
  assert.ok(iouFromCounts(1, 1, 1) < 1);
  assert.equal(iouFromCounts(4, 4, 4), 1);
});

test('whole pipeline on one hand-made image: perfect, duplicate, class mix-up, miss', () => {
  // 16x16 grid (imgsz 64). GT (validator order): g0 class 0 = rows 0-7 x cols 0-7, g1 class 1 = rows 8-15 x cols 8-15,
  // g2 class 0 = rows 0-3 x cols 12-15 (missed).
  const size = 16;
  const index = new Uint8Array(size * size);
  const fill = (m: Uint8Array, r0: number, r1: number, c0: number, c1: number, v: number) => {
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) m[r * size + c] = v;
  };
  fill(index, 0, 8, 0, 8, 1);
  fill(index, 8, 16, 8, 16, 2);
  fill(index, 0, 4, 12, 16, 3);
  const gt: GtImage = {
    cls: Int32Array.of(0, 1, 0),
    boxes: Float32Array.of(0, 0, 32, 32, 32, 32, 64, 64, 48, 0, 64, 16),
    index,
    areas: Int32Array.of(64, 64, 16),
    size,
  };
  const sq = (r0: number, r1: number, c0: number, c1: number) => {
    const d = new Uint8Array(size * size);
    fill(d, r0, r1, c0, c1, 1);
    return { data: d, r0: 0, r1: size, c0: 0, c1: size };
  };
  // p0 = g0 exactly (score 0.9), p1 = duplicate of g0 (0.8), p2 = class 0 on g1's place (0.7): a class mix-up.
  const pred: PredImage = {
    cls: Int32Array.of(0, 0, 0),
    conf: Float32Array.of(0.9, 0.8, 0.7),
    boxes: Float32Array.of(0, 0, 32, 32, 0, 0, 32, 32, 32, 32, 64, 64),
    masks: [sq(0, 8, 0, 8), sq(0, 8, 0, 8), sq(8, 16, 8, 16)],
  };
  const acc = new MetricsAccumulator(new Map([[0, 'a'], [1, 'b']]));
  acc.add(gt, pred);
  const { metrics } = acc.result();
  // Class 0 (2 GT): TP, FP, FP at every threshold -> recall 0.5,0.5,0.5, precision 1, 1/2, 1/3. Envelope: 1 below
  // recall 0.5, 1/3 at 0.5 (last of the repeated 0.5s), then linear to 0 at recall 1:
  // AP = 0.49 + (1 + 1/3)/2*0.01 + 0.5*(1/3)/2 = 0.58. Class 1 (1 GT, no predictions): AP 0.
  const ap0 = 0.49 + (4 / 3 / 2) * 0.01 + (0.5 * (1 / 3)) / 2;
  for (const k of ['box', 'mask'] as const) {
    assert.ok(Math.abs(metrics.per_class[0][k].ap50 - ap0) < 1e-9, `${k} ap50`);
    assert.ok(Math.abs(metrics.per_class[0][k].ap50_95 - ap0) < 1e-9, `${k} ap50-95`);
    assert.equal(metrics.per_class[1][k].ap50, 0);
    assert.ok(Math.abs(metrics[k].map50 - ap0 / 2) < 1e-9);
    // R of class 0 is 0.5 at every confidence at or below 0.9, where the F1 peak is.
    assert.equal(metrics.per_class[0][k].r, 0.5);
    assert.equal(metrics.per_class[1][k].p, 0);
  }
  assert.deepEqual(metrics.tp_counts_box, new Array(10).fill(1));
  assert.deepEqual(metrics.nt_per_class, [2, 1]);
  assert.deepEqual(metrics.nt_per_image, [1, 1]);
});

test('no box TP at all: Ultralytics reports zeros', () => {
  const acc = new MetricsAccumulator(new Map([[0, 'a']]));
  const gt: GtImage = { cls: Int32Array.of(0), boxes: Float32Array.of(0, 0, 10, 10), index: new Uint8Array(16).fill(1), areas: Int32Array.of(16), size: 4 };
  const empty = { data: new Uint8Array(16), r0: 0, r1: 4, c0: 0, c1: 4 };
  acc.add(gt, { cls: Int32Array.of(0), conf: Float32Array.of(0.5), boxes: Float32Array.of(20, 20, 30, 30), masks: [empty] });
  const { metrics } = acc.result();
  assert.equal(metrics.box.map50, 0);
  assert.equal(metrics.mean.fitness, 0);
});

test("'%.3g' formatting as Python prints the table", () => {
  assert.equal(fmtG(0.64703), '0.647');
  assert.equal(fmtG(0.58), '0.58');
  assert.equal(fmtG(0), '0');
  assert.equal(fmtG(1), '1');
  assert.equal(fmtG(0.0000123), '1.23e-05');
  assert.equal(fmtG(0.9996), '1');
});
