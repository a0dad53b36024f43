/**
 * Mask and logit resizing with the exact index/weight rules of the libraries the references use:
 * OpenCV's cv2.resize (INTER_NEAREST, INTER_LINEAR) for binary masks and PyTorch's
 * F.interpolate(mode='bilinear', align_corners=False) for float logits. Written by hand: sharp only
 * resizes images, with its own (libvips) kernels.
 */
import { AnimesegError } from '../errors.js';
import { axisTable, axisTaps, twoRowBuffer } from '../util/opencv-linear.js';
import { createMask, type Mask } from './types.js';
import { checkMask, checkSize } from './validate.js';

/**
 * cv2.resize(..., interpolation=INTER_NEAREST): dst (x, y) takes src (floor(x * sw/dw), floor(y * sh/dh)),
 * clamped to the last pixel. The scale is computed as OpenCV does (1 / (dw / sw) in double), which matters
 * for the rare products that land just below an integer.
 */
export function resizeMaskNearest(m: Mask, width: number, height: number): Mask {
  checkMask(m);
  checkTarget(m, width, height);
  if (width === m.width && height === m.height) return { data: m.data.slice(), width, height };
  const out = createMask(width, height);
  const ifx = 1 / (width / m.width);
  const ify = 1 / (height / m.height);
  const xofs = new Int32Array(width);
  for (let x = 0; x < width; x++) xofs[x] = Math.min(Math.floor(x * ifx), m.width - 1);
  const src = m.data;
  const dst = out.data;
  let prevSy = -1;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor(y * ify), m.height - 1);
    const row = y * width;
    if (sy === prevSy) {
      dst.copyWithin(row, row - width, row); // same source row as the previous output row
      continue;
    }
    prevSy = sy;
    const srow = sy * m.width;
    for (let x = 0; x < width; x++) dst[row + x] = src[srow + xofs[x]];
  }
  return out;
}

/**
 * Smooth mask resize: what `cv2.resize(mask * 255, (w, h), interpolation=INTER_LINEAR) > 127` gives.
 * This is the usual way to resize a binary mask without blocky steps; thresholding the 0/255 image keeps
 * the decision exactly at half coverage (a 0/1 u8 image would round in OpenCV's fixed point instead).
 *
 * Uses OpenCV's fixed-point scheme: half-pixel centres, sampling coordinate clamped to the image, weights
 * rounded to 11 bits (INTER_RESIZE_COEF_SCALE = 2048), the vertical pass rounded with (v + 2^21) >> 22.
 * OpenCV's SIMD vertical pass rounds slightly differently (it pre-shifts by 4 bits), so a pixel whose value
 * lands exactly on 127/128 may differ; for 0/255 inputs that needs an exact tie and is very rare.
 * An exact half-coverage tie (127.5) rounds to 128 and so counts as foreground.
 * In OpenCV's scalar fixed point this is exactly the same decision as resizing the 0/1 image itself
 * (Ultralytics' polygon2mask does that): both set a pixel when the summed 22-bit weight is >= 2^21.
 * Checked against Ultralytics' ground-truth masks (4x downscale) in test/mask/ultralytics-gt.test.ts.
 */
export function resizeMaskLinear(m: Mask, width: number, height: number): Mask {
  checkMask(m);
  checkTarget(m, width, height);
  if (width === m.width && height === m.height) return { data: m.data.slice(), width, height };
  const sw = m.width;
  const sh = m.height;
  const xw = cvLinearTable(sw, width);
  const yw = cvLinearTable(sh, height);
  const src = m.data;
  const out = createMask(width, height);
  const dst = out.data;
  // Two horizontally resized source rows (OpenCV's ring buffer), 0/255 input times 11-bit weights.
  const rows = twoRowBuffer(new Int32Array(width), new Int32Array(width), (sy, buf) => {
    const base = sy * sw;
    for (let x = 0; x < width; x++) {
      const sx = xw.idx[x];
      const v0 = src[base + sx] !== 0 ? 255 : 0;
      const v1 = src[base + xw.idx1[x]] !== 0 ? 255 : 0;
      buf[x] = v0 * xw.w0[x] + v1 * xw.w1[x];
    }
  });
  for (let y = 0; y < height; y++) {
    const [rowA, rowB] = rows(yw.idx[y], yw.idx1[y]);
    const b0 = yw.w0[y];
    const b1 = yw.w1[y];
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = (rowA[x] * b0 + rowB[x] * b1 + (1 << 21)) >> 22;
      dst[row + x] = v > 127 ? 1 : 0;
    }
  }
  return out;
}

