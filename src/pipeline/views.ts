/**
 * The views a recall aid runs a model on, and how their detections map back to the original image:
 *  - 'flip'        the image mirrored left-right (test-time augmentation);
 *  - 'tile'        2 x 2 overlapping tiles, each `TILE_FRACTION` of the image per side, so a small character
 *                  gets more of the network's input pixels; detections cut by an inner tile edge are dropped
 *                  (the full pass or a neighbouring tile sees them whole);
 *  - 'second-pass' a crop around the largest salient region no detection covers (salientRegion below).
 * Pure pixel work on typed arrays.
 */
import type { RawImage } from '../image/types.js';
import type { Box, Mask } from '../mask/types.js';
import { createMask } from '../mask/types.js';
import { labelComponents } from '../mask/components.js';
import { openMask } from '../mask/morphology.js';
import { resizeBilinearU8 } from '../image/resize.js';
import { toRgb } from '../image/pixels.js';
import type { PassName } from './fusion.js';

export interface View {
  pass: PassName;
  /** Source key for fusion: the same model on the same view. */
  key: string;
  image: RawImage;
  /** Offset of the view in the original (crop views), and whether it is mirrored. */
  x: number;
  y: number;
  flip: boolean;
  /** Inner edges (original pixels) a kept detection must not touch: [x0, y0, x1, y1] of the crop, or null. */
  innerEdges: { left: boolean; top: boolean; right: boolean; bottom: boolean } | null;
}

/** Tile side as a fraction of the image side: 2 x 2 tiles overlapping by 20 % of the image. */
export const TILE_FRACTION = 0.6;

export function cropImage(img: RawImage, x: number, y: number, w: number, h: number): RawImage {
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) out.set(img.data.subarray(((y + r) * img.width + x) * c, ((y + r) * img.width + x + w) * c), r * w * c);
  return { data: out, width: w, height: h, channels: c };
}

