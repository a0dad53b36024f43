import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaryFScore, maskBoundary } from '../../src/mask/boundary.js';
import { dilateDisc, distanceTransform, squaredDistanceTo } from '../../src/mask/distance.js';
import { createMask, type Mask } from '../../src/mask/types.js';
import { art, randomBlobs, randomNoise, toArt } from './helpers.js';

test('squaredDistanceTo matches brute force on random sources', () => {
  for (let seed = 1; seed <= 6; seed++) {
    const src = randomNoise(23, 17, seed, 0.05);
    const d = squaredDistanceTo(src.data, 23, 17);
    for (let y = 0; y < 17; y++) {
      for (let x = 0; x < 23; x++) {
        let best = Infinity;
        for (let j = 0; j < src.data.length; j++) {
          if (src.data[j]) best = Math.min(best, (x - (j % 23)) ** 2 + (y - Math.floor(j / 23)) ** 2);
        }
        assert.equal(d[y * 23 + x], best);
      }
    }
  }
  assert.equal(squaredDistanceTo(new Uint8Array(4), 2, 2)[0], Infinity);
});

test('distanceTransform and dilateDisc: hand values', () => {
  // 1x5 row '#####' with background only at x=0: distances 0,1,2,3,4
  assert.deepEqual(Array.from(distanceTransform(art('.####'))), [0, 1, 2, 3, 4]);
  // disc of radius 2 around the centre of a 5x5: x^2 + y^2 <= 4 -> 13 pixels (skimage disk(2))
  const c = createMask(5, 5);
  c.data[12] = 1;
  assert.deepEqual(toArt(dilateDisc(c, 2)), ['..#..', '.###.', '#####', '.###.', '..#..']);
});

test('maskBoundary: 4-neighbour rule; the image edge is not a boundary by default', () => {
  const m = art(
    '.....', //
    '.###.',
    '.###.',
    '.###.',
    '.....',
  );
  assert.deepEqual(toArt(maskBoundary(m)), ['.....', '.###.', '.#.#.', '.###.', '.....']);
  assert.deepEqual(toArt(maskBoundary(art('###', '###'))), ['...', '...']);
  assert.deepEqual(toArt(maskBoundary(art('###', '###'), { imageEdge: true })), ['###', '###']);
  // only (1,0) and (0,1) have the background pixel (0,0) as a 4-neighbour; (1,1) touches it diagonally only
  assert.deepEqual(toArt(maskBoundary(art('.##', '###', '###'))), ['.#.', '#..', '...']);
});

test('boundaryFScore: hand-computed shifted square', () => {
  // gt: 4x4 square at x 2..5, y 2..5 in 10x10; pred: same square shifted right by 3.
  // boundaries: 12 pixels each. With tolerance 2, a pred boundary pixel at x' matches a gt boundary pixel
  // within distance 2: pred columns are 5..8; gt boundary has columns 2 and 5 (rows 2..5) plus rows 2 and 5
  // (columns 2..5). Pred pixels with x in {5,6,7} lie within 2 of gt column 5 (same rows) -> matched;
  // pred column 8 (4 pixels) is 3 away from column 5 -> unmatched. Precision = 8/12. By symmetry recall = 8/12.
  const sq = (x0: number): Mask => {
    const m = createMask(10, 10);
    for (let y = 2; y < 6; y++) for (let x = x0; x < x0 + 4; x++) m.data[y * 10 + x] = 1;
    return m;
  };
  const s = boundaryFScore(sq(5), sq(2), 2);
  assert.equal(s.precision, 8 / 12);
  assert.equal(s.recall, 8 / 12);
  assert.ok(Math.abs(s.f - 8 / 12) < 1e-12);
  // identical masks: perfect
  assert.deepEqual(boundaryFScore(sq(2), sq(2)), { precision: 1, recall: 1, f: 1 });
  // tolerance 0 on the shift: only the overlapping column x=5 boundary... pred column 5 coincides with gt
  // column 5 (4 pixels) plus pred top/bottom rows at x=5 are the same pixels -> 4 of 12
  assert.equal(boundaryFScore(sq(5), sq(2), 0).precision, 4 / 12);
});

test('boundaryFScore: empty-mask conventions and symmetry', () => {
  const e = createMask(8, 8);
  const b = randomBlobs(8, 8, 3);
  assert.equal(boundaryFScore(e, e).f, 1);
  assert.equal(boundaryFScore(e, b).f, 0);
  assert.equal(boundaryFScore(b, e).f, 0);
  for (let seed = 1; seed <= 5; seed++) {
    const p = randomBlobs(40, 30, seed);
    const g = randomBlobs(40, 30, seed + 50);
    const a = boundaryFScore(p, g, 3);
    const r = boundaryFScore(g, p, 3);
    assert.equal(a.precision, r.recall);
    assert.equal(a.recall, r.precision);
    assert.ok(a.f >= 0 && a.f <= 1);
  }
});

test('boundaryFScore matches a brute-force boundary matching, small and large tolerances', () => {
  // Brute force: for each boundary pixel, scan all boundary pixels of the other mask.
  const brute = (p: Mask, g: Mask, r: number) => {
    const pb = maskBoundary(p).data;
    const gb = maskBoundary(g).data;
    const w = p.width;
    const pts = (b: Uint8Array) => [...b.keys()].filter((i) => b[i]).map((i) => [i % w, Math.floor(i / w)]);
    const P = pts(pb);
    const G = pts(gb);
    const within = (a: number[], B: number[][]) => B.some((q) => (a[0] - q[0]) ** 2 + (a[1] - q[1]) ** 2 <= r * r);
    return { precision: P.filter((a) => within(a, G)).length / P.length, recall: G.filter((a) => within(a, P)).length / G.length };
  };
  for (let seed = 1; seed <= 6; seed++) {
    const p = randomBlobs(40, 30, seed);
    const g = randomBlobs(40, 30, seed + 7);
    for (const r of [0, 1, 2, 2.5, 10]) {
      // r = 10 takes the distance-transform path (many offsets x boundary pixels), the others probe offsets
      const s = boundaryFScore(p, g, r);
      const b = brute(p, g, r);
      assert.equal(s.precision, b.precision, `seed ${seed} r ${r}`);
      assert.equal(s.recall, b.recall, `seed ${seed} r ${r}`);
    }
  }
});
