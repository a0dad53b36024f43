/**
 * The few numpy primitives Ultralytics' metric code leans on, ported with numpy's exact semantics so that
 * results match to the last bit where it matters (interpolation edges, tie handling, summation order).
 * Written by hand: there is no numpy-compatible numeric library for Node worth a dependency for six functions.
 */
import { roundHalfEven } from '../../util/numeric.js';

export { linspace } from '../../util/numeric.js';

/**
 * numpy's binary_search_with_guess result: the last index j with xp[j] <= key (xp non-decreasing),
 * -1 below xp[0], len above xp[len-1]. With repeated xp values this lands on the LAST of the run,
 * which is what decides np.interp's value at steps of the precision envelope.
 */
function searchLastLE(key: number, xp: ArrayLike<number>, len: number): number {
  if (key > xp[len - 1]) return len;
  if (key < xp[0]) return -1;
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key >= xp[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * np.interp(x, xp, fp, left, right) for one value: left/right default to fp[0]/fp[-1]; an exact hit returns fp[j];
 * otherwise slope*(x - xp[j]) + fp[j] with slope = (fp[j+1]-fp[j])/(xp[j+1]-xp[j]) (numpy's order of operations).
 */
export function interp1(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>, left?: number, right?: number): number {
  const n = xp.length;
  const j = searchLastLE(x, xp, n);
  if (j === -1) return left ?? fp[0];
  if (j === n) return right ?? fp[n - 1];
  if (j === n - 1) return fp[j];
  if (xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let r = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(r)) {
    r = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(r) && fp[j] === fp[j + 1]) r = fp[j];
  }
  return r;
}

/** np.interp over an array of x. */
export function interp(x: ArrayLike<number>, xp: ArrayLike<number>, fp: ArrayLike<number>, left?: number, right?: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = interp1(x[i], xp, fp, left, right);
  return out;
}

/**
 * numpy's pairwise summation (what `arr.sum()` / `arr.mean()` do on a contiguous float64 array): 8 running
 * partial sums in blocks of up to 128, recursive halving above. Matching it keeps means bit-identical.
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k] += a[start + i + k];
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** np.mean of a contiguous array (0 for an empty one instead of numpy's NaN + warning). */
export function mean(a: ArrayLike<number>): number {
  return a.length === 0 ? 0 : pairwiseSum(a) / a.length;
}

/** np.trapz(y, x) = sum(diff(x) * (y[1:] + y[:-1]) / 2), summed pairwise like numpy. */
export function trapz(y: ArrayLike<number>, x: ArrayLike<number>): number {
  const n = y.length;
  if (n < 2) return 0;
  const terms = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) terms[i] = ((x[i + 1] - x[i]) * (y[i + 1] + y[i])) / 2;
  return pairwiseSum(terms);
}

/**
 * Ultralytics `smooth(y, f)`: a box filter of nf = round(len*f*2)//2 + 1 taps, the ends padded with the end
 * values, np.convolve(..., mode='valid'). Summed as sum(y*k) with k = 1/nf, in order.
 */
export function smooth(y: ArrayLike<number>, f = 0.05): Float64Array {
  const n = y.length;
  const nf = Math.floor(roundHalfEven(n * f * 2) / 2) + 1;
  const half = Math.floor(nf / 2);
  const padded = new Float64Array(n + 2 * half);
  for (let i = 0; i < half; i++) {
    padded[i] = y[0];
    padded[half + n + i] = y[n - 1];
  }
  for (let i = 0; i < n; i++) padded[half + i] = y[i];
  const k = 1 / nf;
  const outLen = padded.length - nf + 1;
  const out = new Float64Array(outLen);
  for (let i = 0; i < outLen; i++) {
    let s = 0;
    for (let j = 0; j < nf; j++) s += padded[i + j] * k;
    out[i] = s;
  }
  return out;
}

/** np.argmax: index of the first maximum. */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

