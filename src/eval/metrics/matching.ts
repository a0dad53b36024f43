/**
 * Ultralytics `BaseValidator.match_predictions` (use_scipy=False) at the 10 IoU thresholds 0.50:0.05:0.95.
 *
 * Per threshold: all (gt, pred) pairs with IoU >= t, ordered by IoU descending; keep each prediction's first
 * pair; the survivors are then in prediction order (np.unique sorts), and each ground truth keeps the first of
 * them, i.e. the highest-scoring prediction whose best pair it is. Kept predictions are correct at t.
 */
import { N_IOU } from './ap.js';

const f32 = Math.fround;

/**
 * torch.linspace(0.5, 0.95, 10) in float32, as the CPU kernel builds it: step = (end - start) / 9 in float32;
 * the first 8 values (one AVX vector) are start + i*step, the rest end - (9-i)*step.
 */
export const IOU_THRESHOLDS: readonly number[] = (() => {
  const start = f32(0.5);
  const end = f32(0.95);
  const step = f32(f32(end - start) / 9);
  const out: number[] = [];
  for (let i = 0; i < N_IOU; i++) out.push(i < 8 ? f32(start + f32(step * i)) : f32(end - f32(step * (N_IOU - 1 - i))));
  return out;
})();

/**
 * @param predCls class per prediction (in the validator's order: descending score)
 * @param trueCls class per ground-truth instance
 * @param iou row-major [nGt x nPred] IoU values (float32 values)
 * @returns correct flags, row-major [nPred x 10]
 */
export function matchPredictions(predCls: ArrayLike<number>, trueCls: ArrayLike<number>, iou: ArrayLike<number>): Uint8Array {
  const nPred = predCls.length;
  const nGt = trueCls.length;
  const correct = new Uint8Array(nPred * N_IOU);
  if (nPred === 0 || nGt === 0) return correct;
  // iou * correct_class: wrong-class pairs become 0 (and so never qualify, as every threshold is > 0).
  const masked = new Float64Array(nGt * nPred);
  for (let g = 0; g < nGt; g++) {
    for (let p = 0; p < nPred; p++) masked[g * nPred + p] = trueCls[g] === predCls[p] ? iou[g * nPred + p] : 0;
  }
  const predTaken = new Uint8Array(nPred);
  const gtTaken = new Uint8Array(nGt);
  const bestGtOfPred = new Int32Array(nPred);
  for (let t = 0; t < N_IOU; t++) {
    const thr = IOU_THRESHOLDS[t];
    // np.nonzero order (gt-major), then argsort ascending (stable for the small arrays met here) reversed:
    // ties end up with the later pair first.
    const pairs: number[] = [];
    for (let k = 0; k < masked.length; k++) if (masked[k] >= thr) pairs.push(k);
    if (pairs.length === 0) continue;
    pairs.sort((a, b) => masked[a] - masked[b] || a - b).reverse();
    predTaken.fill(0);
    gtTaken.fill(0);
    // First pair per prediction (its best GT)...
    for (const k of pairs) {
      const p = k % nPred;
      if (!predTaken[p]) {
        predTaken[p] = 1;
        bestGtOfPred[p] = (k - p) / nPred;
      }
    }
    // ...then, walking predictions in index order, the first per GT.
    for (let p = 0; p < nPred; p++) {
      if (!predTaken[p]) continue;
      const g = bestGtOfPred[p];
      if (gtTaken[g]) continue;
      gtTaken[g] = 1;
      correct[p * N_IOU + t] = 1;
    }
  }
  return correct;
}
