import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { AnimesegError } from '../../src/errors.js';
import { compressRle, decodeRle, encodeRle, rleArea, rleFromJson, rleFromString, rleToString } from '../../src/mask/rle.js';
import type { Rle } from '../../src/mask/types.js';
import { art, randomBlobs, randomNoise, REF_ROOT } from './helpers.js';

test('encodeRle: hand-worked 2x3 mask, column-major runs starting with background', () => {
  // rows: ". # #" / "# # ." -> columns read top to bottom: (0,1) (1,1) (1,0) = 0,1,1,1,1,0
  // -> runs: bg 1, fg 4, bg 1
  const m = art('.##', '##.');
  assert.deepEqual(encodeRle(m), { size: [2, 3], counts: [1, 4, 1] });
  assert.deepEqual(decodeRle({ size: [2, 3], counts: [1, 4, 1] }).data, m.data);
});

test('encodeRle: first pixel foreground gives a leading 0 run; empty and full masks', () => {
  // column-major: col0 = 1,0 ; col1 = 0,0 -> 1,0,0,0 -> bg 0, fg 1, bg 3
  assert.deepEqual(encodeRle(art('#.', '..')).counts, [0, 1, 3]);
  assert.deepEqual(encodeRle(art('...', '...')).counts, [6]);
  assert.deepEqual(encodeRle(art('##', '##')).counts, [0, 4]);
  assert.deepEqual(encodeRle({ data: new Uint8Array(0), width: 0, height: 0 }).counts, [0]);
});

test('RLE round trip on random blobs and noise, area = sum of odd counts', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const m = seed % 2 ? randomBlobs(37, 23, seed) : randomNoise(37, 23, seed, 0.3);
    const rle = encodeRle(m);
    assert.equal(rle.counts.reduce((a, b) => a + b, 0), 37 * 23);
    let area = 0;
    for (const v of m.data) area += v;
    assert.equal(rleArea(rle), area);
    assert.deepEqual(decodeRle(rle).data, m.data);
    assert.deepEqual(rleFromString(rleToString(rle), 23, 37), rle);
  }
});

test('rleToString: hand-encoded pycocotools strings', () => {
  // pycocotools rleToString: 5 bits per char + 48, bit 0x20 = "more", counts after the 2nd are
  // stored as the difference to counts[i-2].
  // [1,4,1] -> 1,4,1 (i=2 is not differenced) -> "141"
  assert.equal(rleToString({ size: [2, 3], counts: [1, 4, 1] }), '141');
  // [5,3,2,10]: 10-3 = 7 -> "5327"
  assert.equal(rleToString({ size: [4, 5], counts: [5, 3, 2, 10] }), '5327');
  // [10,20,3,5]: 5-20 = -15 -> low 5 bits 17 (sign bit 0x10 set), rest -1 -> stop: 17+48 = 'A'
  // 10 -> ':' (58); 3 -> '3'; 20 = 0b10100 has the sign bit 0x10 set, so it needs a continuation:
  // 20|0x20 = 52 -> 'd', then 0 -> '0'
  assert.equal(rleToString({ size: [38, 1], counts: [10, 20, 3, 5] }), ':d03A');
  // 100 = 3*32 + 4: first char 4|0x20 = 36 -> 'T', then 3 -> '3'
  assert.equal(rleToString({ size: [10, 10], counts: [100] }), 'T3');
  assert.deepEqual(rleFromString(':d03A', 38, 1).counts, [10, 20, 3, 5]);
  assert.deepEqual(rleFromString('T3', 10, 10).counts, [100]);
});

test('compressed strings survive counts beyond 2^31 (no 32-bit overflow)', () => {
  const big = 3_000_000_000;
  const rle: Rle = { size: [60_000, 50_000], counts: [big - 7, 7] };
  assert.deepEqual(rleFromString(rleToString(rle), 60_000, 50_000).counts, rle.counts);
});

