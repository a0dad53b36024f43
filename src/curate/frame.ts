/**
 * Framing for training: each kept picture placed on a canvas of a fixed shape, never cropped into (the
 * character is padded, not cut). `square`: an N x N canvas (the --crops geometry); `buckets`: the SDXL-style
 * aspect bucket nearest the picture's aspect (in log ratio), so tall and wide characters keep their
 * resolution; `none`: the picture as it is (cropped to the character, plus the margin). Padding is a colour
 * or transparency. The geometry and pixels are those of `segment --crops` (src/pipeline/crops.ts).
 */
import type { RawImage } from '../image/types.js';
import { frameGeometry, renderRegion } from '../pipeline/crops.js';
import type { Rgb } from '../pipeline/outputs.js';

export type FrameMode = 'none' | 'square' | 'buckets';

/**
 * The commonly used SDXL training buckets at about 1024^2 pixels (sides multiples of 64), as [width,
 * height]: the square, then pairs of landscape/portrait shapes up to about 2.4:1.
 */
export const SDXL_BUCKETS: readonly (readonly [number, number])[] = [
  [1024, 1024],
  [1152, 896],
  [896, 1152],
  [1216, 832],
  [832, 1216],
  [1344, 768],
  [768, 1344],
  [1536, 640],
  [640, 1536],
];

export interface FrameSpec {
  mode: FrameMode;
  /** Square side, or the side of the square bucket the others are scaled from (1024 = SDXL's own sizes). */
  size?: number;
  /** Margin on each edge as a fraction of the picture's longer side (default 0). */
  margin?: number;
  /** Padding colour; undefined = transparent. */
  background?: Rgb;
}

/** The bucket for a width/height aspect: nearest in |log(aspect / bucket aspect)|, scaled to `size` (multiples of 8). */
export function pickBucket(aspect: number, size = 1024): [number, number] {
  let best = SDXL_BUCKETS[0];
  let bestD = Infinity;
  for (const b of SDXL_BUCKETS) {
    const d = Math.abs(Math.log(aspect) - Math.log(b[0] / b[1]));
    if (d < bestD - 1e-12) {
      bestD = d;
      best = b;
    }
  }
  const s = size / 1024;
  return [Math.max(8, Math.round((best[0] * s) / 8) * 8), Math.max(8, Math.round((best[1] * s) / 8) * 8)];
}

/** Frame an RGBA picture (a cutout cropped to its character, or a whole image). */
export async function framePicture(rgba: RawImage, spec: FrameSpec): Promise<RawImage> {
  const { width, height } = rgba;
  const alpha = new Uint8Array(width * height);
  for (let p = 0; p < alpha.length; p++) alpha[p] = rgba.data[p * 4 + 3];
  const bounds = [0, 0, width, height] as const;
  const margin = spec.margin ?? 0;
  const m = Math.round(margin * Math.max(width, height));
  if (spec.mode === 'none') return renderRegion(rgba, alpha, [-m, -m, width + m, height + m], width + 2 * m, height + 2 * m, spec.background);
  const size = spec.size ?? 1024;
  const [outW, outH] = spec.mode === 'square' ? [size, size] : pickBucket((width + 2 * m) / (height + 2 * m), size);
  const g = frameGeometry(bounds, outW / outH, margin);
  return renderRegion(rgba, alpha, g.region, outW, outH, spec.background);
}
