import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelComponents, removeSmallRegions } from '../../src/mask/components.js';
import { art, randomNoise, toArt } from './helpers.js';
import type { Mask } from '../../src/mask/types.js';

test('labelComponents: hand-labelled example, raster-order numbering, 4 vs 8 connectivity', () => {
  const m = art(
    '##..#', //
    '#...#',
    '..#..',
    '.#..#',
  );
  // 8-connectivity: {(0,0),(1,0),(0,1)} = 1; {(4,0),(4,1)} = 2; (2,2) touches (1,3) diagonally, while (4,1)
  // is two columns away from (2,2): {(2,2),(1,3)} = 3; (4,3) = 4. Background: 20 - 8 = 12 pixels.
  const c8 = labelComponents(m, 8);
  assert.equal(c8.count, 4);
  assert.deepEqual(Array.from(c8.labels), [1, 1, 0, 0, 2, 1, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0, 3, 0, 0, 4]);
  assert.deepEqual(c8.areas, [12, 3, 2, 2, 1]);
  // 4-connectivity splits the diagonal pair: (2,2) = 3, (1,3) = 4, (4,3) = 5
  const c4 = labelComponents(m, 4);
  assert.equal(c4.count, 5);
  assert.deepEqual(c4.areas, [12, 3, 2, 1, 1, 1]);
});

test('labelComponents: U shape merges two provisional labels into the first one', () => {
  // the two arms start as separate labels on row 0 and meet on row 2
  const c = labelComponents(art('#.#', '#.#', '###'), 4);
  assert.equal(c.count, 1);
  assert.deepEqual(c.areas, [2, 7]);
  assert.ok(Array.from(c.labels).every((l, i) => l === (i === 1 || i === 4 ? 0 : 1)));
});

/** Independent check: BFS flood fill component count and sizes. */
function bfsAreas(m: Mask, conn: 4 | 8): number[] {
  const { width: w, height: h } = m;
  const seen = new Uint8Array(w * h);
  const areas: number[] = [];
  for (let s = 0; s < w * h; s++) {
    if (!m.data[s] || seen[s]) continue;
    let n = 0;
    const q = [s];
    seen[s] = 1;
    while (q.length) {
      const i = q.pop()!;
      n++;
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx === 0 && dy === 0) || (conn === 4 && dx !== 0 && dy !== 0)) continue;
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const j = yy * w + xx;
          if (m.data[j] && !seen[j]) {
            seen[j] = 1;
            q.push(j);
          }
        }
      }
    }
    areas.push(n);
  }
  return areas; // in raster order of first pixel
}

test('labelComponents matches a BFS flood fill on random noise', () => {
  for (let seed = 1; seed <= 15; seed++) {
    const m = randomNoise(41, 29, seed, 0.45);
    for (const conn of [4, 8] as const) {
      const c = labelComponents(m, conn);
      assert.deepEqual(c.areas.slice(1), bfsAreas(m, conn), `seed ${seed} conn ${conn}`);
      // every pixel of a component shares its label with its connected neighbours
      for (let i = 0; i < m.data.length; i++) assert.equal(c.labels[i] === 0, m.data[i] === 0);
    }
  }
});

test('removeSmallRegions: holes (segment-anything semantics)', () => {
  const m = art(
    '#######', //
    '#.###..',
    '#######',
    '#...###',
    '#...###',
  );
  // Background components of the inverted mask (8-connected): {(1,1)} size 1; {(5,1),(6,1)} size 2 (touches
  // the image edge: SAM fills it too); {(1..3,3..4)} size 6. Threshold 3 fills the first two.
  const r = removeSmallRegions(m, 3, 'holes');
  assert.equal(r.changed, true);
  assert.deepEqual(toArt(r.mask), ['#######', '#######', '#######', '#...###', '#...###']);
  // threshold 1: nothing is smaller -> unchanged, same object
  const same = removeSmallRegions(m, 1, 'holes');
  assert.equal(same.changed, false);
  assert.equal(same.mask, m);
});

test('removeSmallRegions: islands, and keep the largest when all are small', () => {
  const m = art(
    '##....#', //
    '##.....',
    '.....##',
    '#....##',
  );
  // components: 2x2 top-left (4), (6,0) (1), 2x2 bottom-right (4), (0,3) (1)
  assert.deepEqual(toArt(removeSmallRegions(m, 2, 'islands').mask), ['##.....', '##.....', '.....##', '.....##']);
  // threshold 5: all small -> keep the largest, the first of the two 4s (np.argmax takes the first)
  assert.deepEqual(toArt(removeSmallRegions(m, 5, 'islands').mask), ['##.....', '##.....', '.......', '.......']);
  assert.equal(removeSmallRegions(m, 1, 'islands').changed, false);
});
