/** Full-resolution quality figures on masks small enough to count by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageQuality, matchInstances, summarise } from '../../src/eval/quality.js';
import type { Mask } from '../../src/mask/types.js';

const W = 8;
function rect(x0: number, y0: number, x1: number, y1: number): Mask {
  const data = new Uint8Array(W * W);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * W + x] = 1;
  return { data, width: W, height: W };
}

test('foreground and instance IoU: a 4x4 square one row off', () => {
  // pred rows 1-4, truth rows 2-5 (cols 1-4, away from the image edge, which is not a boundary):
  // intersection 12, union 20 -> 0.6 (>= 0.5, so matched)
  const pred = rect(1, 1, 5, 5);
  const truth = rect(1, 2, 5, 6);
  const q = imageQuality([{ cls: 0, mask: pred }], [{ cls: 0, mask: truth }], W, W, 0);
  assert.equal(q.fgIoU, 0.6);
  assert.deepEqual(q.matchedIoU, [0.6]);
  // tolerance 0: boundaries are the two 12-pixel outlines; they share the side columns at rows 2-4 (6 px)
  // -> precision = recall = 6/12 -> F 0.5
  assert.equal(q.boundaryF, 0.5);
  // with 1 px tolerance every outline pixel has the other outline within 1 px -> F 1
  assert.equal(imageQuality([{ cls: 0, mask: pred }], [{ cls: 0, mask: truth }], W, W, 1).boundaryF, 1);
});

test('instance matching is one-to-one, same class, IoU >= 0.5', () => {
  const gt = [{ cls: 0, mask: rect(0, 0, 4, 4) }];
  // identical (1.0) and a half-overlapping duplicate (8/24 = 0.33): one match, the identical one
  assert.deepEqual(matchInstances([{ cls: 0, mask: rect(0, 2, 4, 6) }, { cls: 0, mask: rect(0, 0, 4, 4) }], gt), [1]);
  // wrong class: no match even when identical
  assert.deepEqual(matchInstances([{ cls: 1, mask: rect(0, 0, 4, 4) }], gt), []);
});

test('an image without characters, correctly left empty, scores 1; a false positive scores 0', () => {
  const empty = imageQuality([], [], W, W, 2);
  assert.equal(empty.fgIoU, 1);
  assert.equal(empty.boundaryF, 1);
  const fp = imageQuality([{ cls: 0, mask: rect(0, 0, 2, 2) }], [], W, W, 2);
  assert.equal(fp.fgIoU, 0);
  assert.equal(fp.boundaryF, 0);
  const s = summarise([empty, fp]);
  assert.equal(s.fgIoU, 0.5);
  assert.equal(s.matched, 0);
  assert.equal(s.predInstances, 1);
});
