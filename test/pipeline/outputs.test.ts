// Outputs from a hand-made result: expected pixels and JSON fields are computed by hand in each test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combinedAlpha, contentBounds, cutout, instanceCutouts, parseColor, resultAlpha, resultJson, boxRegion, overlayImage, polygonsInBox } from '../../src/pipeline/outputs.js';
import type { Instance } from '../../src/pipeline/types.js';
import { decodeRle } from '../../src/mask/rle.js';
import { AnimesegError } from '../../src/errors.js';

// 4x3 RGB image, pixel (x, y) = (10x, 10y, 7).
const W = 4;
const H = 3;
const image = { data: new Uint8Array(W * H * 3), width: W, height: H, channels: 3 as const };
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) image.data.set([10 * x, 10 * y, 7], (y * W + x) * 3);
const mask = (pixels: [number, number][]) => {
  const m = { data: new Uint8Array(W * H), width: W, height: H };
  for (const [x, y] of pixels) m.data[y * W + x] = 1;
  return m;
};
const instA: Instance = { classId: 0, className: 'person', score: 0.9, box: [1, 0, 3, 2], mask: mask([[1, 0], [2, 0], [1, 1]]) };
const instB: Instance = { classId: 0, className: 'person', score: 0.5, box: [3, 2, 4, 3], mask: mask([[3, 2]]) };

test('colours: hex, short hex, r,g,b, names; bad ones are BAD_OPTION', () => {
  assert.deepEqual(parseColor('#ff8000'), [255, 128, 0]);
  assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
  assert.deepEqual(parseColor('0, 128,255'), [0, 128, 255]);
  assert.deepEqual(parseColor('black'), [0, 0, 0]);
  assert.throws(() => parseColor('300,0,0'), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  assert.throws(() => parseColor('#ggg'), AnimesegError);
});

test('combined alpha: union of masks, soft alpha where a refiner set one', () => {
  const a = combinedAlpha([instA, instB], W, H);
  assert.deepEqual([...a], [0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 255]);
  const soft = { ...instB, alpha: new Uint8Array(W * H).fill(0) };
  soft.alpha[11] = 99;
  soft.alpha[0] = 10;
  assert.deepEqual([...combinedAlpha([instA, soft], W, H)], [10, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 99]);
  assert.deepEqual([...combinedAlpha([instA, instB], W, H, [1])], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255]);
  assert.throws(() => combinedAlpha([instA], W, H, [3]), AnimesegError);
});

test('cutout: RGBA with transparent pixels zeroed, crop to content, background colour blend', () => {
  const alpha = combinedAlpha([instA], W, H);
  const c = cutout(image, alpha);
  assert.deepEqual([c.width, c.height, c.channels], [W, H, 4]);
  assert.deepEqual([...c.data.subarray(0, 8)], [0, 0, 0, 0, 10, 0, 7, 255]); // (0,0) hidden, (1,0) kept
  assert.deepEqual(contentBounds(alpha, W, H), [1, 0, 3, 2]);
  const cropped = cutout(image, alpha, { crop: true });
  assert.deepEqual([cropped.width, cropped.height], [2, 2]);
  assert.deepEqual([...cropped.data.subarray(0, 4)], [10, 0, 7, 255]);
  // Alpha 128 on white, v' = floor((v * 128 + 255 * 127 + 127) / 255): R 10 -> 33792/255 = 132.5 -> 132,
  // G 0 -> 32512/255 = 127.5 -> 127, B 7 -> 33408/255 = 131.01 -> 131.
  const half = new Uint8Array(W * H);
  half[1] = 128;
  const bg = cutout(image, half, { bgColor: [255, 255, 255] });
  assert.equal(bg.channels, 3);
  assert.deepEqual([...bg.data.subarray(0, 6)], [255, 255, 255, 132, 127, 131]);
  // An empty mask crops to nothing: the full transparent image is kept.
  assert.deepEqual([cutout(image, new Uint8Array(W * H), { crop: true }).width], [W]);
});

test('per-instance cutouts are cropped to the box (floor/ceil, clipped)', () => {
  assert.deepEqual(boxRegion([0.5, 0.2, 2.1, 2.9], W, H), [0, 0, 3, 3]);
  const [a, b] = instanceCutouts(image, [instA, instB]);
  assert.deepEqual([a.width, a.height, b.width, b.height], [2, 2, 1, 1]);
  assert.deepEqual([...b.data], [30, 20, 7, 255]);
});

test('result JSON: class, score, box, area, COCO RLE that decodes back, polygons', () => {
  const j = resultJson({ width: W, height: H, instances: [instA], timings: { inference: 1.23456 } }, { image: 'x.png', model: 'm', settings: {} });
  const i = j.instances[0];
  assert.equal(i.class_name, 'person');
  assert.equal(i.area, 3);
  assert.deepEqual(i.box, [1, 0, 3, 2]);
  // Column-major runs: col0 [0,0,0] col1 [1,1,0] col2 [1,0,0] col3 [0,0,0] -> 3 bg, 2 fg, 1 bg, 1 fg, 5 bg.
  assert.deepEqual(i.rle, { size: [3, 4], counts: [3, 2, 1, 1, 5] });
  assert.deepEqual(decodeRle(i.rle).data, instA.mask.data);
  assert.equal(i.polygons.length, 1);
  assert.equal(j.timings_ms.inference, 1.23);
});

test('overlay keeps the size and tints mask pixels', async () => {
  const o = await overlayImage(image, [instA]);
  assert.deepEqual([o.width, o.height, o.channels], [W, H, 3]);
  // (1,1) is masked: blending with the first palette colour (red 255) at 45% raises its red channel (10).
  assert.ok(o.data[(1 * W + 1) * 3] > image.data[(1 * W + 1) * 3]);
});

test('an already transparent input stays transparent in the cutout (alpha = min(mask, input alpha))', () => {
  const inputAlpha = new Uint8Array(W * H).fill(255);
  inputAlpha[1] = 0; // (1,0) is masked by instA but transparent in the input
  inputAlpha[2] = 60; // (2,0) is masked, half transparent in the input
  const a = resultAlpha({ instances: [instA], width: W, height: H, inputAlpha });
  assert.deepEqual([...a], [0, 0, 60, 0, 0, 255, 0, 0, 0, 0, 0, 0]);
});

test('polygons traced on the bounding box equal tracing the whole image (real masks from the reference)', async () => {
  // Expected value: src/mask/polygon.ts on the full mask (an independent code path: no cropping).
  const { readFileSync, readdirSync } = await import('node:fs');
  const { maskToPolygons } = await import('../../src/mask/polygon.js');
  const REF = '../shared/data/reference/yolo/dev';
  let n = 0;
  for (const stem of readdirSync(REF)) {
    const ref = JSON.parse(readFileSync(`${REF}/${stem}/reference_conf005.json`, 'utf8'));
    for (const d of ref.detections.slice(0, 3)) {
      const m = decodeRle(d.mask_native_rle);
      assert.deepEqual(polygonsInBox(m, { epsilon: 1 }), maskToPolygons(m, { epsilon: 1 }), `${stem} anchor ${d.anchor}`);
      n++;
    }
  }
  assert.ok(n >= 10);
  assert.deepEqual(polygonsInBox({ data: new Uint8Array(12), width: 4, height: 3 }), []);
});
