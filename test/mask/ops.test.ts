import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import {
  andMasks,
  andNot,
  cloneMask,
  cropMask,
  intersectionArea,
  invertMask,
  maskArea,
  maskBox,
  maskIoU,
  pasteMask,
  thresholdToMask,
  uncropMask,
  unionInto,
  unionMasks,
} from '../../src/mask/ops.js';
import { createMask } from '../../src/mask/types.js';
import { art, randomBlobs, rng, toArt } from './helpers.js';

// Two hand-drawn 5x4 masks used below. Counted by hand: A has 6 pixels, B has 5, they share 3.
const A = art(
  '.....', //
  '.###.',
  '.###.',
  '.....',
);
const B = art(
  '.....', //
  '...##',
  '...##',
  '...#.',
);

test('maskArea, intersectionArea, maskIoU on hand-counted masks', () => {
  assert.equal(maskArea(A), 6);
  assert.equal(maskArea(B), 5);
  // shared: (3,1) (3,2) -> 2 pixels; union = 6 + 5 - 2 = 9
  assert.equal(intersectionArea(A, B), 2);
  assert.equal(maskIoU(A, B), 2 / 9);
  assert.equal(maskIoU(A, A), 1);
  assert.equal(maskIoU(createMask(5, 4), createMask(5, 4)), 0); // both empty: defined as 0
  assert.equal(maskIoU(createMask(5, 4), createMask(5, 4), 1), 1); // ... unless the caller says empty agrees with empty
  assert.equal(maskIoU(A, B, 1), 2 / 9); // bothEmpty only matters when the union is empty
  assert.equal(maskIoU(A, createMask(5, 4)), 0);
});

test('maskBox is end-exclusive and null for an empty mask', () => {
  assert.deepEqual(maskBox(A), [1, 1, 4, 3]);
  assert.deepEqual(maskBox(B), [3, 1, 5, 4]);
  assert.deepEqual(maskBox(art('#')), [0, 0, 1, 1]);
  // the widest row is not the first row: right edge must still be found
  assert.deepEqual(maskBox(art('.#...', '.....', '#...#')), [0, 0, 5, 3]);
  assert.equal(maskBox(createMask(3, 3)), null);
});

test('maskBox (skips background a word at a time) = the box of a plain pixel scan, on views at every byte offset', () => {
  // The definition, written out: min/max over every foreground pixel.
  const plainBox = (m: { data: Uint8Array; width: number; height: number }): number[] | null => {
    let x1 = Infinity, y1 = Infinity, x2 = -1, y2 = -1;
    for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) {
      if (m.data[y * m.width + x] === 0) continue;
      x1 = Math.min(x1, x); y1 = Math.min(y1, y); x2 = Math.max(x2, x); y2 = Math.max(y2, y);
    }
    return x2 < 0 ? null : [x1, y1, x2 + 1, y2 + 1];
  };
  const r = rng(5);
  for (let t = 0; t < 400; t++) {
    const w = 1 + Math.floor(r() * 23);
    const h = 1 + Math.floor(r() * 11);
    const offset = t % 4; // unaligned views read byte by byte
    const data = new Uint8Array(w * h + 4).subarray(offset, offset + w * h);
    const p = r() * r() * 0.2; // mostly sparse: long background runs
    for (let i = 0; i < data.length; i++) if (r() < p) data[i] = 1 + Math.floor(r() * 255);
    const m = { data, width: w, height: h };
    assert.deepEqual(maskBox(m), plainBox(m), `${w}x${h} offset ${offset}`);
  }
});

test('union, andNot, and, invert match the hand-drawn results', () => {
  assert.deepEqual(toArt(unionMasks([A, B], 5, 4)), ['.....', '.####', '.####', '...#.']);
  assert.deepEqual(toArt(andNot(A, B)), ['.....', '.##..', '.##..', '.....']);
  assert.deepEqual(toArt(andMasks(A, B)), ['.....', '...#.', '...#.', '.....']);
  assert.deepEqual(toArt(invertMask(A)), ['#####', '#...#', '#...#', '#####']);
  assert.deepEqual(toArt(unionMasks([], 2, 1)), ['..']);
  const t = art('#....', '.....', '.....', '.....');
  assert.equal(unionInto(t, B), t); // in place
  assert.deepEqual(toArt(t), ['#....', '...##', '...##', '...#.']);
});

