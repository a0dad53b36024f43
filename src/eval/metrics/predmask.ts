/**
 * Prediction masks on the validator's mask grid (imgsz/4 of the square letterbox), cropped to the prediction's
 * letterbox box as Ultralytics' process_mask/crop_mask does: cell (r, c) is kept only if
 * x1/4 <= c < x2/4 and y1/4 <= r < y2/4 (float32 box). Two sources:
 * - a polygon in original pixels (stored predictions): rasterised like the ground truth (polygon2mask);
 * - a full-resolution 0/1 mask (our pipeline's output): each grid cell looks at the same 2x2 canvas pixels the
 *   ground-truth downsampling reads (rows 4r+1, 4r+2, cols 4c+1, 4c+2), mapped back to the original image by
 *   nearest neighbour, and is set when at least 2 are foreground. Only cells inside the box are visited.
 */
import type { Mask } from '../../mask/types.js';
import { nativeToLetterboxX, nativeToLetterboxY, type ValGeometry } from './geometry.js';
import { polygonToGrid } from './gt.js';
import type { GridMask } from '../../models/yolo/masks.js';

const f32 = Math.fround;

/** The grid mask type lives with the YOLO masks (the predictor makes them from the protos). */
export type { GridMask } from '../../models/yolo/masks.js';

/** Letterbox-space float32 box of a prediction given in original pixels. */
export function letterboxBox(box: ArrayLike<number>, g: ValGeometry): Float32Array {
  return Float32Array.of(nativeToLetterboxX(box[0], g), nativeToLetterboxY(box[1], g), nativeToLetterboxX(box[2], g), nativeToLetterboxY(box[3], g));
}

/** crop_mask bounds on the grid: columns c with x1/4 <= c < x2/4 (ratio = grid / imgsz = 1/4, exact in float32). */
function cropRange(lbBox: Float32Array, size: number): { r0: number; r1: number; c0: number; c1: number } {
  const x1 = f32(lbBox[0] * 0.25);
  const y1 = f32(lbBox[1] * 0.25);
  const x2 = f32(lbBox[2] * 0.25);
  const y2 = f32(lbBox[3] * 0.25);
  const clamp = (v: number) => Math.min(Math.max(v, 0), size);
  return { c0: clamp(Math.ceil(x1)), c1: clamp(Math.ceil(x2)), r0: clamp(Math.ceil(y1)), r1: clamp(Math.ceil(y2)) };
}

/** Stored prediction polygon (original pixels) → cropped grid mask. */
export function gridMaskFromPolygon(polygon: ArrayLike<number>, lbBox: Float32Array, g: ValGeometry): GridMask {
  const size = Math.floor(g.imgsz / 4);
  const pts = new Float32Array(polygon.length);
  for (let k = 0; k < polygon.length; k += 2) {
    pts[k] = nativeToLetterboxX(polygon[k], g);
    pts[k + 1] = nativeToLetterboxY(polygon[k + 1], g);
  }
  const full = polygonToGrid(pts, g.imgsz);
  const { r0, r1, c0, c1 } = cropRange(lbBox, size);
  const data = new Uint8Array(size * size);
  for (let r = r0; r < r1; r++) {
    const o = r * size;
    for (let c = c0; c < c1; c++) data[o + c] = full[o + c];
  }
  return { data, r0, r1, c0, c1 };
}

/**
 * Lookup tables from canvas pixel to original pixel (nearest: centre of the canvas pixel mapped back), -1 outside
 * the image. Shared by all predictions of one image.
 */
export interface CanvasLookup {
  xs: Int32Array;
  ys: Int32Array;
}

export function canvasLookup(g: ValGeometry): CanvasLookup {
  const mk = (n: number, pad: number, scaled: number, orig: number) => {
    const t = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = Math.floor(((i + 0.5 - pad) * orig) / scaled);
      t[i] = v >= 0 && v < orig && i >= pad && i < pad + scaled ? v : -1;
    }
    return t;
  };
  return { xs: mk(g.imgsz, g.left, g.w, g.w0), ys: mk(g.imgsz, g.top, g.h, g.h0) };
}

/** Full-resolution 0/1 mask (original pixels) → cropped grid mask. */
export function gridMaskFromNative(mask: Mask, lbBox: Float32Array, g: ValGeometry, lut: CanvasLookup): GridMask {
  const size = Math.floor(g.imgsz / 4);
  const { r0, r1, c0, c1 } = cropRange(lbBox, size);
  const data = new Uint8Array(size * size);
  const md = mask.data;
  const mw = mask.width;
  const { xs, ys } = lut;
  for (let r = r0; r < r1; r++) {
    const ya = ys[4 * r + 1];
    const yb = ys[4 * r + 2];
    for (let c = c0; c < c1; c++) {
      const xa = xs[4 * c + 1];
      const xb = xs[4 * c + 2];
      let s = 0;
      if (ya >= 0) {
        if (xa >= 0 && md[ya * mw + xa]) s++;
        if (xb >= 0 && md[ya * mw + xb]) s++;
      }
      if (yb >= 0) {
        if (xa >= 0 && md[yb * mw + xa]) s++;
        if (xb >= 0 && md[yb * mw + xb]) s++;
      }
      if (s >= 2) data[r * size + c] = 1;
    }
  }
  return { data, r0, r1, c0, c1 };
}
