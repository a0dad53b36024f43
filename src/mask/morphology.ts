/**
 * Binary erosion and dilation with a square (3x3 per iteration) kernel and OpenCV's default border
 * semantics: pixels outside the image never erode anything and never dilate anything.
 *
 * cv2.erode/dilate with a rectangular kernel and `iterations = n` equals one pass with a (2n+1) x (2n+1)
 * rectangle (OpenCV itself rewrites it that way), so we compute the rectangle directly. The rectangle is
 * separable (row pass, then column pass) and each pass here is O(pixels) whatever the radius: the row pass
 * widens runs, the column pass keeps a running count per column instead of scanning the window.
 * Erosion is computed as the complement of dilating the complement; the border rule maps exactly
 * (outside counts as foreground for erosion = outside counts as background for the complement's dilation).
 */
import { AnimesegError } from '../errors.js';
import { createMask, type Mask } from './types.js';
import { checkMask } from './validate.js';

/** cv2.dilate(m, np.ones((3, 3)), iterations). */
export function dilate(m: Mask, iterations = 1): Mask {
  checkIterations(iterations);
  return dilateRect(m, iterations, iterations);
}

/** cv2.erode(m, np.ones((3, 3)), iterations). */
export function erode(m: Mask, iterations = 1): Mask {
  checkIterations(iterations);
  return erodeRect(m, iterations, iterations);
}

/** Dilation by a (2rx+1) x (2ry+1) rectangle (cv2.dilate with np.ones((2ry+1, 2rx+1)), default border). */
export function dilateRect(m: Mask, rx: number, ry: number): Mask {
  checkMask(m);
  const out = createMask(m.width, m.height);
  dilateInto(m.data, out.data, m.width, m.height, rx, ry, false);
  return out;
}

/** Erosion by a (2rx+1) x (2ry+1) rectangle (cv2.erode with np.ones((2ry+1, 2rx+1)), default border). */
export function erodeRect(m: Mask, rx: number, ry: number): Mask {
  checkMask(m);
  const out = createMask(m.width, m.height);
  // dilate the complement (read inverted), then invert the result
  dilateInto(m.data, out.data, m.width, m.height, rx, ry, true);
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] ^= 1;
  return out;
}

/** Opening (erode then dilate), a common way to drop thin spurs and specks. */
export function openMask(m: Mask, iterations = 1): Mask {
  return dilate(erode(m, iterations), iterations);
}

/** Closing (dilate then erode), fills thin gaps and pinholes. */
export function closeMask(m: Mask, iterations = 1): Mask {
  return erode(dilate(m, iterations), iterations);
}

/**
 * dst = dilation of src (or of NOT src when `invert`) by the rectangle, both as 0/1. Pixels outside the
 * image are background of the (possibly inverted) source.
 */
function dilateInto(src: Uint8Array, dst: Uint8Array, w: number, h: number, rx: number, ry: number, invert: boolean): void {
  if (!Number.isInteger(rx) || !Number.isInteger(ry) || rx < 0 || ry < 0) {
    throw new AnimesegError('BAD_OPTION', `morphology radius (${rx}, ${ry}) must be non-negative integers`);
  }
  if (w === 0 || h === 0) return;
  // Row pass: every run of set pixels widens by rx on both sides (TypedArray.fill per run). Separate loops
  // for the two polarities keep the inner scans to one comparison.
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const end = row + w;
    let i = row;
    while (i < end) {
      if (invert) while (i < end && src[i] !== 0) i++;
      else while (i < end && src[i] === 0) i++;
      if (i >= end) break;
      const i0 = i;
      if (invert) while (i < end && src[i] === 0) i++;
      else while (i < end && src[i] !== 0) i++;
      tmp.fill(1, Math.max(row, i0 - rx), Math.min(end, i + rx));
    }
  }
  // Column pass: a running per-column count of set pixels in rows [y - ry, y + ry] (branch-free).
  const cnt = new Int32Array(w);
  for (let y = 0; y < Math.min(ry, h); y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) cnt[x] += tmp[row + x];
  }
  for (let y = 0; y < h; y++) {
    const add = y + ry;
    if (add < h) {
      const row = add * w;
      for (let x = 0; x < w; x++) cnt[x] += tmp[row + x];
    }
    const row = y * w;
    for (let x = 0; x < w; x++) dst[row + x] = cnt[x] > 0 ? 1 : 0;
    const sub = y - ry;
    if (sub >= 0) {
      const srow = sub * w;
      for (let x = 0; x < w; x++) cnt[x] -= tmp[srow + x];
    }
  }
}

function checkIterations(n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new AnimesegError('BAD_OPTION', `morphology iterations must be a non-negative integer, got ${n}`);
  }
}
