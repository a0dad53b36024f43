/**
 * Joining a multi-part polygon into one YOLO-seg row, exactly as Ultralytics' converter does
 * (`ultralytics/data/converter.py`: `min_index`, `merge_multi_segment`), plus Python's "%g" number format
 * that its label writer uses. Hand-written: there is no Node package for either.
 */

/** Points of one part as flat [x0, y0, x1, y1, ...]. */
export type FlatPoints = ArrayLike<number>;

/**
 * Ultralytics `min_index`: the pair (i in a, j in b) with the smallest squared distance; ties go to the first
 * pair in row-major order (numpy argmin over the a×b distance matrix).
 */
export function minIndex(a: FlatPoints, b: FlatPoints): [number, number] {
  const na = a.length >> 1;
  const nb = b.length >> 1;
  let best = Infinity;
  let bi = 0;
  let bj = 0;
  for (let i = 0; i < na; i++) {
    const ax = a[2 * i];
    const ay = a[2 * i + 1];
    for (let j = 0; j < nb; j++) {
      const dx = ax - b[2 * j];
      const dy = ay - b[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (d < best) {
        best = d;
        bi = i;
        bj = j;
      }
    }
  }
  return [bi, bj];
}

/** Rows [start, end) of a flat point list. */
function rows(p: number[], start: number, end: number): number[] {
  return p.slice(2 * start, 2 * end);
}

function reversedRows(p: number[]): number[] {
  const n = p.length >> 1;
  const out = new Array<number>(p.length);
  for (let i = 0; i < n; i++) {
    out[2 * i] = p[2 * (n - 1 - i)];
    out[2 * i + 1] = p[2 * (n - 1 - i) + 1];
  }
  return out;
}

/** numpy.roll(p, -k, axis=0) then append the first row (close the ring). */
function rollAndClose(p: number[], k: number): number[] {
  const n = p.length >> 1;
  const s = ((k % n) + n) % n;
  const out = p.slice(2 * s).concat(p.slice(0, 2 * s));
  out.push(out[0], out[1]);
  return out;
}

/**
 * Ultralytics `merge_multi_segment`: joins parts into one outline by connecting each part to the next at
 * their closest points, walking forward through the parts and back again, so the joins are zero-width
 * "bridges" (filled polygons keep each part's area). Returns the concatenated flat points (pixel units).
 *
 * Reproduced statement by statement, including one quirk: when a middle part's entry index is larger
 * than its exit index, Ultralytics reverses the part's points but keeps the (swapped) original indices,
 * so the bridges land at mirrored positions on that part. We keep the quirk so labels match Ultralytics.
 */
export function mergeMultiSegment(parts: readonly FlatPoints[]): number[] {
  const segs = parts.map((p) => Array.from(p));
  const n = segs.length;
  if (n === 0) return [];
  if (n === 1) return segs[0];
  const idxList: number[][] = segs.map(() => []);
  for (let i = 1; i < n; i++) {
    const [i1, i2] = minIndex(segs[i - 1], segs[i]);
    idxList[i - 1].push(i1);
    idxList[i].push(i2);
  }
  const s: number[][] = [];
  // Forward pass.
  for (let i = 0; i < n; i++) {
    let idx = idxList[i];
    if (idx.length === 2 && idx[0] > idx[1]) {
      idx = [idx[1], idx[0]];
      segs[i] = reversedRows(segs[i]);
    }
    segs[i] = rollAndClose(segs[i], idx[0]);
    if (i === 0 || i === n - 1) s.push(segs[i]);
    else s.push(rows(segs[i], 0, idx[1] - idx[0] + 1));
  }
  // Backward pass: the rest of each middle part, from the last part back to the first.
  for (let i = n - 1; i >= 0; i--) {
    if (i !== 0 && i !== n - 1) {
      const idx = idxList[i];
      const nidx = Math.abs(idx[1] - idx[0]);
      s.push(segs[i].slice(2 * nidx));
    }
  }
  return s.flat();
}

/**
 * Python's `"%g" % x` (6 significant digits, trailing zeros removed, exponent form when exp < -4 or >= 6).
 * JS rounds exact decimal ties up where C/Python round half to even; we detect exact ties and fix them.
 */
export function formatG(x: number): string {
  // Fast path (almost every label coordinate): 1e-4 <= |x| < 1e6 prints in fixed notation, which is exactly
  // toPrecision(6) minus trailing zeros, unless x is an exact decimal tie (7th digit 5, nothing after it).
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 999999) {
    const p7 = x.toPrecision(7);
    if (p7.charCodeAt(p7.length - 1) !== 53 /* '5' */ || Number(p7) !== x) {
      const p = x.toPrecision(6);
      return p.indexOf('.') < 0 ? p : p.replace(/\.?0+$/, '');
    }
  }
  return formatGSlow(x);
}

function formatGSlow(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  let e = x.toExponential(5); // d.ddddde±X, rounded half-up on the exact binary value
  const full = Math.abs(x).toExponential(20);
  // An exact tie shows as digit 7 = 5 followed only by zeros in the exact expansion.
  if (/^\d\.\d{5}50*e/.test(full)) {
    const digits = Number(full[6]); // 6th significant digit (index: d . d d d d [d])
    if (digits % 2 === 0) {
      // Half-even keeps the even digit: truncate instead of rounding up.
      const mant = full.slice(0, 7);
      const exp = full.slice(full.indexOf('e'));
      e = (x < 0 ? '-' : '') + mant + exp;
    }
  }
  const [mant, expStr] = e.split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const sign = exp < 0 ? '-' : '+';
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // Fixed notation with 6 significant digits: re-derive from the rounded mantissa to avoid double rounding.
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', ''); // 6 digits
  let out: string;
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1);
    out = frac ? `${intPart}.${frac}` : intPart;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return (neg ? '-' : '') + out;
}
