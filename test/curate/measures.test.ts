// The measures curation decides on, against hand computations on tiny pictures: dHash bits and Hamming
// distances, area resizing, the border-cut fraction, colourfulness and the Laplacian variance; and the
// near-duplicate grouping against a brute-force all-pairs oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaResize, dHashOfGrey, greyOf, hamming, hashFromHex, hashToHex, type Hash64 } from '../../src/curate/hash.js';
import { groupNearDuplicates } from '../../src/curate/group.js';
import { borderCut, colourfulness, laplacianVariance, sharpness } from '../../src/curate/quality.js';
import sharp, { type Sharp } from 'sharp';
import { resolve } from 'node:path';
import { pickBucket } from '../../src/curate/frame.js';
import { frameGeometry, cropGeometry } from '../../src/pipeline/crops.js';
import type { RawImage } from '../../src/image/types.js';

const grey = (rows: number[][]): RawImage => ({ data: Uint8Array.from(rows.flat()), width: rows[0].length, height: rows.length, channels: 1 });

test('dHash of a 9x8 picture (no resampling) and the Hamming distance, by hand', () => {
  // Row [0,10,5,20,20,30,0,0,1]: right > left gives 1,0,1,0,1,0,0,1 = 0xa9 for each of the 8 rows.
  const row = [0, 10, 5, 20, 20, 30, 0, 0, 1];
  const a = grey(Array.from({ length: 8 }, () => row));
  const ha = dHashOfGrey(greyOf(a), 9, 8);
  assert.equal(hashToHex(ha), 'a9'.repeat(8));
  // Reversed row [1,0,0,30,20,20,5,10,0]: 0,0,1,0,0,0,1,0 = 0x22; 0xa9 ^ 0x22 = 0b10001011, 4 bits a row.
  const b = grey(Array.from({ length: 8 }, () => [...row].reverse()));
  const hb = dHashOfGrey(greyOf(b), 9, 8);
  assert.equal(hashToHex(hb), '22'.repeat(8));
  assert.equal(hamming(ha, hb), 32);
  assert.equal(hamming(ha, ha), 0);
  assert.deepEqual(hashFromHex(hashToHex(hb)), hb);
});

test('area resize averages covered pixels, fractions weighted (3 -> 2 by hand)', () => {
  // out0 = (0 x 1 + 3 x 0.5) / 1.5 = 1; out1 = (3 x 0.5 + 6 x 1) / 1.5 = 5.
  assert.deepEqual(Array.from(areaResize(Float32Array.from([0, 3, 6]), 3, 1, 2, 1)), [1, 5]);
  // 4 -> 2: plain pair means.
  assert.deepEqual(Array.from(areaResize(Float32Array.from([2, 4, 10, 20]), 4, 1, 2, 1)), [3, 15]);
});

test('border cut: a 3x3 square against the left edge of a 6x6 image is 3 of its 8 outline pixels', () => {
  const m = new Uint8Array(36);
  for (let y = 2; y < 5; y++) for (let x = 0; x < 3; x++) m[y * 6 + x] = 1;
  assert.equal(borderCut(m, 6, 6), 3 / 8);
  // Moved one pixel right: nothing on the border.
  const inner = new Uint8Array(36);
  for (let y = 2; y < 5; y++) for (let x = 1; x < 4; x++) inner[y * 6 + x] = 1;
  assert.equal(borderCut(inner, 6, 6), 0);
});

test('colourfulness counts visible pixels with chroma >= 32', () => {
  // (255,0,0): chroma 255, coloured; (100,110,120): chroma 20, not; a transparent red pixel is not counted.
  const img: RawImage = { data: Uint8Array.from([255, 0, 0, 255, 100, 110, 120, 255, 255, 0, 0, 0]), width: 3, height: 1, channels: 4 };
  assert.equal(colourfulness(img), 0.5);
});

test('Laplacian variance by hand on a 4x3 plane', () => {
  // Interior pixels (1,1) and (2,1) with a single 8 at (1,1): L = -32 and 8; mean -12; variance (20^2 + 20^2) / 2 = 400.
  const g = Float32Array.from([0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0]);
  assert.equal(laplacianVariance(g, 4, 3), 400);
});