/**
 * cv2.resize(plane, (dw, dh)) of a float32 plane with the default INTER_LINEAR: OpenCV's floating-point path
 * (no fixed point for float input), step by step in float32: source coordinate fx = float((d + 0.5) * scale
 * - 0.5), weights (1 - fx, fx); columns clamped (weight 0 past either edge), rows clamped on fetch with their
 * unclamped weights; horizontal pass S[x0]*a0 + S[x1]*a1, then vertical S0*b0 + S1*b1, each product and sum
 * rounded to float32 (OpenCV's SSE kernels use no FMA). An exact 2x reduction in both directions becomes
 * INTER_AREA's mean of each 2x2 block, as in OpenCV. The original vote fusion resizes its float32 YOLO masks
 * this way before truncating them to uint8, so exact integers must stay exact (they do: a0 + a1 rounds to 1).
 */
export function resizeLinearF32Cv(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  checkSize(sw, sh, 'source plane');
  checkSize(dw, dh, 'target plane');
  if (src.length !== sw * sh) throw new AnimesegError('BAD_INPUT', `float plane length ${src.length} does not match ${sw}x${sh}`);
  if (dw === sw && dh === sh) return src.slice();
  const out = new Float32Array(dw * dh);
  if (dw === 0 || dh === 0) return out;
  if (sw === 0 || sh === 0) throw new AnimesegError('BAD_INPUT', `cannot resize an empty ${sw}x${sh} plane to ${dw}x${dh}`);
  const fr = Math.fround;
  if (sw === 2 * dw && sh === 2 * dh) {
    for (let y = 0; y < dh; y++) {
      for (let x = 0; x < dw; x++) {
        const i = 2 * y * sw + 2 * x;
        out[y * dw + x] = fr(fr(fr(src[i] + src[i + 1]) + fr(src[i + sw] + src[i + sw + 1])) * 0.25);
      }
    }
    return out;
  }
  const scaleY = 1 / (dh / sh);
  const { ofs: x0, frac: a1 } = axisTaps(sw, dw);
  const x1 = new Int32Array(dw);
  const a0 = new Float32Array(dw);
  for (let d = 0; d < dw; d++) {
    x1[d] = Math.min(x0[d] + 1, sw - 1);
    a0[d] = fr(1 - a1[d]);
  }
  const rows = twoRowBuffer(new Float32Array(dw), new Float32Array(dw), (sy, buf) => {
    const b = sy * sw;
    for (let x = 0; x < dw; x++) buf[x] = fr(fr(src[b + x0[x]] * a0[x]) + fr(src[b + x1[x]] * a1[x]));
  });
  for (let y = 0; y < dh; y++) {
    let f = fr((y + 0.5) * scaleY - 0.5);
    const s = Math.floor(f);
    f = fr(f - s);
    const b0 = fr(1 - f);
    const b1 = f;
    const [rowA, rowB] = rows(Math.min(Math.max(s, 0), sh - 1), Math.min(Math.max(s + 1, 0), sh - 1));
    const o = y * dw;
    for (let x = 0; x < dw; x++) out[o + x] = fr(fr(rowA[x] * b0) + fr(rowB[x] * b1));
  }
  return out;
}

interface LinearTable {
  idx: Int32Array;
  idx1: Int32Array;
  w0: Int16Array;
  w1: Int16Array;
}

/** OpenCV resize INTER_LINEAR coordinate table for one axis (fixed-point weights), plus the clamped next index. */
function cvLinearTable(srcSize: number, dstSize: number): LinearTable {
  const { ofs, w0, w1 } = axisTable(srcSize, dstSize);
  const idx1 = new Int32Array(dstSize);
  for (let d = 0; d < dstSize; d++) idx1[d] = Math.min(ofs[d] + 1, srcSize - 1);
  return { idx: ofs, idx1, w0, w1 };
}

