/**
 * 8-bit bilinear resize that is bit-exact with OpenCV's `cv::resize(..., INTER_LINEAR)` (4.x, x86 build).
 *
 * Written by hand because no Node library reproduces OpenCV's fixed-point arithmetic, and Ultralytics'
 * letterbox uses it: matching it makes our network input identical to Ultralytics' (see
 * ../shared/data/reference/yolo/dev/*\/input.f32). What OpenCV does, and we copy:
 * - source coordinate fx = float((dx + 0.5) * scale - 0.5), scale = 1 / (dst / src) in double;
 *   sx = floor(fx), weights (1 - fx, fx) rounded to 11-bit fixed point (INTER_RESIZE_COEF_BITS = 11);
 *   columns left of 0 / right of the last pixel are clamped with weight 0.
 * - horizontal pass in int32 (value * 2048 scale), vertical pass with 11-bit row weights.
 * - the vertical pass rounds like OpenCV's SIMD kernel (VResizeLinearVec_32s8u):
 *   ((b0 * (S0 >> 4)) >> 16) + ((b1 * (S1 >> 4)) >> 16), then (v + 2) >> 2. Its plain-C formula
 *   (b0 * S0 + b1 * S1 + 2^21) >> 22 can differ by 1; measured against OpenCV 4.6 (the version behind
 *   the reference tensors) on 21 size pairs incl. 1-6 px wide images and every reference image, the SIMD
 *   formula matches on every element, row tails included, so it is used for the whole row.
 * - an exact 2x downscale in both directions switches to INTER_AREA's fast path (mean of 2x2, rounded).
 */
import type { RawImage } from './types.js';
import { COEF_SCALE, axisTable, twoRowBuffer } from '../util/opencv-linear.js';
import { roundHalfEven } from '../util/numeric.js';

/**
 * The size an image is shrunk to so its longest side is at most maxSide (never enlarged), as the original
 * work shrinks images for SAM: scale = maxSide / longest, sides int(x * scale) — truncated, in double
 * precision like Python (so 2001 x 1000 at 1920 gives 1920 x 959, where rounding would give 960).
 */
export function shrinkToMaxSide(w: number, h: number, maxSide: number): [number, number] {
  if (Math.max(w, h) <= maxSide) return [w, h];
  const scale = maxSide / Math.max(w, h);
  return [Math.max(1, Math.trunc(w * scale)), Math.max(1, Math.trunc(h * scale))];
}

/** Resize an interleaved u8 image to (dw, dh) exactly like cv2.resize(img, (dw, dh), INTER_LINEAR). */
export function resizeBilinearU8(img: RawImage, dw: number, dh: number): RawImage {
  const { width: sw, height: sh, channels: cn } = img;
  if (dw === sw && dh === sh) return { data: img.data.slice(), width: sw, height: sh, channels: cn };
  const out = new Uint8Array(dw * dh * cn);
  const rowLen = dw * cn;
  resizeBilinearU8Rows(img, dw, dh, (dy, row) => out.set(row, dy * rowLen));
  return { data: out, width: dw, height: dh, channels: cn };
}

/**
 * resizeBilinearU8 one output row at a time, top to bottom: `onRow(dy, row)` gets row dy (dw * channels bytes)
 * in a buffer that is reused for the next row (the image itself, row by row, when the size is unchanged).
 * For callers that convert the result anyway (the letterbox's float tensor): no resized image is allocated.
 */
export function resizeBilinearU8Rows(img: RawImage, dw: number, dh: number, onRow: (dy: number, row: Uint8Array) => void): void {
  const { width: sw, height: sh, channels: cn } = img;
  const src = img.data;
  if (dw === sw && dh === sh) {
    for (let y = 0; y < dh; y++) onRow(y, src.subarray(y * sw * cn, (y + 1) * sw * cn));
    return;
  }
  if (sw === dw * 2 && sh === dh * 2) {
    halveArea(img, onRow);
    return;
  }
  const xt = axisTable(sw, dw);
  const rowLen = dw * cn;
  // Per destination pixel: byte offset of its first source tap and the two weights (shared by its channels).
  const xofs = new Int32Array(dw);
  const xa0 = new Int32Array(dw);
  const xa1 = new Int32Array(dw);
  for (let dx = 0; dx < dw; dx++) {
    xofs[dx] = xt.ofs[dx] * cn;
    xa0[dx] = xt.w0[dx];
    xa1[dx] = xt.w1[dx];
  }
  // From xmax on (OpenCV's xmax), the first tap is the last column and the second would read past the row.
  let xmax = 0;
  while (xmax < dw && xt.ofs[xmax] < sw - 1) xmax++;
  const hpass = cn === 3 ? hpassRow3 : cn === 1 ? hpassRow1 : hpassRowN;
  // Horizontal pass per source row, cached: two rows are live at a time (OpenCV keeps a ring buffer).
  const rows = twoRowBuffer(new Int32Array(rowLen), new Int32Array(rowLen), (sy, buf) => hpass(src, sy * sw * cn, xofs, xa0, xa1, xmax, dw, cn, buf));

  const row = new Uint8Array(rowLen);
  for (let dy = 0; dy < dh; dy++) {
    // OpenCV's row table: floor without the clamps used for columns; rows are clamped on fetch.
    let fy = Math.fround((dy + 0.5) * (1 / (dh / sh)) - 0.5);
    const sy = Math.floor(fy);
    fy = Math.fround(fy - sy);
    const b0 = roundHalfEven(Math.fround(1 - fy) * COEF_SCALE);
    const b1 = roundHalfEven(fy * COEF_SCALE);
    const y0 = Math.min(Math.max(sy, 0), sh - 1);
    const y1 = Math.min(Math.max(sy + 1, 0), sh - 1);
    const [S0, S1] = rows(y0, y1);
    vpassRow(S0, S1, b0, b1, rowLen, row, 0);
    onRow(dy, row);
  }
}