test('on a real illustration, a blurred copy measures far less sharp and a greyscale copy has no colour', async () => {
  // miku_1.jpg from ../shared/data; Gaussian blur sigma 3 (sharp) keeps the size, so the ratio is the blur alone.
  const path = resolve('../shared/data/illustrations/images/miku_1.jpg');
  const rgb = async (s: Sharp): Promise<RawImage> => {
    const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
  };
  const original = await rgb(sharp(path));
  const blurred = await rgb(sharp(path).blur(3));
  // Greyscale saved as a 3-channel JPEG (as a scan would be), decoded back: equal channels up to JPEG noise.
  const grey = await rgb(sharp(await sharp(path).grayscale().toColourspace('srgb').jpeg({ quality: 90 }).toBuffer()));
  assert.ok(sharpness(blurred) < sharpness(original) / 4, `${sharpness(blurred)} vs ${sharpness(original)}`);
  assert.ok(colourfulness(original) > 0.3, `colour ${colourfulness(original)}`);
  assert.equal(colourfulness(grey), 0);
});

test('framing geometry: buckets by log aspect, the square is the --crops square', () => {
  assert.deepEqual(pickBucket(1), [1024, 1024]);
  // ln 0.5 = -0.693: 768/1344 (ln -0.560, 0.134 away) is nearer than 640/1536 (ln -0.875, 0.182 away).
  assert.deepEqual(pickBucket(0.5), [768, 1344]);
  assert.deepEqual(pickBucket(0.4), [640, 1536]);
  assert.deepEqual(pickBucket(1.3, 512), [576, 448]); // 1152x896 (1.286) halved
  // frameGeometry at aspect 1 is cropGeometry: 10x4 box, margin 0.1 -> m = 1, side 12, centred.
  assert.deepEqual(frameGeometry([5, 5, 15, 9], 1, 0.1), { region: [4, 1, 16, 13], width: 12, height: 12 });
  assert.deepEqual(cropGeometry([5, 5, 15, 9], { size: 'square', margin: 0.1 }).region, [4, 1, 16, 13]);
});

function randomHash(rng: () => number): Hash64 {
  return { hi: Math.floor(rng() * 2 ** 32) >>> 0, lo: Math.floor(rng() * 2 ** 32) >>> 0 };
}
function flip(h: Hash64, bits: number[]): Hash64 {
  let { hi, lo } = h;
  for (const b of bits) if (b < 32) lo = (lo ^ (1 << b)) >>> 0; else hi = (hi ^ (1 << (b - 32))) >>> 0;
  return { hi, lo };
}

test('near-duplicate groups: a distance spread over all four bands is found; one bit more is not', () => {
  const a = { hi: 0x12345678, lo: 0x9abcdef0 };
  // 10 bits: 3 + 3 + 2 + 2 over bands 0..3 (every band more than floor(10/4) = 2 bits is impossible: 12 > 10).
  const b = flip(a, [0, 1, 2, 16, 17, 18, 32, 33, 48, 49]);
  assert.equal(hamming(a, b), 10);
  assert.deepEqual(groupNearDuplicates([a, b], 10).groups, [[0, 1]]);
  const c = flip(b, [50]);
  assert.deepEqual(groupNearDuplicates([a, c], 10).groups, []);
  assert.deepEqual(groupNearDuplicates([a, c], 11).groups, [[0, 1]]);
});

test('near-duplicate groups equal the brute-force all-pairs answer (transitive), with far fewer comparisons', () => {
  // mulberry32: every bit of the 32-bit output is well mixed (an LCG's low bits are not).
  let s = 12345;
  const rng = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const hashes: Hash64[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 10 === 9) {
      const base = hashes[Math.floor(rng() * hashes.length)];
      hashes.push(flip(base, Array.from({ length: Math.floor(rng() * 14) }, () => Math.floor(rng() * 64))));
    } else hashes.push(randomHash(rng));
  }
  const T = 10;
  const got = groupNearDuplicates(hashes, T);
  // Oracle: union-find over every pair.
  const parent = hashes.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  let pairs = 0;
  for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) if (hamming(hashes[i], hashes[j]) <= T) {
    pairs++;
    const [ri, rj] = [find(i), find(j)];
    if (ri !== rj) parent[Math.max(ri, rj)] = Math.min(ri, rj);
  }
  const byRoot = new Map<number, number[]>();
  hashes.forEach((_, i) => byRoot.set(find(i), [...(byRoot.get(find(i)) ?? []), i]));
  const expected = [...byRoot.values()].filter((g) => g.length > 1).sort((x, y) => x[0] - y[0]);
  assert.ok(expected.length > 100, `planted groups: ${expected.length}`);
  assert.deepEqual(got.groups, expected);
  assert.equal(got.pairs.length, pairs);
  assert.ok(got.comparisons < (hashes.length * (hashes.length - 1)) / 2 / 100, `comparisons ${got.comparisons}`);
});