/**
 * PyTorch `F.interpolate(x, size=(dh, dw), mode='bilinear', align_corners=False)` for one float32 plane
 * (row-major sw x sh in, dw x dh out), reproducing its float32 arithmetic step by step: scale = sw/dw in
 * float32, source coordinate (d + 0.5) * scale - 0.5 clamped at 0, index = trunc, lambda clamped to [0, 1],
 * the last index not advanced past the edge, rows interpolated first along x then along y
 * (out = t0 * wy0 + t1 * wy1 with t = a * wx0 + b * wx1), every operation rounded to float32.
 * Used for YOLO mask logits, where the sign of each output decides the mask, so exactness matters.
 */
export function resizeBilinearF32(src: Float32Array, sw: number, sh: number, dw: number, dh: number): Float32Array {
  checkSize(sw, sh, 'source plane');
  checkSize(dw, dh, 'target plane');
  if (src.length !== sw * sh) {
    throw new AnimesegError('BAD_INPUT', `float plane length ${src.length} does not match ${sw}x${sh}`);
  }
  const out = new Float32Array(dw * dh);
  if (dw === 0 || dh === 0) return out;
  if (sw === 0 || sh === 0) {
    throw new AnimesegError('BAD_INPUT', `cannot resize an empty ${sw}x${sh} plane to ${dw}x${dh}`);
  }
  const xt = torchLinearTable(sw, dw);
  const yt = torchLinearTable(sh, dh);
  const fr = Math.fround;
  // Horizontal pass on every source row that some output row needs (all of them when upsampling).
  const tmp = new Float32Array(sh * dw);
  const needed = new Uint8Array(sh);
  for (let y = 0; y < dh; y++) {
    needed[yt.idx0[y]] = 1;
    needed[yt.idx1[y]] = 1;
  }
  for (let sy = 0; sy < sh; sy++) {
    if (!needed[sy]) continue;
    const sb = sy * sw;
    const tb = sy * dw;
    for (let x = 0; x < dw; x++) {
      tmp[tb + x] = fr(fr(src[sb + xt.idx0[x]] * xt.l0[x]) + fr(src[sb + xt.idx1[x]] * xt.l1[x]));
    }
  }
  for (let y = 0; y < dh; y++) {
    const r0 = yt.idx0[y] * dw;
    const r1 = yt.idx1[y] * dw;
    const wy0 = yt.l0[y];
    const wy1 = yt.l1[y];
    const ob = y * dw;
    for (let x = 0; x < dw; x++) out[ob + x] = fr(tmp[r0 + x] * wy0) + fr(tmp[r1 + x] * wy1);
  }
  return out;
}

/** Per output index along one axis: the two source indices and their weights. */
export interface TorchTable {
  idx0: Int32Array;
  idx1: Int32Array;
  l0: Float32Array;
  l1: Float32Array;
}

/**
 * PyTorch compute_source_index_and_lambda (align_corners=False), float32 throughout: the index/weight table
 * of upsample_bilinear2d along one axis. Shared with the YOLO mask code (src/models/yolo/masks.ts).
 */
export function torchLinearTable(inSize: number, outSize: number): TorchTable {
  const fr = Math.fround;
  const idx0 = new Int32Array(outSize);
  const idx1 = new Int32Array(outSize);
  const l0 = new Float32Array(outSize);
  const l1 = new Float32Array(outSize);
  const scale = fr(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    if (inSize === outSize) {
      idx0[o] = o;
      idx1[o] = o;
      l0[o] = 1;
      l1[o] = 0;
      continue;
    }
    let real = fr(fr(scale * fr(o + 0.5)) - 0.5);
    if (real < 0) real = 0;
    const i0 = Math.trunc(real);
    idx0[o] = i0;
    idx1[o] = i0 + (i0 < inSize - 1 ? 1 : 0);
    const lam1 = Math.min(Math.max(fr(real - i0), 0), 1);
    l1[o] = lam1;
    l0[o] = fr(1 - lam1);
  }
  return { idx0, idx1, l0, l1 };
}

function checkTarget(m: Mask, width: number, height: number): void {
  checkSize(width, height, 'target');
  if ((width > 0 && height > 0) && (m.width === 0 || m.height === 0)) {
    throw new AnimesegError('BAD_INPUT', `cannot resize an empty ${m.width}x${m.height} mask to ${width}x${height}`);
  }
}