/**
 * Horizontal pass of one source row (int32, value * 2048) into `out`, dw pixels of cn channels: taps at byte
 * offsets xofs and xofs + cn with weights xa0, xa1; from pixel xmax on only the first tap (weight 2048).
 * Top-level functions with monomorphic typed arguments rather than closures, which V8 compiled poorly, and
 * one version per common channel count so each pixel's table entries are read once for all its channels.
 */
function hpassRow3(src: Uint8Array, base: number, xofs: Int32Array, xa0: Int32Array, xa1: Int32Array, xmax: number, dw: number, _cn: number, out: Int32Array): void {
  let o = 0;
  let dx = 0;
  for (; dx < xmax; dx++, o += 3) {
    const p = base + xofs[dx];
    const a = xa0[dx];
    const b = xa1[dx];
    out[o] = src[p] * a + src[p + 3] * b;
    out[o + 1] = src[p + 1] * a + src[p + 4] * b;
    out[o + 2] = src[p + 2] * a + src[p + 5] * b;
  }
  for (; dx < dw; dx++, o += 3) {
    const p = base + xofs[dx];
    out[o] = src[p] * COEF_SCALE;
    out[o + 1] = src[p + 1] * COEF_SCALE;
    out[o + 2] = src[p + 2] * COEF_SCALE;
  }
}

function hpassRow1(src: Uint8Array, base: number, xofs: Int32Array, xa0: Int32Array, xa1: Int32Array, xmax: number, dw: number, _cn: number, out: Int32Array): void {
  let dx = 0;
  for (; dx < xmax; dx++) {
    const p = base + xofs[dx];
    out[dx] = src[p] * xa0[dx] + src[p + 1] * xa1[dx];
  }
  for (; dx < dw; dx++) out[dx] = src[base + xofs[dx]] * COEF_SCALE;
}

function hpassRowN(src: Uint8Array, base: number, xofs: Int32Array, xa0: Int32Array, xa1: Int32Array, xmax: number, dw: number, cn: number, out: Int32Array): void {
  let o = 0;
  let dx = 0;
  for (; dx < xmax; dx++) {
    const p = base + xofs[dx];
    const a = xa0[dx];
    const b = xa1[dx];
    for (let k = 0; k < cn; k++, o++) out[o] = src[p + k] * a + src[p + k + cn] * b;
  }
  for (; dx < dw; dx++) {
    const p = base + xofs[dx];
    for (let k = 0; k < cn; k++, o++) out[o] = src[p + k] * COEF_SCALE;
  }
}

/** Vertical pass of one output row, rounding like OpenCV's SIMD kernel (see the file comment). */
function vpassRow(S0: Int32Array, S1: Int32Array, b0: number, b1: number, rowLen: number, out: Uint8Array, o: number): void {
  for (let x = 0; x < rowLen; x++) {
    // v_mul_hi on int16 lanes: (a * b) >> 16 with arithmetic shift; then a rounding shift by 2.
    const v = ((b0 * (S0[x] >> 4)) >> 16) + ((b1 * (S1[x] >> 4)) >> 16);
    const r = (v + 2) >> 2;
    out[o + x] = r < 0 ? 0 : r > 255 ? 255 : r;
  }
}

/** OpenCV's INTER_AREA fast path for an exact 2x reduction: mean of each 2x2 block, rounded half up. */
function halveArea(img: RawImage, onRow: (dy: number, row: Uint8Array) => void): void {
  const { width: sw, channels: cn } = img;
  const dw = sw >> 1;
  const dh = img.height >> 1;
  const s = img.data;
  const row = new Uint8Array(dw * cn);
  const stride = sw * cn;
  for (let y = 0; y < dh; y++) {
    const r0 = 2 * y * stride;
    const r1 = r0 + stride;
    for (let x = 0; x < dw; x++) {
      for (let k = 0; k < cn; k++) {
        const i = 2 * x * cn + k;
        row[x * cn + k] = (s[r0 + i] + s[r0 + i + cn] + s[r1 + i] + s[r1 + i + cn] + 2) >> 2;
      }
    }
    onRow(y, row);
  }
}
