/**
 * Box and mask IoU as Ultralytics computes them in float32 (torch), eps 1e-7 added to the union.
 * Math.fround after every operation reproduces float32 arithmetic (each IEEE op correctly rounded).
 */
import type { GridMask } from './predmask.js';

const f32 = Math.fround;
const EPS = f32(1e-7);

/**
 * ultralytics.utils.metrics.box_iou on xyxy boxes.
 * @param gt flat [nGt*4], @param pred flat [nPred*4]; both float32 values.
 * @returns row-major [nGt x nPred]
 */
export function boxIoU(gt: ArrayLike<number>, pred: ArrayLike<number>): Float32Array {
  const nGt = gt.length / 4;
  const nPred = pred.length / 4;
  const out = new Float32Array(nGt * nPred);
  for (let g = 0; g < nGt; g++) {
    const ax1 = gt[4 * g];
    const ay1 = gt[4 * g + 1];
    const ax2 = gt[4 * g + 2];
    const ay2 = gt[4 * g + 3];
    const areaA = f32(f32(ax2 - ax1) * f32(ay2 - ay1));
    for (let p = 0; p < nPred; p++) {
      const bx1 = pred[4 * p];
      const by1 = pred[4 * p + 1];
      const bx2 = pred[4 * p + 2];
      const by2 = pred[4 * p + 3];
      const iw = Math.max(0, f32(Math.min(ax2, bx2) - Math.max(ax1, bx1)));
      const ih = Math.max(0, f32(Math.min(ay2, by2) - Math.max(ay1, by1)));
      const inter = f32(iw * ih);
      const areaB = f32(f32(bx2 - bx1) * f32(by2 - by1));
      out[g * nPred + p] = f32(inter / f32(f32(f32(areaA + areaB) - inter) + EPS));
    }
  }
  return out;
}

/** Float32 IoU from integer counts: intersection / (union + 1e-7), as ultralytics mask_iou. */
export function iouFromCounts(inter: number, areaA: number, areaB: number): number {
  const union = f32(areaA + areaB - inter);
  return f32(inter / f32(union + EPS));
}

/**
 * Mask IoU of every (gt, pred) pair when the ground truth is an overlap index map (each pixel belongs to at
 * most one instance: value i+1 = instance i, 0 = background), which is what Ultralytics compares with
 * overlap_mask=True. One pass over each prediction's cells (inside its crop box only) counts its intersection
 * with every GT at once, so the cost is the predictions' box areas, not nGt x nPred x grid.
 * @returns row-major [nGt x nPred]
 */
export function maskIoUIndexed(gtIndex: ArrayLike<number>, gtAreas: ArrayLike<number>, size: number, preds: readonly GridMask[]): Float32Array {
  const nGt = gtAreas.length;
  const nPred = preds.length;
  const out = new Float32Array(nGt * nPred);
  const inter = new Float64Array(nGt + 1);
  for (let p = 0; p < nPred; p++) {
    const { data, r0, r1, c0, c1 } = preds[p];
    inter.fill(0);
    let area = 0;
    for (let r = r0; r < r1; r++) {
      const o = r * size;
      for (let i = o + c0; i < o + c1; i++) {
        if (data[i] !== 0) {
          area++;
          inter[gtIndex[i]]++;
        }
      }
    }
    for (let g = 0; g < nGt; g++) out[g * nPred + p] = iouFromCounts(inter[g + 1], gtAreas[g], area);
  }
  return out;
}
