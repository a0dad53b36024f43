import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeRle } from '../../src/mask/rle.js';
import { resizeBilinearF32, resizeMaskLinear, resizeMaskNearest } from '../../src/mask/resize.js';
import type { Rle } from '../../src/mask/types.js';
import { art, randomBlobs, randomNoise, REF_ROOT, toArt } from './helpers.js';

test('resizeMaskNearest: hand-worked up- and downscales (src = floor(dst * src/dst))', () => {
  // 2x2 -> 4x4: every source pixel becomes a 2x2 block
  assert.deepEqual(toArt(resizeMaskNearest(art('#.', '.#'), 4, 4)), ['##..', '##..', '..##', '..##']);
  // 4 -> 3 columns: x*4/3 = 0, 1.33, 2.67 -> source columns 0, 1, 2 (column 3 is dropped)
  assert.deepEqual(toArt(resizeMaskNearest(art('...#', '#...'), 3, 2)), ['...', '#..']);
  // 3 -> 5 columns: x*3/5 = 0, 0.6, 1.2, 1.8, 2.4 -> 0, 0, 1, 1, 2
  assert.deepEqual(toArt(resizeMaskNearest(art('.#.'), 5, 1)), ['..##.']);
});

test('resizeMaskLinear: hand-worked 2x2 -> 4x4 (OpenCV half-pixel centres, threshold at half)', () => {
  // Output column x samples source x' = (x + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped
  // to 1), so the weight on source column 0 is 1, 0.75, 0.25, 0; same for rows. With only the top-left pixel
  // set, the output value is 255 * wx * wy: row 0: 255, 191, 64, 0; row 1: 191, 143, 48, 0; row 2: 64, 48, 16, 0.
  // Threshold > 127 keeps the top-left 2x2 block.
  assert.deepEqual(toArt(resizeMaskLinear(art('#.', '..'), 4, 4)), ['##..', '##..', '....', '....']);
  // A diagonal: at (1, 1) the value is 255 * (0.75*0.75 + 0.25*0.25) = 159 -> set; at (1, 2) it is
  // 255 * (0.75*0.25 + 0.25*0.75) = 96 -> not set.
  assert.deepEqual(toArt(resizeMaskLinear(art('#.', '.#'), 4, 4)), ['##..', '##..', '..##', '..##']);
});

test('resizeMaskLinear agrees with a double-precision bilinear formula away from ties', () => {
  // Independent formula: half-pixel centres, coordinate clamped to [0, size-1], value = sum of weights of
  // foreground neighbours. OpenCV rounds weights to 1/2048 and the result to 1/255, so only pixels with |v - 0.5| < 0.002 may differ.
  for (const [sw, sh, dw, dh, seed] of [
    [31, 17, 50, 40, 1],
    [40, 30, 23, 11, 2],
    [64, 48, 97, 13, 3],
    [20, 20, 20, 41, 4],
  ]) {
    const m = seed % 2 ? randomBlobs(sw, sh, seed) : randomNoise(sw, sh, seed, 0.4);
    const out = resizeMaskLinear(m, dw, dh);
    let mismatched = 0;
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        const v = bilinearDouble(m.data, sw, sh, ((x + 0.5) * sw) / dw - 0.5, ((y + 0.5) * sh) / dh - 0.5);
        const want = v > 0.5 ? 1 : 0;
        if (out.data[y * dw + x] !== want) {
          assert.ok(Math.abs(v - 0.5) < 0.002, `(${x},${y}) value ${v} far from the threshold`);
          mismatched++;
        }
      }
    }
    // exact ties (v = 0.5, common with noise) round up to 128 in OpenCV's u8 result and so count as set
    assert.ok(mismatched < 0.02 * dw * dh, `${mismatched} near-tie pixels differ`);
  }
});

