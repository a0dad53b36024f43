/**
 * Weight-free quality measures of one picture (a cutout with alpha, or an opaque image), all computed
 * once per item and cached, so changing a threshold never recomputes anything:
 * - colourfulness: the fraction of visible pixels whose chroma (max - min of R, G, B) is at least
 *   CHROMA_MIN; line art, greyscale and screentone pages score near 0 (JPEG noise stays under the bar);
 * - sharpness: variance of the 4-neighbour Laplacian of the grey picture (the common blur measure), taken
 *   on a copy scaled down to at most SHARPNESS_SIDE px on the longer side, so a big and a small copy of the
 *   same picture score alike; only pixels whose 3x3 neighbourhood is visible count (a cutout's own edge
 *   against the background is not detail);
 * - border cut: the fraction of the character's outline that lies on the source image's border (0 for a
 *   character fully inside, about 0.25 for one cut off at the knees).
 */
import type { RawImage } from '../image/types.js';
import { areaResize, greyOf } from './hash.js';

/** Chroma (0..255) from which a pixel counts as coloured: above JPEG's chroma noise on grey art. */
export const CHROMA_MIN = 32;
/** Alpha from which a pixel counts as visible. */
const VISIBLE = 128;
/** Longer side of the copy the sharpness is measured on. */
export const SHARPNESS_SIDE = 512;

/** Fraction of visible pixels with chroma >= CHROMA_MIN (0 when nothing is visible). */
export function colourfulness(img: RawImage): number {
  const { data, channels: cn } = img;
  if (cn === 1) return 0;
  let visible = 0;
  let coloured = 0;
  for (let i = 0; i < data.length; i += cn) {
    if (cn === 4 && data[i + 3] < VISIBLE) continue;
    visible++;
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    const chroma = Math.max(r, g, b) - Math.min(r, g, b);
    if (chroma >= CHROMA_MIN) coloured++;
  }
  return visible ? coloured / visible : 0;
}

/** Variance of the Laplacian (kernel [0 1 0; 1 -4 1; 0 1 0]) over pixels whose 3x3 neighbourhood is visible. */
export function laplacianVariance(grey: Float32Array, width: number, height: number, visible?: Uint8Array): number {
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      if (visible) {
        let ok = true;
        for (let dy = -1; dy <= 1 && ok; dy++) for (let dx = -1; dx <= 1; dx++) if (!visible[p + dy * width + dx]) { ok = false; break; }
        if (!ok) continue;
      }
      const l = grey[p - 1] + grey[p + 1] + grey[p - width] + grey[p + width] - 4 * grey[p];
      n++;
      sum += l;
      sum2 += l * l;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sum2 / n - mean * mean;
}

/** Sharpness of a picture: Laplacian variance on its grey copy scaled to at most SHARPNESS_SIDE px. */
export function sharpness(img: RawImage): number {
  const { width, height } = img;
  let grey = greyOf(img);
  let alpha: Float32Array | undefined;
  if (img.channels === 4) {
    alpha = new Float32Array(width * height);
    for (let p = 0; p < alpha.length; p++) alpha[p] = img.data[p * 4 + 3];
  }
  const scale = Math.min(1, SHARPNESS_SIDE / Math.max(width, height));
  let w = width;
  let h = height;
  if (scale < 1) {
    w = Math.max(1, Math.round(width * scale));
    h = Math.max(1, Math.round(height * scale));
    grey = areaResize(grey, width, height, w, h);
    if (alpha) alpha = areaResize(alpha, width, height, w, h);
  }
  const visible = alpha ? Uint8Array.from(alpha, (a) => (a >= VISIBLE ? 1 : 0)) : undefined;
  return laplacianVariance(grey, w, h, visible);
}

/**
 * Fraction of a mask's outline on the image border: mask pixels in the outermost rows/columns, over all
 * outline pixels (mask pixels with a 4-neighbour outside the mask or outside the image). 0 for an empty mask.
 */
export function borderCut(mask: Uint8Array, width: number, height: number): number {
  let outline = 0;
  let onBorder = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (!mask[p]) continue;
      const edge = x === 0 || y === 0 || x === width - 1 || y === height - 1;
      if (edge) {
        onBorder++;
        outline++;
      } else if (!mask[p - 1] || !mask[p + 1] || !mask[p - width] || !mask[p + width]) outline++;
    }
  }
  return outline ? onBorder / outline : 0;
}