test('any non-zero byte is foreground: clone, invert, and, andNot write 0/1 (truth table by hand)', () => {
  const a = { data: Uint8Array.of(0, 0, 7, 255), width: 4, height: 1 };
  const b = { data: Uint8Array.of(0, 9, 0, 2), width: 4, height: 1 };
  assert.deepEqual([...cloneMask(a).data], [0, 0, 1, 1]);
  assert.deepEqual([...invertMask(a).data], [1, 1, 0, 0]);
  assert.deepEqual([...andMasks(a, b).data], [0, 0, 0, 1]);
  assert.deepEqual([...andNot(a, b).data], [0, 0, 1, 0]);
  assert.deepEqual([...andNot(b, a).data], [0, 1, 0, 0]);
});

test('set identities on random blobs: |A u B| = |A| + |B| - |A n B|, A\\B disjoint from B', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const a = randomBlobs(40, 30, seed);
    const b = randomBlobs(40, 30, seed + 100);
    const inter = intersectionArea(a, b);
    assert.equal(maskArea(unionMasks([a, b], 40, 30)), maskArea(a) + maskArea(b) - inter);
    const d = andNot(a, b);
    assert.equal(intersectionArea(d, b), 0);
    assert.equal(maskArea(d), maskArea(a) - inter);
    assert.equal(maskIoU(a, b), maskIoU(b, a));
  }
});

test('cropMask: inside, partly outside (background), fractional boxes rounded outwards', () => {
  assert.deepEqual(toArt(cropMask(B, [3, 1, 5, 4])), ['##', '##', '#.']);
  // box sticks out by one pixel left and top: those read as background
  assert.deepEqual(toArt(cropMask(A, [-1, -1, 2, 2])), ['...', '...', '..#']);
  // [0.5, 0.9, 2.1, 1.2] -> floor/ceil -> [0, 0, 3, 2]: rows 0-1, columns 0-2
  assert.deepEqual(toArt(cropMask(A, [0.5, 0.9, 2.1, 1.2])), ['...', '.##']);
  assert.equal(cropMask(A, [10, 10, 12, 12]).data.length, 4);
  assert.throws(() => cropMask(A, [3, 0, 1, 2]), (e) => e instanceof AnimesegError && e.code === 'BAD_INPUT');
});

test('pasteMask: replace and or modes, clipped at the borders; uncrop inverts crop', () => {
  const t = art('#...', '....', '....');
  pasteMask(t, art('##', '.#'), 1, 1);
  assert.deepEqual(toArt(t), ['#...', '.##.', '..#.']);
  // replace writes background too; 'or' keeps what was there
  const r = art('####', '####');
  pasteMask(r, art('.#'), 1, 0, 'replace');
  assert.deepEqual(toArt(r), ['#.##', '####']);
  const o = art('#...', '....');
  pasteMask(o, art('.#'), 0, 0, 'or');
  assert.deepEqual(toArt(o), ['##..', '....']);
  // partly off the target on the right and top
  const c = createMask(3, 2);
  pasteMask(c, art('##', '##'), 2, -1);
  assert.deepEqual(toArt(c), ['..#', '...']);
  const m = randomBlobs(30, 20, 7);
  const crop = cropMask(m, [5, 4, 25, 17]);
  const back = uncropMask(crop, 5, 4, 30, 20);
  assert.deepEqual(back.data, cropMask(m, [0, 0, 30, 20]).data.map((v, i) => {
    const x = i % 30;
    const y = Math.floor(i / 30);
    return x >= 5 && x < 25 && y >= 4 && y < 17 ? v : 0;
  }));
});

test('thresholdToMask uses strict > (logit 0 is background, as "> 0" in Ultralytics)', () => {
  assert.deepEqual(toArt(thresholdToMask(new Float32Array([-1, 0, 1e-7, 2]), 2, 2)), ['..', '##']);
});

test('size mismatches are AnimesegErrors', () => {
  const bad = (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT';
  assert.throws(() => maskIoU(A, createMask(4, 5)), bad);
  assert.throws(() => unionMasks([A], 4, 4), bad);
  assert.throws(() => maskArea({ data: new Uint8Array(3), width: 2, height: 2 }), bad);
});
