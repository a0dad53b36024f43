/**
 * The bounding-box-cropped erode/dilate must equal the full-image operation of src/mask/morphology.ts
 * (the reference here, itself tested against OpenCV semantics), including masks touching the image edges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erodeDilate } from '../../src/refine/morph.js';
import { dilate, erode } from '../../src/mask/morphology.js';
import type { Mask } from '../../src/mask/types.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A few random rectangles and discs, some placed against the image edges. */
function blobs(w: number, h: number, seed: number): Mask {
  const rnd = lcg(seed);
  const data = new Uint8Array(w * h);
  for (let k = 0; k < 4; k++) {
    const cx = Math.floor(rnd() * w);
    const cy = Math.floor(rnd() * h);
    const r = 1 + Math.floor(rnd() * 8);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r || (k === 3 && x < 3 && y > h / 2)) data[y * w + x] = 1;
  }
  return { data, width: w, height: h };
}

test('cropped erode-then-dilate equals the full-image operation', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const m = blobs(37 + (seed % 5), 29 + (seed % 7), seed);
    for (const [e, d] of [
      [3, 2],
      [3, 3],
      [0, 4],
      [2, 0],
      [1, 1],
    ]) {
      let ref = m;
      if (e > 0) ref = erode(ref, e);
      if (d > 0) ref = dilate(ref, d);
      assert.deepEqual(erodeDilate(m, e, d).data, ref.data, `seed ${seed} e ${e} d ${d}`);
    }
  }
  const empty = { data: new Uint8Array(20), width: 5, height: 4 };
  assert.ok(erodeDilate(empty, 1, 2).data.every((v) => v === 0));
});
