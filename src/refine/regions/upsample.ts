/**
 * Edge-aware upsampling of a label map computed at a reduced scale. Nearest-neighbour upsampling would
 * give staircase borders `scale` pixels wide; instead every full-size pixel whose four surrounding
 * low-res samples disagree is given the candidate label whose mean colour is closest to the pixel's own
 * colour. Anime fills are flat, so a label's mean colour is a good model of its pixels and the border
 * snaps to the real colour step (or line-art edge) at full resolution. Interior pixels (all four samples
 * agree, the vast majority) cost one comparison.
 */
import type { RawImage } from '../../image/types.js';
import type { LabelMap } from '../types.js';
import type { Planes } from './planes.js';

/** Mean RGB per label (from the planes the labels were computed on). */
export function labelMeans(lm: LabelMap, pl: Planes): Float32Array {
  const { labels, count } = lm;
  const sums = new Float64Array(count * 3);
  const n = new Float64Array(count);
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    sums[l * 3] += pl.r[p];
    sums[l * 3 + 1] += pl.g[p];
    sums[l * 3 + 2] += pl.b[p];
    n[l]++;
  }
  const means = new Float32Array(count * 3);
  for (let l = 0; l < count; l++) {
    const d = n[l] || 1;
    means[l * 3] = sums[l * 3] / d;
    means[l * 3 + 1] = sums[l * 3 + 1] / d;
    means[l * 3 + 2] = sums[l * 3 + 2] / d;
  }
  return means;
}

/**
 * Upsample `small` to the size of `image` (RGB/RGBA), snapping borders to the image's colours.
 * Pixels whose 2x2 bilinear neighbours share one label take it; the others choose among the labels of the
 * 3x3 low-res neighbourhood of their nearest low-res pixel (3x3 rather than 2x2 so a label beyond a thin
 * blended sliver, typical of area-averaged outlines, is still a candidate).
 */
export function upsampleLabels(small: LabelMap, means: Float32Array, image: RawImage): LabelMap {
  const { width: W, height: H, channels: c, data } = image;
  const { width: w, height: h, labels: sl } = small;
  if (W === w && H === h) return { labels: sl.slice(), count: small.count, width: W, height: H };
  // Half-pixel-centre mapping: full pixel x sits at small coordinate (x + 0.5) * w / W - 0.5.
  const x0s = new Int32Array(W);
  const x1s = new Int32Array(W);
  const xns = new Int32Array(W);
  for (let x = 0; x < W; x++) {
    const f = Math.max(0, ((x + 0.5) * w) / W - 0.5);
    x0s[x] = Math.min(w - 1, Math.floor(f));
    x1s[x] = Math.min(w - 1, x0s[x] + 1);
    xns[x] = Math.min(w - 1, Math.round(f));
  }
  const out = new Int32Array(W * H);
  for (let y = 0; y < H; y++) {
    const f = Math.max(0, ((y + 0.5) * h) / H - 0.5);
    const y0 = Math.min(h - 1, Math.floor(f));
    const r0 = y0 * w;
    const r1 = Math.min(h - 1, y0 + 1) * w;
    const yn = Math.min(h - 1, Math.round(f));
    const ya = Math.max(0, yn - 1);
    const yb = Math.min(h - 1, yn + 1);
    for (let x = 0; x < W; x++) {
      const a = sl[r0 + x0s[x]];
      const p = y * W + x;
      if (a === sl[r0 + x1s[x]] && a === sl[r1 + x0s[x]] && a === sl[r1 + x1s[x]]) {
        out[p] = a;
        continue;
      }
      const i = p * c;
      const pr = data[i];
      const pg = c >= 3 ? data[i + 1] : pr;
      const pb = c >= 3 ? data[i + 2] : pr;
      let best = a;
      let bestD = Infinity;
      const xa = Math.max(0, xns[x] - 1);
      const xb = Math.min(w - 1, xns[x] + 1);
      for (let yy = ya; yy <= yb; yy++) {
        for (let xx = xa; xx <= xb; xx++) {
          const l = sl[yy * w + xx];
          const dr = means[l * 3] - pr;
          const dg = means[l * 3 + 1] - pg;
          const db = means[l * 3 + 2] - pb;
          const dist = dr * dr + dg * dg + db * db;
          if (dist < bestD) {
            bestD = dist;
            best = l;
          }
        }
      }
      out[p] = best;
    }
  }
  return { labels: out, count: small.count, width: W, height: H };
}
