/**
 * Exact Euclidean distance transforms (Felzenszwalb & Huttenlocher's lower-envelope algorithm, O(pixels)),
 * written by hand because no maintained Node package works on our Mask type without image round trips.
 */
import { createMask, type Mask } from './types.js';
import { checkMask } from './validate.js';

/**
 * Squared Euclidean distance from every pixel to the nearest pixel where `source` is non-zero
 * (0 on source pixels, Infinity when there is no source pixel at all).
 */
export function squaredDistanceTo(source: Uint8Array, width: number, height: number): Float64Array {
  const n = width * height;
  const out = new Float64Array(n);
  const INF = 1e20;
  for (let i = 0; i < n; i++) out[i] = source[i] !== 0 ? 0 : INF;
  const len = Math.max(width, height);
  const f = new Float64Array(len);
  const d = new Float64Array(len);
  const v = new Int32Array(len);
  const z = new Float64Array(len + 1);
  // columns
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = out[y * width + x];
    edt1d(f, height, d, v, z);
    for (let y = 0; y < height; y++) out[y * width + x] = d[y];
  }
  // rows
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = out[row + x];
    edt1d(f, width, d, v, z);
    for (let x = 0; x < width; x++) out[row + x] = d[x];
  }
  for (let i = 0; i < n; i++) if (out[i] >= INF / 2) out[i] = Infinity;
  return out;
}

/** 1-D squared distance transform of sampled function f (lower envelope of parabolas). */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const dq = q - v[k];
    d[q] = dq * dq + f[v[k]];
  }
}

/**
 * Euclidean distance from each foreground pixel to the nearest background pixel (0 on background), like
 * cv2.distanceTransform(m, DIST_L2, DIST_MASK_PRECISE). Outside the image does not count as background;
 * a mask without background gets Infinity everywhere.
 */
export function distanceTransform(m: Mask): Float32Array {
  checkMask(m);
  const bg = new Uint8Array(m.data.length);
  for (let i = 0; i < bg.length; i++) bg[i] = m.data[i] === 0 ? 1 : 0;
  const sq = squaredDistanceTo(bg, m.width, m.height);
  const out = new Float32Array(sq.length);
  for (let i = 0; i < sq.length; i++) out[i] = Math.sqrt(sq[i]);
  return out;
}

/** Pixels within Euclidean distance `radius` of the foreground: dilation by a disc (x^2 + y^2 <= r^2). */
export function dilateDisc(m: Mask, radius: number): Mask {
  checkMask(m);
  const sq = squaredDistanceTo(m.data, m.width, m.height);
  const out = createMask(m.width, m.height);
  const r2 = radius * radius;
  for (let i = 0; i < sq.length; i++) out.data[i] = sq[i] <= r2 ? 1 : 0;
  return out;
}
