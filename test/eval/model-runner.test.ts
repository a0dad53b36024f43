/**
 * The validator's multi-label NMS built from the single-label one (model-runner.ts), on a hand-made raw output:
 * 2 anchors, 2 classes, 1 mask coefficient, 8x8 input = image (identity letterbox).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { multiLabelDetections } from '../../src/eval/model-runner.js';
import { letterboxGeometry } from '../../src/models/yolo/letterbox.js';
import type { YoloRawOutputs } from '../../src/models/yolo/postprocess.js';

function raw(): YoloRawOutputs {
  // rows (channel-major): cx, cy, w, h, score class 0, score class 1, mask coefficient; columns = anchors
  // anchor 0: box (2,2)-(6,6), class 0 0.3, class 1 0.9 (its best class is 1)
  // anchor 1: box (3,3)-(5,5), class 0 0.6, class 1 0.1
  const cols = [
    [4, 4, 4, 4, 0.3, 0.9, 1],
    [4, 4, 2, 2, 0.6, 0.1, 1],
  ];
  const out0 = new Float32Array(7 * 2);
  for (let r = 0; r < 7; r++) for (let a = 0; a < 2; a++) out0[r * 2 + a] = cols[a][r];
  return { output0: out0, anchors: 2, nc: 2, protos: { data: new Float32Array(4).fill(1), nm: 1, mh: 2, mw: 2 } };
}

test("multi-label: a class that is not the anchor's best still makes a candidate", () => {
  // Class 0 only: both anchors pass conf 0.001 for class 0 (0.3 and 0.6) although anchor 0's best class is 1;
  // their IoU is 4/16 = 0.25 < 0.7, so both survive NMS, in score order. (Single-label NMS would keep only 0.6.)
  const g = letterboxGeometry(8, 8, 8, 8);
  const d = multiLabelDetections(raw(), g, [0]);
  assert.deepEqual(d.map((x) => [x.classId, x.score]), [[0, Math.fround(0.6)], [0, Math.fround(0.3)]]);
});

test('multi-label over all classes: every (anchor, class) pair above conf, merged by score', () => {
  const d = multiLabelDetections(raw(), letterboxGeometry(8, 8, 8, 8), null);
  assert.deepEqual(
    d.map((x) => [x.classId, x.score, x.anchor]),
    [[1, Math.fround(0.9), 0], [0, Math.fround(0.6), 1], [0, Math.fround(0.3), 0], [1, Math.fround(0.1), 1]],
  );
  // boxes are the anchors' boxes (identity letterbox)
  assert.deepEqual(d[0].box, [2, 2, 6, 6]);
});
