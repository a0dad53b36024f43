/**
 * Ultralytics `ap_per_class` + `compute_ap` (ultralytics/utils/metrics.py, 8.2.x), numpy semantics kept:
 * predictions sorted by descending confidence (stable), cumulative TP/FP per class, 101-point interpolated AP
 * over the precision envelope integrated with np.trapz, and P/R/F1 read on a 1000-point confidence grid at the
 * first maximum of the class-mean F1 smoothed with a 0.1 box filter.
 */
import { argmax, interp, interp1, linspace, mean, smooth, trapz } from './numpy.js';

export const N_IOU = 10;
/** Grid of confidences for the P, R and F1 curves. */
export const CURVE_X = linspace(0, 1, 1000);
const AP_X = linspace(0, 1, 101);
const EPS = 1e-16;

export interface ApInput {
  /** Correct flags, row-major [nPred x 10] (IoU thresholds 0.50..0.95). */
  tp: Uint8Array;
  /** Prediction confidences (float32 values, as Ultralytics keeps them). */
  conf: ArrayLike<number>;
  predCls: ArrayLike<number>;
  /** Class of every ground-truth instance of every image. */
  targetCls: ArrayLike<number>;
}

export interface ApResult {
  /** Classes present in the ground truth, ascending (only these are scored). */
  classes: number[];
  /** Ground-truth instances per scored class. */
  nt: number[];
  p: number[];
  r: number[];
  f1: number[];
  /** AP per class and IoU threshold, [nc][10]. */
  ap: number[][];
  /** Index into CURVE_X where P, R, F1 were read. */
  bestIndex: number;
  pCurve: Float64Array[];
  rCurve: Float64Array[];
  f1Curve: Float64Array[];
  /** Precision envelope at IoU 0.5 sampled on CURVE_X (the PR curve Ultralytics plots), per class. */
  prCurve: Float64Array[];
}

/** compute_ap: AP of one recall/precision curve, plus the envelope for plotting. */
export function computeAp(recall: ArrayLike<number>, precision: ArrayLike<number>): { ap: number; mrec: Float64Array; mpre: Float64Array } {
  const n = recall.length;
  const mrec = new Float64Array(n + 2);
  const mpre = new Float64Array(n + 2);
  mrec[0] = 0;
  mpre[0] = 1;
  for (let i = 0; i < n; i++) {
    mrec[i + 1] = recall[i];
    mpre[i + 1] = precision[i];
  }
  mrec[n + 1] = 1;
  mpre[n + 1] = 0;
  // np.flip(np.maximum.accumulate(np.flip(mpre))): running maximum from the right.
  for (let i = n; i >= 0; i--) if (mpre[i + 1] > mpre[i]) mpre[i] = mpre[i + 1];
  const ap = trapz(interp(AP_X, mrec, mpre), AP_X);
  return { ap, mrec, mpre };
}

export function apPerClass(input: ApInput): ApResult {
  const nPred = input.conf.length;
  // np.argsort(-conf): quicksort, not stable in general; ties are broken by original index here (stable), which
  // is what numpy does for the small tie groups met in practice. Scores in the reference cases are unique.
  const order = Array.from({ length: nPred }, (_, i) => i);
  const conf = input.conf;
  order.sort((a, b) => conf[b] - conf[a] || a - b);

  const counts = new Map<number, number>();
  for (let i = 0; i < input.targetCls.length; i++) {
    const c = input.targetCls[i];
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const nt = classes.map((c) => counts.get(c)!);
  const nc = classes.length;
  const nx = CURVE_X.length;
  const negX = new Float64Array(nx);
  for (let i = 0; i < nx; i++) negX[i] = -CURVE_X[i];

  const ap: number[][] = [];
  const pCurve: Float64Array[] = [];
  const rCurve: Float64Array[] = [];
  const prCurve: Float64Array[] = [];
  for (let ci = 0; ci < nc; ci++) {
    const c = classes[ci];
    const idx = order.filter((i) => input.predCls[i] === c);
    const nl = nt[ci];
    const np_ = idx.length;
    const apRow = new Array<number>(N_IOU).fill(0);
    if (np_ === 0 || nl === 0) {
      ap.push(apRow);
      pCurve.push(new Float64Array(nx));
      rCurve.push(new Float64Array(nx));
      prCurve.push(new Float64Array(nx));
      continue;
    }
    const negConf = new Float64Array(np_);
    for (let k = 0; k < np_; k++) negConf[k] = -conf[idx[k]];
    const recall: Float64Array[] = [];
    const precision: Float64Array[] = [];
    for (let j = 0; j < N_IOU; j++) {
      const rc = new Float64Array(np_);
      const pr = new Float64Array(np_);
      let tpc = 0;
      for (let k = 0; k < np_; k++) {
        tpc += input.tp[idx[k] * N_IOU + j];
        rc[k] = tpc / (nl + EPS);
        pr[k] = tpc / (k + 1); // tpc / (tpc + fpc)
      }
      recall.push(rc);
      precision.push(pr);
    }
    // Negative x and xp because the confidences decrease.
    const rcv = new Float64Array(nx);
    const pcv = new Float64Array(nx);
    for (let i = 0; i < nx; i++) {
      rcv[i] = interp1(negX[i], negConf, recall[0], 0);
      pcv[i] = interp1(negX[i], negConf, precision[0], 1);
    }
    rCurve.push(rcv);
    pCurve.push(pcv);
    for (let j = 0; j < N_IOU; j++) {
      const { ap: a, mrec, mpre } = computeAp(recall[j], precision[j]);
      apRow[j] = a;
      if (j === 0) prCurve.push(interp(CURVE_X, mrec, mpre));
    }
    ap.push(apRow);
  }

  const f1Curve = pCurve.map((pc, ci) => {
    const rc = rCurve[ci];
    const f = new Float64Array(nx);
    for (let i = 0; i < nx; i++) f[i] = (2 * pc[i] * rc[i]) / (pc[i] + rc[i] + EPS);
    return f;
  });
  let bestIndex = 0;
  if (nc > 0) {
    // f1_curve.mean(0): column means over classes.
    const colMean = new Float64Array(nx);
    const col = new Float64Array(nc);
    for (let i = 0; i < nx; i++) {
      for (let ci = 0; ci < nc; ci++) col[ci] = f1Curve[ci][i];
      colMean[i] = mean(col);
    }
    bestIndex = argmax(smooth(colMean, 0.1));
  }
  return {
    classes,
    nt,
    p: pCurve.map((c) => c[bestIndex]),
    r: rCurve.map((c) => c[bestIndex]),
    f1: f1Curve.map((c) => c[bestIndex]),
    ap,
    bestIndex,
    pCurve,
    rCurve,
    f1Curve,
    prCurve,
  };
}