test('malformed RLE input is an AnimesegError, not a crash or a wrong mask', () => {
  const isBad = (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT';
  assert.throws(() => decodeRle({ size: [2, 3], counts: [1, 4] }), isBad); // sums to 5, not 6
  assert.throws(() => decodeRle({ size: [2, 3], counts: [1, -1, 6] }), isBad);
  assert.throws(() => decodeRle({ size: [2, 3], counts: [1.5, 4.5] }), isBad);
  assert.throws(() => rleFromString('14', 2, 3), isBad); // sums to 5
  assert.throws(() => rleFromString('1~', 2, 3), isBad); // '~' is outside the alphabet
  assert.throws(() => rleFromString('T', 10, 10), isBad); // continuation bit set, then the string ends
  assert.throws(() => rleFromJson({ counts: [6] }, 'a.json'), (e) => isBad(e) && (e as AnimesegError).file === 'a.json');
  assert.throws(() => encodeRle({ data: new Uint8Array(5), width: 2, height: 3 }), isBad);
});

test('rleFromJson accepts uncompressed and compressed counts', () => {
  assert.deepEqual(rleFromJson({ size: [2, 3], counts: [1, 4, 1] }).counts, [1, 4, 1]);
  assert.deepEqual(rleFromJson({ size: [2, 3], counts: '141' }).counts, [1, 4, 1]);
  assert.deepEqual(compressRle({ size: [2, 3], counts: [1, 4, 1] }), { size: [2, 3], counts: '141' });
});

test('Ultralytics reference masks: areas match, decode/encode reproduces the counts exactly', () => {
  // Expected values: mask_*_rle / area_* written by Ultralytics 8.2.103 (../shared/data/reference/yolo).
  let checked = 0;
  for (const name of readdirSync(REF_ROOT).sort()) {
    const ref = JSON.parse(readFileSync(`${REF_ROOT}${name}/reference.json`, 'utf8'));
    const [h, w] = ref.orig_size as [number, number];
    for (const d of ref.detections) {
      for (const [key, areaKey, size] of [
        ['mask_native_rle', 'area_native', [h, w]],
        ['mask_letterbox_rle', 'area_letterbox', [320, 320]],
      ] as const) {
        const rle = d[key] as Rle;
        assert.deepEqual(rle.size, size);
        assert.equal(rleArea(rle), d[areaKey]);
        const m = decodeRle(rle);
        assert.equal(m.width, size[1]);
        let area = 0;
        for (const v of m.data) area += v;
        assert.equal(area, d[areaKey]);
        assert.deepEqual(encodeRle(m).counts, rle.counts);
        checked++;
      }
    }
  }
  assert.ok(checked >= 20, `only ${checked} reference masks found`);
});

test('encodeRle (reads only the mask box) gives the counts of a plain full column-major scan', () => {
  // The definition, written out: every pixel in column-major order, runs starting with background.
  const fullScan = (m: { data: Uint8Array; width: number; height: number }): number[] => {
    const counts: number[] = [];
    let cur = 0;
    let run = 0;
    for (let x = 0; x < m.width; x++) {
      for (let y = 0; y < m.height; y++) {
        const v = m.data[y * m.width + x] !== 0 ? 1 : 0;
        if (v === cur) run++;
        else {
          counts.push(run);
          run = 1;
          cur = v;
        }
      }
    }
    counts.push(run);
    return counts;
  };
  const w = 19;
  const h = 13;
  // Small blobs at every kind of place: corners, edges, middle, one pixel, a full column or row.
  const boxes: [number, number, number, number][] = [[0, 0, 1, 1], [18, 12, 19, 13], [0, 5, 19, 6], [7, 0, 8, 13], [3, 4, 9, 10], [0, 0, 19, 13], [12, 0, 19, 4], [0, 9, 5, 13]];
  for (const [x0, y0, x1, y1] of boxes) {
    for (let seed = 1; seed <= 5; seed++) {
      const noise = randomNoise(w, h, seed, 0.6);
      const m = { data: new Uint8Array(w * h), width: w, height: h };
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m.data[y * w + x] = noise.data[y * w + x];
      m.data[y0 * w + x0] = 1; // the box corner is set, so the box is the one asked for
      assert.deepEqual(encodeRle(m).counts, fullScan(m), `box ${[x0, y0, x1, y1]} seed ${seed}`);
    }
  }
  for (let seed = 1; seed <= 10; seed++) {
    const m = randomBlobs(37, 23, seed);
    assert.deepEqual(encodeRle(m).counts, fullScan(m));
  }
});
