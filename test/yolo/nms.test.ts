// NMS on a hand-made output0 (3 anchors, 2 classes); expected keeps worked out in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonMaxSuppression } from '../../src/models/yolo/nms.js';

// Rows: cx, cy, w, h, score class 0, score class 1; columns = anchors.
// a0: [40,40,60,60] class 0 0.9; a1: [42,40,62,60] class 1 0.8; a2: [190,190,210,210] class 0 0.3.
// IoU(a0, a1) = (18*20) / (400 + 400 - 360) = 360/440 = 0.818.
const A = 3;
const out0 = Float32Array.from([
  50, 52, 200, // cx
  50, 50, 200, // cy
  20, 20, 20, // w
  20, 20, 20, // h
  0.9, 0.1, 0.3, // class 0
  0.05, 0.8, 0.1, // class 1
]);
const run = (o: Partial<Parameters<typeof nonMaxSuppression>[3]>) =>
  nonMaxSuppression(out0, 2, A, { conf: 0.25, iou: 0.7, maxDet: 300, ...o }).map((d) => d.anchor);

test('class-aware NMS keeps overlapping boxes of different classes, in score order', () => {
  assert.deepEqual(run({}), [0, 1, 2]);
  const d = nonMaxSuppression(out0, 2, A, { conf: 0.25, iou: 0.7, maxDet: 300 })[1];
  assert.deepEqual([d.classId, d.score, d.box], [1, Math.fround(0.8), [42, 40, 62, 60]]);
});

test('agnostic NMS suppresses across classes (IoU 0.818 > 0.7) but not above its threshold', () => {
  assert.deepEqual(run({ agnostic: true }), [0, 2]);
  assert.deepEqual(run({ agnostic: true, iou: 0.85 }), [0, 1, 2]);
});

test('conf, max_det and class filter', () => {
  assert.deepEqual(run({ conf: 0.5 }), [0, 1]);
  assert.deepEqual(run({ conf: Math.fround(0.9) }), []); // a score equal to conf is dropped (strictly greater)
  assert.deepEqual(run({ conf: Math.fround(0.9) - 1e-7 }), [0]);
  assert.deepEqual(run({ maxDet: 1 }), [0]);
  assert.deepEqual(run({ classes: [1] }), [1]);
  assert.deepEqual(run({ classes: [0] }), [0, 2]);
});
