// OpenCV-exact bilinear resize. Expected values: hand computations of OpenCV's fixed-point INTER_LINEAR
// (11-bit weights, vertical pass ((b0*(S0>>4))>>16)+((b1*(S1>>4))>>16), then (v+2)>>2), written out below.
// The full-size check against OpenCV itself is test/yolo/preprocess.test.ts (Ultralytics' input.f32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeBilinearU8 } from '../../src/image/resize.js';

const gray = (w: number, h: number, v: number[]) => ({ data: Uint8Array.from(v), width: w, height: h, channels: 1 as const });

test('same size is a copy', () => {
  const img = gray(2, 2, [1, 2, 3, 4]);
  const r = resizeBilinearU8(img, 2, 2);
  assert.deepEqual([...r.data], [1, 2, 3, 4]);
  assert.notEqual(r.data, img.data);
});

test('upscale 2x1 -> 4x1 by hand', () => {
  // Columns: scale = 0.5, fx = (dx + 0.5) * 0.5 - 0.5 = -0.25, 0.25, 0.75, 1.25.
  //   dx0: sx -1 -> clamped to column 0 with weight 0 -> 0.  dx3: sx 1 is the last column -> 200.
  //   dx1: sx 0, fx 0.25 -> weights (1536, 512): h = 200 * 512 = 102400.
  //   dx2: sx 0, fx 0.75 -> weights (512, 1536): h = 200 * 1536 = 307200.
  // Rows: one row, fy = 0 -> (b0, b1) = (2048, 0); v = (2048 * (h >> 4)) >> 16, out = (v + 2) >> 2:
  //   dx1: 102400 >> 4 = 6400 -> v 200 -> 50.   dx2: 307200 >> 4 = 19200 -> v 600 -> 150.
  //   dx3: 200 * 2048 = 409600 >> 4 = 25600 -> v 800 -> 200.
  const r = resizeBilinearU8(gray(2, 1, [0, 200]), 4, 1);
  assert.deepEqual([...r.data], [0, 50, 150, 200]);
});

test('downscale 3x1 -> 2x1 by hand', () => {
  // scale = 1 / (2/3) = 1.5; fx = (dx + 0.5) * 1.5 - 0.5 = 0.25, 1.75.
  // dx0: taps 0,1 weights (1536, 512): 10*1536 + 20*512 = 25600 -> >>4 1600 -> *2048>>16 = 50 -> (50+2)>>2 = 13.
  // dx1: taps 1,2 weights (512, 1536): 20*512 + 40*1536 = 71680 -> >>4 4480 -> 140 -> (140+2)>>2 = 35.
  const r = resizeBilinearU8(gray(3, 1, [10, 20, 40]), 2, 1);
  assert.deepEqual([...r.data], [13, 35]);
});

test('exact 2x reduction uses the area fast path (mean of 2x2, rounded)', () => {
  // (1 + 2 + 3 + 5 + 2) >> 2 = 3 ; (10 + 20 + 30 + 41 + 2) >> 2 = 25
  const img = gray(4, 2, [1, 2, 10, 20, 3, 5, 30, 41]);
  assert.deepEqual([...resizeBilinearU8(img, 2, 1).data], [3, 25]);
});

test('channels are resized independently and a constant image stays constant', () => {
  const w = 37;
  const h = 23;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([7, 128, 255], i * 3);
  const r = resizeBilinearU8({ data, width: w, height: h, channels: 3 }, 320, 199);
  for (let i = 0; i < 320 * 199; i++) {
    assert.equal(r.data[i * 3], 7);
    assert.equal(r.data[i * 3 + 1], 128);
    assert.equal(r.data[i * 3 + 2], 255);
  }
});
