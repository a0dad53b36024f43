// SAM's encoder input: Pillow-style antialiased bilinear resize, normalisation and zero padding.
// Expected values are hand computations of Pillow's Resample.c (bilinear filter, support scaled by the
// downscale factor, 22-bit fixed-point weights rounded half up) written out below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocessForEncoder, resizeBilinearPil, SAM_PIXEL_MEAN, SAM_PIXEL_STD } from '../../src/models/sam/transforms.js';

test('Pillow bilinear downscale 4 -> 2 (antialiased: support 2 source pixels)', () => {
  // out 0: centre 1.0, taps x=0,1,2 with weights tri(-0.25), tri(0.25), tri(0.75) = .75,.75,.25 (/1.75)
  //   (3*10 + 3*20 + 30)/7 = 17.14 -> 17
  // out 1: centre 3.0, taps x=1,2,3: .25,.75,.75 -> (20*.25 + 30*.75 + 40*.75)/1.75 = 32.86 -> 33
  assert.deepEqual(Array.from(resizeBilinearPil(Uint8Array.from([10, 20, 30, 40]), 4, 1, 1, 2, 1)), [17, 33]);
});

test('Pillow bilinear upscale 2 -> 4 (edge taps renormalised)', () => {
  // centres 0.25, 0.75, 1.25, 1.75: out0 only tap x=0 -> 0; out1 .75*0 + .25*100 = 25; out2 75; out3 100
  assert.deepEqual(Array.from(resizeBilinearPil(Uint8Array.from([0, 100]), 2, 1, 1, 4, 1)), [0, 25, 75, 100]);
});

test('Pillow bilinear: two passes, each rounded to u8; channels independent', () => {
  // 2x2 -> 1x1, weights .5/.5 per axis. Horizontal: (10+21)/2 = 15.5 -> 16, (30+41)/2 = 35.5 -> 36;
  // vertical (16+36)/2 = 26. Second channel: rows (200,200) -> 200 and (200,201) -> 200.5 -> 201, then
  // (200+201)/2 = 200.5 -> 201, where one exact pass would give 200.25 -> 200.
  const src = Uint8Array.from([10, 200, 21, 200, 30, 200, 41, 201]);
  assert.deepEqual(Array.from(resizeBilinearPil(src, 2, 2, 2, 1, 1)), [26, 201]);
  // same size: a copy
  const same = resizeBilinearPil(src, 2, 2, 2, 2, 2);
  assert.deepEqual(Array.from(same), Array.from(src));
  assert.notEqual(same, src);
});

test('encoder input: resize longest side to 1024, normalise, zero-pad bottom/right, CHW', () => {
  // a uniform 2x1 (W x H) image: resized to 1024 x int(0.5*1024 + 0.5) = 512 rows, the rest padding
  const rgb = [200, 100, 50];
  const img = { data: Uint8Array.from([...rgb, ...rgb]), width: 2, height: 1, channels: 3 as const };
  const pre = preprocessForEncoder(img);
  assert.deepEqual(pre.inputSize, [512, 1024]);
  assert.deepEqual(pre.originalSize, [1, 2]);
  assert.equal(pre.tensor.length, 3 * 1024 * 1024);
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    // float32 (v - mean) / std, as SAM/labelme compute it in float32
    const want = f(f(rgb[c] - f(SAM_PIXEL_MEAN[c])) / f(SAM_PIXEL_STD[c]));
    const plane = c * 1024 * 1024;
    assert.equal(pre.tensor[plane], want, `channel ${c} top-left`);
    assert.equal(pre.tensor[plane + 511 * 1024 + 1023], want, `channel ${c} last resized pixel`);
    assert.equal(pre.tensor[plane + 512 * 1024], 0, `channel ${c} first padded row`);
    assert.equal(pre.tensor[plane + 1023 * 1024 + 1023], 0);
  }
});

test('encoder input of a crop; gray and RGBA inputs become RGB', () => {
  // 4x2 RGBA image: left half red, right half blue; crop [2,0,4,2] is all blue -> 2x2 -> 1024x1024
  const px = (r: number, g: number, b: number) => [r, g, b, 255];
  const data = Uint8Array.from([...px(255, 0, 0), ...px(255, 0, 0), ...px(0, 0, 255), ...px(0, 0, 255)].concat(
    [...px(255, 0, 0), ...px(255, 0, 0), ...px(0, 0, 255), ...px(0, 0, 255)]));
  const pre = preprocessForEncoder({ data, width: 4, height: 2, channels: 4 }, [2, 0, 4, 2]);
  assert.deepEqual(pre.inputSize, [1024, 1024]);
  assert.deepEqual(pre.originalSize, [2, 2]);
  const f = Math.fround;
  const norm = (v: number, c: number) => f(f(v - f(SAM_PIXEL_MEAN[c])) / f(SAM_PIXEL_STD[c]));
  assert.equal(pre.tensor[0], norm(0, 0));
  assert.equal(pre.tensor[2 * 1024 * 1024 + 5000], norm(255, 2));
  // gray: the value is replicated into the three channels
  const g = preprocessForEncoder({ data: Uint8Array.from([77]), width: 1, height: 1, channels: 1 });
  for (let c = 0; c < 3; c++) assert.equal(g.tensor[c * 1024 * 1024 + 12345], norm(77, c));
});
