import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeMask, dilate, dilateRect, erode, erodeRect, openMask } from '../../src/mask/morphology.js';
import { art, randomBlobs, randomNoise, toArt } from './helpers.js';
import type { Mask } from '../../src/mask/types.js';

test('dilate 3x3: hand-worked single pixel and border pixel', () => {
  assert.deepEqual(toArt(dilate(art('.....', '.....', '..#..', '.....', '.....'))), [
    '.....',
    '.###.',
    '.###.',
    '.###.',
    '.....',
  ]);
  // a pixel in the corner grows only inside the image (outside never matters)
  assert.deepEqual(toArt(dilate(art('#..', '...', '...'))), ['##.', '##.', '...']);
  // two iterations = 5x5 square
  assert.deepEqual(toArt(dilate(art('.....', '.....', '..#..', '.....', '.....'), 2)), [
    '#####',
    '#####',
    '#####',
    '#####',
    '#####',
  ]);
});

test('erode 3x3: border pixels survive (outside counts as foreground, OpenCV default border)', () => {
  // Full 4x3 mask: with cv2's default borderValue nothing erodes at the image edge.
  assert.deepEqual(toArt(erode(art('####', '####', '####'))), ['####', '####', '####']);
  // A hole at (1,1) removes its 3x3 neighbourhood; the rest stays.
  assert.deepEqual(toArt(erode(art('#####', '#.###', '#####', '#####'))), ['...##', '...##', '...##', '#####']);
  // 3x3 block in the middle of a 5x5 image erodes to its centre pixel
  assert.deepEqual(toArt(erode(art('.....', '.###.', '.###.', '.###.', '.....'))), [
    '.....',
    '.....',
    '..#..',
    '.....',
    '.....',
  ]);
  assert.deepEqual(toArt(erode(art('.....', '.###.', '.###.', '.###.', '.....'), 2)), [
    '.....',
    '.....',
    '.....',
    '.....',
    '.....',
  ]);
});

/** Brute-force reference straight from the definition: max/min over the window clipped to the image. */
function bruteMorph(m: Mask, rx: number, ry: number, op: 'max' | 'min'): Mask {
  const { width: w, height: h } = m;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = op === 'max' ? 0 : 1;
      for (let dy = -ry; dy <= ry; dy++) {
        for (let dx = -rx; dx <= rx; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const p = m.data[yy * w + xx];
          v = op === 'max' ? Math.max(v, p) : Math.min(v, p);
        }
      }
      data[y * w + x] = v;
    }
  }
  return { data, width: w, height: h };
}

/** Iterating the 3x3 definition n times, as the original Python code calls cv2 (iterations=n). */
function iterate(m: Mask, n: number, op: 'max' | 'min'): Mask {
  let r = m;
  for (let i = 0; i < n; i++) r = bruteMorph(r, 1, 1, op);
  return r;
}

test('matches the brute-force definition on random masks, rectangles and iterations', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const m = seed % 3 ? randomBlobs(29, 21, seed) : randomNoise(29, 21, seed, 0.7);
    for (const n of [1, 2, 3]) {
      assert.deepEqual(dilate(m, n).data, iterate(m, n, 'max').data, `dilate seed ${seed} n ${n}`);
      assert.deepEqual(erode(m, n).data, iterate(m, n, 'min').data, `erode seed ${seed} n ${n}`);
    }
    assert.deepEqual(dilateRect(m, 3, 0).data, bruteMorph(m, 3, 0, 'max').data);
    assert.deepEqual(erodeRect(m, 0, 2).data, bruteMorph(m, 0, 2, 'min').data);
  }
});

test('opening/closing and 0 iterations', () => {
  const m = randomBlobs(20, 20, 3);
  assert.deepEqual(dilate(m, 0).data, m.data);
  assert.deepEqual(openMask(m).data, dilate(erode(m)).data);
  assert.deepEqual(closeMask(m).data, erode(dilate(m)).data);
  // an isolated pixel disappears under opening
  assert.deepEqual(toArt(openMask(art('...', '.#.', '...'))), ['...', '...', '...']);
  assert.throws(() => erode(m, -1));
});