function bilinearDouble(d: Uint8Array, w: number, h: number, fx: number, fy: number): number {
  const cx = Math.min(Math.max(fx, 0), w - 1);
  const cy = Math.min(Math.max(fy, 0), h - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const ax = cx - x0;
  const ay = cy - y0;
  const p = (x: number, y: number) => (d[y * w + x] ? 1 : 0);
  return (1 - ay) * ((1 - ax) * p(x0, y0) + ax * p(x1, y0)) + ay * ((1 - ax) * p(x0, y1) + ax * p(x1, y1));
}

test('resizeBilinearF32: hand-worked PyTorch align_corners=False values', () => {
  // 2 -> 4 samples at x' = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (index 1, no right neighbour):
  // [0, 1] -> [0, 0.25, 0.75, 1]
  assert.deepEqual(Array.from(resizeBilinearF32(new Float32Array([0, 1]), 2, 1, 4, 1)), [0, 0.25, 0.75, 1]);
  // 4 -> 2 samples at x' = 0.5, 2.5: [0, 2, 4, 8] -> [1, 6]
  assert.deepEqual(Array.from(resizeBilinearF32(new Float32Array([0, 2, 4, 8]), 4, 1, 2, 1)), [1, 6]);
  // 2x2 -> 3x3 (scale 2/3): x' = (x + 0.5) * 2/3 - 0.5 = -1/6 (-> 0), 0.5, 7/6 (index 1, lambda 1/6 but no
  // neighbour). Centre = mean of the four = 2.5 for [1, 2; 3, 4].
  const r = resizeBilinearF32(new Float32Array([1, 2, 3, 4]), 2, 2, 3, 3);
  assert.equal(r[4], 2.5);
  assert.deepEqual([r[0], r[2], r[6], r[8]], [1, 2, 3, 4]);
  // same size is the identity
  const id = new Float32Array([0.1, -3, 7.25, 1e-9]);
  assert.deepEqual(resizeBilinearF32(id, 2, 2, 2, 2), id);
});

// ---- Ultralytics reference: mask logits from the stored ONNX outputs, upsampled, thresholded at 0 ----

interface Detection {
  anchor: number;
  box: number[];
  box_letterbox: number[];
  mask_letterbox_rle: Rle;
  mask_native_rle: Rle;
}

function loadF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** 80x80 mask logits of one detection: coeffs (output0 channels 84..115 at its anchor) x protos, in float32. */
function logitsFor(o0: Float32Array, o1: Float32Array, anchor: number): Float32Array {
  const out = new Float32Array(6400);
  for (let p = 0; p < 6400; p++) {
    let s = 0;
    for (let c = 0; c < 32; c++) s = Math.fround(s + Math.fround(o0[(84 + c) * 2100 + anchor] * o1[c * 6400 + p]));
    out[p] = s;
  }
  return out;
}

/** Ultralytics crop_mask: keep pixel (r, c) when x1 <= c < x2 and y1 <= r < y2. */
function cropLogits(v: Float32Array, w: number, h: number, box: number[]): void {
  const [x1, y1, x2, y2] = box;
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) if (!(c >= x1 && c < x2 && r >= y1 && r < y2)) v[r * w + c] = 0;
}

function countDiff(values: Float32Array, rle: Rle): number {
  const m = decodeRle(rle);
  let diff = 0;
  for (let i = 0; i < values.length; i++) if ((values[i] > 0 ? 1 : 0) !== m.data[i]) diff++;
  return diff;
}

test('resizeBilinearF32 reproduces Ultralytics process_mask masks (320x320) pixel for pixel', () => {
  // Expected: mask_letterbox_rle from ../shared/data/reference/yolo (Ultralytics 8.2.103, torch 1.13).
  // process_mask crops the 80x80 logits with box/4 (float32), upsamples to 320 and thresholds at 0.
  let n = 0;
  for (const name of readdirSync(REF_ROOT).sort()) {
    const ref = JSON.parse(readFileSync(`${REF_ROOT}${name}/reference.json`, 'utf8'));
    if (ref.detections.length === 0) continue;
    const o0 = loadF32(`${REF_ROOT}${name}/output0.f32`);
    const o1 = loadF32(`${REF_ROOT}${name}/output1.f32`);
    for (const d of ref.detections as Detection[]) {
      const logits = logitsFor(o0, o1, d.anchor);
      cropLogits(logits, 80, 80, d.box_letterbox.map((v) => Math.fround(Math.fround(v) * 0.25)));
      const up = resizeBilinearF32(logits, 80, 80, 320, 320);
      assert.equal(countDiff(up, d.mask_letterbox_rle), 0, `${name} anchor ${d.anchor}`);
      n++;
    }
  }
  assert.ok(n >= 10);
});

test('resizeBilinearF32 reproduces Ultralytics retina (native-size) masks', () => {
  // process_mask_native: scale_masks cuts the letterbox padding off the 80x80 logits (int() of the float64
  // pad), upsamples the window to the original h x w, crops with the original-image box, thresholds at 0.
  // Expected: mask_native_rle from the reference files. Three images keep the test fast.
  for (const name of ['antonio_1', 'eren_1', 'flandre_1']) {
    const ref = JSON.parse(readFileSync(`${REF_ROOT}${name}/reference.json`, 'utf8'));
    const [h, w] = ref.orig_size as [number, number];
    const o0 = loadF32(`${REF_ROOT}${name}/output0.f32`);
    const o1 = loadF32(`${REF_ROOT}${name}/output1.f32`);
    const gain = Math.min(80 / h, 80 / w);
    const padX = (80 - w * gain) / 2;
    const padY = (80 - h * gain) / 2;
    const top = Math.trunc(padY);
    const left = Math.trunc(padX);
    const bottom = Math.trunc(80 - padY);
    const right = Math.trunc(80 - padX);
    const ww = right - left;
    const wh = bottom - top;
    for (const d of ref.detections as Detection[]) {
      const logits = logitsFor(o0, o1, d.anchor);
      const win = new Float32Array(ww * wh);
      for (let r = 0; r < wh; r++) win.set(logits.subarray((r + top) * 80 + left, (r + top) * 80 + right), r * ww);
      const up = resizeBilinearF32(win, ww, wh, w, h);
      cropLogits(up, w, h, d.box.map((v) => Math.fround(v)));
      const diff = countDiff(up, d.mask_native_rle);
      // The README allows a few boundary pixels where float rounding crosses 0.
      assert.ok(diff <= 5, `${name} anchor ${d.anchor}: ${diff} pixels differ`);
    }
  }
});