export function flipImage(img: RawImage): RawImage {
  const { width: W, height: H, channels: c, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * c;
      const d = (y * W + (W - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return { data: out, width: W, height: H, channels: c };
}

export function flipView(img: RawImage): View {
  return { pass: 'flip', key: 'flip', image: flipImage(img), x: 0, y: 0, flip: true, innerEdges: null };
}

export function tileViews(img: RawImage): View[] {
  const { width: W, height: H } = img;
  const tw = Math.ceil(W * TILE_FRACTION);
  const th = Math.ceil(H * TILE_FRACTION);
  const views: View[] = [];
  for (const [x, y] of [[0, 0], [W - tw, 0], [0, H - th], [W - tw, H - th]] as const) {
    views.push({
      pass: 'tile',
      key: `tile${views.length}`,
      image: cropImage(img, x, y, tw, th),
      x,
      y,
      flip: false,
      innerEdges: { left: x > 0, top: y > 0, right: x + tw < W, bottom: y + th < H },
    });
  }
  return views;
}

/** A crop view of region [x0, y0, x1, y1) (integers), inner edges where the crop is inside the image. */
export function cropView(img: RawImage, r: [number, number, number, number], pass: PassName, key: string): View {
  const [x0, y0, x1, y1] = r;
  return {
    pass,
    key,
    image: cropImage(img, x0, y0, x1 - x0, y1 - y0),
    x: x0,
    y: y0,
    flip: false,
    innerEdges: { left: x0 > 0, top: y0 > 0, right: x1 < img.width, bottom: y1 < img.height },
  };
}

/** A view's box in original pixels. */
export function boxToOriginal(v: View, b: Box): Box {
  const W = v.image.width;
  const [x1, y1, x2, y2] = v.flip ? [W - b[2], b[1], W - b[0], b[3]] : b;
  return [x1 + v.x, y1 + v.y, x2 + v.x, y2 + v.y];
}

/** True when a box (view pixels) touches one of the view's inner edges: a character cut by the crop. */
export function touchesInnerEdge(v: View, b: Box, tolerance = 2): boolean {
  const e = v.innerEdges;
  if (!e) return false;
  const { width: W, height: H } = v.image;
  return (e.left && b[0] <= tolerance) || (e.top && b[1] <= tolerance) || (e.right && b[2] >= W - tolerance) || (e.bottom && b[3] >= H - tolerance);
}

/** A view-size mask as a full original-size mask. */
export function maskToOriginal(v: View, m: Mask, width: number, height: number): Mask {
  const out = createMask(width, height);
  const w = m.width;
  for (let y = 0; y < m.height; y++) {
    const oy = y + v.y;
    if (oy < 0 || oy >= height) continue;
    const row = y * w;
    const orow = oy * width + v.x;
    if (v.flip) {
      for (let x = 0; x < w; x++) if (m.data[row + x]) out.data[orow + (w - 1 - x)] = 1;
    } else out.data.set(m.data.subarray(row, row + Math.min(w, width - v.x)), orow);
  }
  return out;
}

/** Longest side of the grid the saliency is computed on. */
const SALIENCY_SIDE = 160;

/**
 * The largest salient region that no box covers, as an integer crop [x0, y0, x1, y1) with a margin, or null
 * when there is none worth a pass. Salient = a colour rare in the image's outer frame (anime art usually has
 * a background that reaches the borders; characters rarely fill all four), computed on a small grid with
 * 16^3 colour bins; covered = inside a box grown by 10 %. The region must hold at least `minArea` of the
 * image; the crop adds 15 % per side and is at least a quarter of the image's shorter side.
 */
export function salientRegion(img: RawImage, boxes: readonly Box[], minArea = 0.02): [number, number, number, number] | null {
  const { width: W, height: H } = img;
  const s = Math.min(1, SALIENCY_SIDE / Math.max(W, H));
  const w = Math.max(8, Math.round(W * s));
  const h = Math.max(8, Math.round(H * s));
  const small = resizeBilinearU8(toRgb(img), w, h);
  const d = small.data;
  const bin = (p: number): number => ((d[p * 3] >> 4) << 8) | ((d[p * 3 + 1] >> 4) << 4) | (d[p * 3 + 2] >> 4);
  const frame = Math.max(1, Math.round(0.03 * Math.max(w, h)));
  const hist = new Float64Array(4096);
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (x >= frame && y >= frame && x < w - frame && y < h - frame) continue;
      hist[bin(y * w + x)]++;
      n++;
    }
  }
  const sal = createMask(w, h);
  const sx = w / W;
  const sy = h / H;
  const covered = createMask(w, h);
  for (const b of boxes) {
    const mx = 0.1 * (b[2] - b[0]);
    const my = 0.1 * (b[3] - b[1]);
    const x0 = Math.max(0, Math.floor((b[0] - mx) * sx));
    const y0 = Math.max(0, Math.floor((b[1] - my) * sy));
    const x1 = Math.min(w, Math.ceil((b[2] + mx) * sx));
    const y1 = Math.min(h, Math.ceil((b[3] + my) * sy));
    for (let y = y0; y < y1; y++) covered.data.fill(1, y * w + x0, y * w + x1);
  }
  // A colour is background when at least 0.5 % of the frame has it.
  for (let p = 0; p < w * h; p++) if (!covered.data[p] && hist[bin(p)] < 0.005 * n) sal.data[p] = 1;
  const cleaned = openMask(sal, 1);
  const cc = labelComponents(cleaned, 8);
  let best = 0;
  for (let k = 1; k <= cc.count; k++) if (best === 0 || cc.areas[k] > cc.areas[best]) best = k;
  if (best === 0 || cc.areas[best] < minArea * w * h) return null;
  let bx0 = w;
  let by0 = h;
  let bx1 = 0;
  let by1 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (cc.labels[y * w + x] !== best) continue;
      if (x < bx0) bx0 = x;
      if (y < by0) by0 = y;
      if (x + 1 > bx1) bx1 = x + 1;
      if (y + 1 > by1) by1 = y + 1;
    }
  }
  // Back to original pixels, with a margin and a minimum size so the model sees some context.
  let x0 = bx0 / sx;
  let y0 = by0 / sy;
  let x1 = bx1 / sx;
  let y1 = by1 / sy;
  const minSide = Math.min(W, H) / 4;
  const grow = (a: number, b: number, lim: number): [number, number] => {
    const m = 0.15 * (b - a);
    let lo = a - m;
    let hi = b + m;
    if (hi - lo < minSide) {
      const c = (a + b) / 2;
      lo = c - minSide / 2;
      hi = c + minSide / 2;
    }
    return [Math.max(0, Math.floor(lo)), Math.min(lim, Math.ceil(hi))];
  };
  [x0, x1] = grow(x0, x1, W);
  [y0, y1] = grow(y0, y1, H);
  if (x1 - x0 < 8 || y1 - y0 < 8) return null;
  // The whole image is what the full pass already saw.
  if (x0 === 0 && y0 === 0 && x1 === W && y1 === H) return null;
  return [x0, y0, x1, y1];
}
