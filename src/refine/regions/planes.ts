/**
 * Image preparation for the over-segmentation: interleaved RGB → three float planes, area-averaged down to
 * the segmentation scale (like cv2.INTER_AREA: every source pixel contributes by its overlap, so thin line art
 * darkens the small pixel instead of vanishing between samples), and an optional separable Gaussian blur
 * (Felzenszwalb's sigma pre-smoothing). Written by hand on typed arrays to stay synchronous and allocation-light.
 */
import type { RawImage } from '../../image/types.js';

export interface Planes {
  r: Float32Array;
  g: Float32Array;
  b: Float32Array;
  width: number;
  height: number;
}

/** Per destination index: first source index, count, and weights (sum 1). */
interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  offsets: Int32Array;
  weights: Float32Array;
}

function areaWeights(src: number, dst: number): AxisWeights {
  const scale = src / dst;
  const first = new Int32Array(dst);
  const count = new Int32Array(dst);
  const offsets = new Int32Array(dst + 1);
  const ws: number[] = [];
  for (let i = 0; i < dst; i++) {
    const a = i * scale;
    const bEnd = Math.min(src, (i + 1) * scale);
    const j0 = Math.floor(a);
    const j1 = Math.min(src - 1, Math.ceil(bEnd) - 1);
    first[i] = j0;
    count[i] = j1 - j0 + 1;
    offsets[i] = ws.length;
    for (let j = j0; j <= j1; j++) {
      const overlap = Math.min(bEnd, j + 1) - Math.max(a, j);
      ws.push(Math.max(0, overlap) / (bEnd - a));
    }
  }
  offsets[dst] = ws.length;
  return { first, count, offsets, weights: Float32Array.from(ws) };
}

/** RGB (or RGBA/gray) image → float planes at (w, h), area-averaged when shrinking, copied when equal. */
export function toPlanes(img: RawImage, w = img.width, h = img.height): Planes {
  const { width: sw, height: sh, channels: c, data } = img;
  const ch = (k: number) => (c >= 3 ? k : 0); // gray images replicate their one channel
  if (w === sw && h === sh) {
    const N = sw * sh;
    const planes = [new Float32Array(N), new Float32Array(N), new Float32Array(N)];
    for (let k = 0; k < 3; k++) {
      const pl = planes[k];
      for (let p = 0, i = ch(k); p < N; p++, i += c) pl[p] = data[i];
    }
    return { r: planes[0], g: planes[1], b: planes[2], width: w, height: h };
  }
  const xw = areaWeights(sw, w);
  const yw = areaWeights(sh, h);
  const out: Float32Array[] = [];
  const tmp = new Float32Array(w * sh);
  for (let k = 0; k < 3; k++) {
    // Horizontal pass straight from the interleaved bytes: sw → w for every source row.
    const off = ch(k);
    for (let y = 0; y < sh; y++) {
      const rowBase = y * sw * c + off;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        const o = xw.offsets[x];
        const j0 = xw.first[x];
        for (let t = 0, n = xw.count[x]; t < n; t++) acc += data[rowBase + (j0 + t) * c] * xw.weights[o + t];
        tmp[y * w + x] = acc;
      }
    }
    // Vertical pass: sh → h.
    const dst = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      const o = yw.offsets[y];
      const j0 = yw.first[y];
      const n = yw.count[y];
      const drow = y * w;
      for (let t = 0; t < n; t++) {
        const wt = yw.weights[o + t];
        const srow = (j0 + t) * w;
        for (let x = 0; x < w; x++) dst[drow + x] += tmp[srow + x] * wt;
      }
    }
    out.push(dst);
  }
  return { r: out[0], g: out[1], b: out[2], width: w, height: h };
}

/** Separable Gaussian blur of each plane in place (radius ceil(3 sigma), clamped borders). */
export function gaussianBlurPlanes(pl: Planes, sigma: number): void {
  if (!(sigma > 0)) return;
  const rad = Math.max(1, Math.ceil(3 * sigma));
  const kern = new Float32Array(2 * rad + 1);
  let sum = 0;
  for (let i = -rad; i <= rad; i++) sum += kern[i + rad] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kern.length; i++) kern[i] /= sum;
  const { width: w, height: h } = pl;
  const tmp = new Float32Array(w * h);
  for (const plane of [pl.r, pl.g, pl.b]) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let i = -rad; i <= rad; i++) {
          const xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
          acc += plane[row + xx] * kern[i + rad];
        }
        tmp[row + x] = acc;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let i = -rad; i <= rad; i++) {
          const yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
          acc += tmp[yy * w + x] * kern[i + rad];
        }
        plane[y * w + x] = acc;
      }
    }
  }
}
