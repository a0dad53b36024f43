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
  const order = confidenceOrder(input.conf);
  const { classes, nt } = groundTruthCounts(input.targetCls);
  const perClass = classes.map((c, ci) => classCurves(input, order.filter((i) => input.predCls[i] === c), nt[ci]));
  const pCurve = perClass.map((k) => k.p);
  const rCurve = perClass.map((k) => k.r);
  const f1Curve = pCurve.map((pc, ci) => f1Of(pc, rCurve[ci]));
  const bestIndex = bestF1Index(f1Curve);
  return {
    classes,
    nt,
    p: pCurve.map((c) => c[bestIndex]),
    r: rCurve.map((c) => c[bestIndex]),
    f1: f1Curve.map((c) => c[bestIndex]),
    ap: perClass.map((k) => k.ap),
    bestIndex,
    pCurve,
    rCurve,
    f1Curve,
    prCurve: perClass.map((k) => k.pr),
  };
}

/** Prediction indices by descending confidence. */
function confidenceOrder(conf: ArrayLike<number>): number[] {
  // np.argsort(-conf): quicksort, not stable in general; ties are broken by original index here (stable), which
  // is what numpy does for the small tie groups met in practice. Scores in the reference cases are unique.
  const order = Array.from({ length: conf.length }, (_, i) => i);
  order.sort((a, b) => conf[b] - conf[a] || a - b);
  return order;
}

/** The classes present in the ground truth (ascending) and their instance counts. */
function groundTruthCounts(targetCls: ArrayLike<number>): { classes: number[]; nt: number[] } {
  const counts = new Map<number, number>();
  for (let i = 0; i < targetCls.length; i++) {
    const c = targetCls[i];
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const classes = [...counts.keys()].sort((a, b) => a - b);
  return { classes, nt: classes.map((c) => counts.get(c)!) };
}

/** -CURVE_X: the confidence grid negated, since np.interp needs increasing x and confidences decrease. */
const NEG_X = CURVE_X.map((x) => -x);

/**
 * One class: AP at the 10 IoU thresholds, and P, R (at IoU 0.5) and the PR envelope on CURVE_X; `idx` are
 * its predictions by descending confidence, `nl` its ground-truth count. All zero without either.
 */
function classCurves(input: ApInput, idx: readonly number[], nl: number): { ap: number[]; p: Float64Array; r: Float64Array; pr: Float64Array } {
  const nx = CURVE_X.length;
  const ap = new Array<number>(N_IOU).fill(0);
  const np_ = idx.length;
  if (np_ === 0 || nl === 0) return { ap, p: new Float64Array(nx), r: new Float64Array(nx), pr: new Float64Array(nx) };
  const negConf = new Float64Array(np_);
  for (let k = 0; k < np_; k++) negConf[k] = -input.conf[idx[k]];
  const { recall, precision } = cumulativePrecisionRecall(input.tp, idx, nl);
  const r = new Float64Array(nx);
  const p = new Float64Array(nx);
  for (let i = 0; i < nx; i++) {
    r[i] = interp1(NEG_X[i], negConf, recall[0], 0);
    p[i] = interp1(NEG_X[i], negConf, precision[0], 1);
  }
  let pr: Float64Array = new Float64Array(0);
  for (let j = 0; j < N_IOU; j++) {
    const { ap: a, mrec, mpre } = computeAp(recall[j], precision[j]);
    ap[j] = a;
    if (j === 0) pr = interp(CURVE_X, mrec, mpre);
  }
  return { ap, p, r, pr };
}

/** Recall and precision after each prediction (cumulative TP and FP), per IoU threshold. */
function cumulativePrecisionRecall(tp: Uint8Array, idx: readonly number[], nl: number): { recall: Float64Array[]; precision: Float64Array[] } {
  const np_ = idx.length;
  const recall: Float64Array[] = [];
  const precision: Float64Array[] = [];
  for (let j = 0; j < N_IOU; j++) {
    const rc = new Float64Array(np_);
    const pr = new Float64Array(np_);
    let tpc = 0;
    for (let k = 0; k < np_; k++) {
      tpc += tp[idx[k] * N_IOU + j];
      rc[k] = tpc / (nl + EPS);
      pr[k] = tpc / (k + 1); // tpc / (tpc + fpc)
    }
    recall.push(rc);
    precision.push(pr);
  }
  return { recall, precision };
}

function f1Of(p: Float64Array, r: Float64Array): Float64Array {
  const f = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) f[i] = (2 * p[i] * r[i]) / (p[i] + r[i] + EPS);
  return f;
}

/** Where on CURVE_X the class-mean F1, smoothed with a 0.1 box filter, first peaks (0 with no class). */
function bestF1Index(f1Curve: readonly Float64Array[]): number {
  const nc = f1Curve.length;
  if (nc === 0) return 0;
  const nx = CURVE_X.length;
  // f1_curve.mean(0): column means over classes.
  const colMean = new Float64Array(nx);
  const col = new Float64Array(nc);
  for (let i = 0; i < nx; i++) {
    for (let ci = 0; ci < nc; ci++) col[ci] = f1Curve[ci][i];
    colMean[i] = mean(col);
  }
  return argmax(smooth(colMean, 0.1));
}
