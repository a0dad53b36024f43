// The junk-instance filter (src/pipeline/instance-filter.ts) on hand-drawn rectangle masks, where areas and
// overlaps are counted by hand (w x h of each rectangle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterInstances } from '../../src/pipeline/instance-filter.js';
import type { Instance } from '../../src/pipeline/types.js';

const W = 100;
const H = 100;
function rect(score: number, x0: number, y0: number, x1: number, y1: number): Instance {
  const data = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * W + x] = 1;
  return { classId: 0, className: 'person', score, box: [x0, y0, x1, y1], mask: { data, width: W, height: H } };
}

test('min area is a fraction of the image', () => {
  const big = rect(0.9, 0, 0, 50, 50); // 2500 px = 0.25 of the image
  const small = rect(0.8, 60, 60, 70, 70); // 100 px = 0.01
  const r = filterInstances([big, small], W, H, { minArea: 0.02 });
  assert.deepEqual(r.kept, [big]);
  assert.deepEqual(r.dropped.map((d) => [d.instance, d.reason, d.value]), [[small, 'min-area', 0.01]]);
  assert.equal(filterInstances([big, small], W, H, { minArea: 0.01 }).kept.length, 2);
});

test('an instance mostly under higher-scoring ones is dropped; partial overlap and order are kept', () => {
  const left = rect(0.9, 0, 0, 40, 100); // 4000 px
  const right = rect(0.85, 60, 0, 100, 100); // 4000 px
  // A low-score box spanning both: 0..100 x 0..50 = 5000 px, 2000 + 2000 under the two characters = 0.8.
  const spanning = rect(0.28, 0, 0, 100, 50);
  const r = filterInstances([spanning, left, right], W, H, { maxCovered: 0.7 });
  assert.deepEqual(r.kept, [left, right]);
  assert.deepEqual(r.dropped.map((d) => [d.reason, d.value]), [['covered', 0.8]]);
  // 0.8 is not more than 0.8: kept at that threshold; the default (0.7) drops it.
  assert.deepEqual(filterInstances([spanning, left, right], W, H, { maxCovered: 0.8 }).kept, [spanning, left, right]);
  assert.deepEqual(filterInstances([spanning, left, right], W, H).kept, [left, right]);
  // The best instance is judged first whatever the input order; 1 keeps everything.
  assert.equal(filterInstances([spanning, left, right], W, H, { maxCovered: 1 }).kept.length, 3);
});
