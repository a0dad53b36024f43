/**
 * Perceptual hashes of a picture for near-duplicate search: dHash (gradient signs of a 9x8 thumbnail) and
 * pHash (signs of the 8x8 lowest DCT frequencies of a 32x32 thumbnail against their median), both 64 bits,
 * as Python's imagehash defines them (dhash: bit = right pixel > left pixel, row-major; phash: DCT-II of the
 * 32x32 grey thumbnail, the top-left 8x8 including DC, bit = coefficient > median). Cutouts are composited
 * on neutral grey first, so transparency reads the same whatever colour the hidden pixels have.
 *
 * A hash is a pair of unsigned 32-bit halves (hi, lo); bit k of the 64 is bit (63 - k) of hi:lo, so the
 * hex form reads in imagehash's bit order. Thumbnails use area averaging (each output pixel the mean of
 * the source pixels it covers, fractions weighted), which is what makes the hashes stable under resizing.
 */
import type { RawImage } from '../image/types.js';

export interface Hash64 {
  hi: number;
  lo: number;
}

/** Neutral grey under transparent pixels (a cutout's hidden colours must not change its hash). */
export const HASH_BACKGROUND = 128;

/**
 * Luma (ITU-R 601, as PIL's 'L' conversion: 0.299 R + 0.587 G + 0.114 B) of an image, RGBA composited on
 * HASH_BACKGROUND. Float, one value per pixel.
 */
export function greyOf(img: RawImage, background = HASH_BACKGROUND): Float32Array {
  const { data, width, height, channels: cn } = img;
  const out = new Float32Array(width * height);
  for (let p = 0, i = 0; p < out.length; p++, i += cn) {
    if (cn === 1) {
      out[p] = data[i];
      continue;
    }
    let v = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    if (cn === 4) {
      const a = data[i + 3] / 255;
      v = v * a + background * (1 - a);
    }
    out[p] = v;
  }
  return out;
}

/** Per output index along one axis: the source indices it covers and their weights (summing to 1). */
function areaWeights(src: number, dst: number): { start: Int32Array; idx: Int32Array; w: Float32Array } {
  const scale = src / dst;
  const start = new Int32Array(dst + 1);
  const idx: number[] = [];
  const w: number[] = [];
  for (let o = 0; o < dst; o++) {
    const a = o * scale;
    const b = (o + 1) * scale;
    start[o] = idx.length;
    for (let s = Math.floor(a); s < Math.min(src, Math.ceil(b)); s++) {
      const cover = Math.min(b, s + 1) - Math.max(a, s);
      if (cover > 1e-9) {
        idx.push(s);
        w.push(cover / scale);
      }
    }
  }
  start[dst] = idx.length;
  return { start, idx: Int32Array.from(idx), w: Float32Array.from(w) };
}

/** Area-averaged resize of a one-channel float plane (separable: rows, then columns). */
export function areaResize(plane: Float32Array, width: number, height: number, dw: number, dh: number): Float32Array {
  const wx = areaWeights(width, dw);
  const wy = areaWeights(height, dh);
  const tmp = new Float32Array(dw * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let o = 0; o < dw; o++) {
      let s = 0;
      for (let k = wx.start[o]; k < wx.start[o + 1]; k++) s += plane[row + wx.idx[k]] * wx.w[k];
      tmp[y * dw + o] = s;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let o = 0; o < dh; o++) {
    for (let k = wy.start[o]; k < wy.start[o + 1]; k++) {
      const wk = wy.w[k];
      const r = wy.idx[k] * dw;
      for (let x = 0; x < dw; x++) out[o * dw + x] += tmp[r + x] * wk;
    }
  }
  return out;
}

/** 64 booleans (imagehash's order) → Hash64. */
function pack(bits: ArrayLike<boolean>): Hash64 {
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < 32; k++) hi = (hi << 1) | (bits[k] ? 1 : 0);
  for (let k = 32; k < 64; k++) lo = (lo << 1) | (bits[k] ? 1 : 0);
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

/** dHash of a grey plane: 9x8 thumbnail, bit (y, x) = pixel (y, x + 1) > pixel (y, x). */
export function dHashOfGrey(grey: Float32Array, width: number, height: number): Hash64 {
  const t = areaResize(grey, width, height, 9, 8);
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push(t[y * 9 + x + 1] > t[y * 9 + x]);
  return pack(bits);
}

/** DCT-II basis for N = 32, unnormalised (scipy.fftpack.dct type 2: 2 sum x[n] cos(pi k (2n + 1) / 2N)). */
const N = 32;
const COS = (() => {
  const c = new Float64Array(8 * N);
  for (let k = 0; k < 8; k++) for (let n = 0; n < N; n++) c[k * N + n] = 2 * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * N));
  return c;
})();

/** pHash of a grey plane: the 8x8 lowest DCT-II frequencies of a 32x32 thumbnail, bit = value > their median. */
export function pHashOfGrey(grey: Float32Array, width: number, height: number): Hash64 {
  const t = areaResize(grey, width, height, N, N);
  // Columns first (DCT along axis 0 of each column, only the 8 lowest rows), then along rows.
  const colDct = new Float64Array(8 * N);
  for (let k = 0; k < 8; k++) {
    for (let x = 0; x < N; x++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += COS[k * N + y] * t[y * N + x];
      colDct[k * N + x] = s;
    }
  }
  const low = new Float64Array(64);
  for (let ky = 0; ky < 8; ky++) {
    for (let kx = 0; kx < 8; kx++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += COS[kx * N + x] * colDct[ky * N + x];
      low[ky * 8 + kx] = s;
    }
  }
  const sorted = Float64Array.from(low).sort();
  const median = (sorted[31] + sorted[32]) / 2;
  return pack(Array.from(low, (v) => v > median));
}

/** Both hashes of an image (RGBA on neutral grey). */
export function imageHashes(img: RawImage): { dhash: Hash64; phash: Hash64 } {
  const g = greyOf(img);
  return { dhash: dHashOfGrey(g, img.width, img.height), phash: pHashOfGrey(g, img.width, img.height) };
}

function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of differing bits. */
export function hamming(a: Hash64, b: Hash64): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

export { popcount32 };

/** 16 hex digits, imagehash's str() of the hash. */
export function hashToHex(h: Hash64): string {
  return h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');
}

export function hashFromHex(s: string): Hash64 {
  if (!/^[0-9a-f]{16}$/.test(s)) throw new Error(`not a 64-bit hex hash: '${s}'`);
  return { hi: parseInt(s.slice(0, 8), 16) >>> 0, lo: parseInt(s.slice(8), 16) >>> 0 };
}
