/**
 * Guided-filter soft edges. Expected values come from independent formulas: brute-force window means,
 * the filter's closed form for a constant guide (a = 0, b = mean p → q = mean(mean(p))), and the linear
 * colour model on a hand-made anti-aliased edge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxMeanInPlace, fastGuidedFilterColor, guidedFilterColor, resolveSoftEdge, softAlpha } from '../../src/refine/softedge.js';
import { AnimesegError } from '../../src/errors.js';
import type { RawImage } from '../../src/image/types.js';

/** Mean over the window clipped to the grid, by direct summation. */
function bruteBoxMean(src: Float32Array, w: number, h: number, r: number): Float64Array {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++)
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          s += src[yy * w + xx];
          n++;
        }
      out[y * w + x] = s / n;
    }
  return out;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('box mean by running sums equals the direct window mean (clipped windows at borders)', () => {
  const rnd = lcg(7);
  for (const [w, h, r] of [
    [13, 9, 2],
    [5, 17, 4],
    [8, 8, 10], // radius larger than the image
  ]) {
    const a = Float32Array.from({ length: w * h }, () => rnd());
    const expect = bruteBoxMean(a, w, h, r);
    boxMeanInPlace(a, w, h, r, new Float64Array(w * h));
    for (let i = 0; i < w * h; i++) assert.ok(Math.abs(a[i] - expect[i]) < 1e-5, `w${w} h${h} r${r} i${i}: ${a[i]} vs ${expect[i]}`);
  }
});

test('constant guide: the filter reduces to a double box mean of p', () => {
  // With I constant, cov(I,p) = 0 and var(I) = 0, so a = 0, b = mean(p), q = mean(b) (He et al., eq. 7-8).
  const w = 12;
  const h = 10;
  const r = 2;
  const rnd = lcg(3);
  const p = Float32Array.from({ length: w * h }, () => (rnd() > 0.5 ? 1 : 0));
  const I = new Float32Array(w * h).fill(0.4);
  const q = guidedFilterColor(I, I, I, p, w, h, r, 1e-2);
  const once = Float32Array.from(bruteBoxMean(p, w, h, r));
  const twice = bruteBoxMean(once, w, h, r);
  for (let i = 0; i < w * h; i++) assert.ok(Math.abs(q[i] - twice[i]) < 1e-4, `i${i}: ${q[i]} vs ${twice[i]}`);
});

test('filtering the guide itself with a tiny eps gives the guide back (edge preserving)', () => {
  // a = var/(var+eps) → 1 and b → 0 wherever the window has variance, so q ≈ I (He et al., §3.2).
  const w = 20;
  const h = 12;
  const r = 2;
  const ir = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ir[y * w + x] = x < 9 ? 0.9 : 0.1;
  const zero = new Float32Array(w * h);
  const q = guidedFilterColor(ir, zero, zero, ir, w, h, r, 1e-6);
  for (let i = 0; i < w * h; i++) assert.ok(Math.abs(q[i] - ir[i]) < 1e-3, `i${i}: ${q[i]} vs ${ir[i]}`);
});

/**
 * Scalar guided filter along one row (He et al. eq. 5-8, brute force): used as the independent expectation
 * for images whose colours all lie on one line c0 + t*d, where the colour filter reduces to the scalar one
 * on t with eps / |d|^2 (Σ = d dᵀ var(t) + eps U and cov(I, p) = d cov(t, p)).
 */
function scalarGuided1D(t: number[], p: number[], r: number, eps: number): number[] {
  const n = t.length;
  const win = (k: number) => {
    const lo = Math.max(0, k - r);
    const hi = Math.min(n - 1, k + r);
    let st = 0, sp = 0, stt = 0, stp = 0;
    for (let i = lo; i <= hi; i++) ((st += t[i]), (sp += p[i]), (stt += t[i] * t[i]), (stp += t[i] * p[i]));
    const m = hi - lo + 1;
    const mt = st / m, mp = sp / m;
    const a = (stp / m - mt * mp) / (stt / m - mt * mt + eps);
    return { a, b: mp - a * mt };
  };
  const ab = t.map((_, k) => win(k));
  return t.map((tx, x) => {
    const lo = Math.max(0, x - r);
    const hi = Math.min(n - 1, x + r);
    let s = 0;
    for (let k = lo; k <= hi; k++) s += ab[k].a * tx + ab[k].b;
    return s / (hi - lo + 1);
  });
}

test('soft alpha: an anti-aliased outline gets partial alpha, as the scalar closed form predicts', () => {
  // 40x20 image, every row the same: red (t = 1) for x < 20, blue (t = 0) for x > 20, column 20 the 50/50 mix
  // (an anti-aliased outline pixel). Hard mask: x <= 19. All colours lie on the red-blue line, so the expected
  // alpha is the 1-D scalar guided filter of the mask with guide t (function above); vertical clipping of the
  // windows does not change any mean because all rows are equal.
  const W = 40;
  const H = 20;
  const red = [220, 30, 20];
  const blue = [20, 30, 200];
  const data = new Uint8Array(W * H * 3);
  const mask = new Uint8Array(W * H);
  const t: number[] = [];
  const pRow: number[] = [];
  for (let x = 0; x < W; x++) {
    const tx = x < 20 ? 1 : x === 20 ? 0.5 : 0;
    t.push(tx);
    pRow.push(x <= 19 ? 1 : 0);
    for (let y = 0; y < H; y++) {
      const i = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = blue[c] + tx * (red[c] - blue[c]);
      mask[y * W + x] = pRow[x];
    }
  }
  const image: RawImage = { data, width: W, height: H, channels: 3 };
  const radius = 3;
  const eps = 1e-3;
  const alpha = softAlpha(image, { data: mask, width: W, height: H }, { radius, eps, subsample: 1 });
  const d2 = red.reduce((s, v, c) => s + ((v - blue[c]) / 255) ** 2, 0);
  const expected = scalarGuided1D(t, pRow, radius, eps / d2).map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  for (let x = 0; x < W; x++) assert.ok(Math.abs(alpha[10 * W + x] - expected[x]) <= 1, `x=${x}: ${alpha[10 * W + x]} vs ${expected[x]}`);
  // The outline pixel is partial (neither the mask's 0 nor a full 255); far from the edge the mask stays.
  assert.ok(alpha[10 * W + 20] > 30 && alpha[10 * W + 20] < 225, `outline alpha ${alpha[10 * W + 20]}`);
  assert.equal(alpha[10 * W + 2], 255);
  assert.equal(alpha[10 * W + 37], 0);
  // An empty mask gives an all-zero alpha.
  assert.ok(softAlpha(image, { data: new Uint8Array(W * H), width: W, height: H }).every((v) => v === 0));
});

test('fast guided filter (subsampled coefficients) still returns the guide itself with a tiny eps', () => {
  // Every low-res window near the step has variance, so a ≈ 1 and b ≈ 0 there; flat windows give a = 0,
  // b = the flat value, which reproduces the guide too. Interpolating those coefficients keeps q ≈ I.
  const w = 41;
  const h = 23;
  const ir = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ir[y * w + x] = x < 17 ? 0.8 : 0.2;
  const zero = new Float32Array(w * h);
  for (const s of [2, 3]) {
    const q = fastGuidedFilterColor({ ir, ig: zero, ib: zero, p: ir, w, h }, { radius: 6, eps: 1e-6, subsample: s });
    for (let i = 0; i < w * h; i++) assert.ok(Math.abs(q[i] - ir[i]) < 0.02, `s${s} i${i}: ${q[i]} vs ${ir[i]}`);
  }
  // s = 1, or no subsample given, is the exact filter.
  const rnd = lcg(11);
  const p = Float32Array.from({ length: w * h }, () => (rnd() > 0.5 ? 1 : 0));
  const exact = guidedFilterColor(ir, zero, zero, p, w, h, 3, 1e-3);
  assert.deepEqual(fastGuidedFilterColor({ ir, ig: zero, ib: zero, p, w, h }, { radius: 3, eps: 1e-3, subsample: 1 }), exact);
  assert.deepEqual(fastGuidedFilterColor({ ir, ig: zero, ib: zero, p, w, h }, { radius: 3, eps: 1e-3 }), exact);
});

test('soft edge options: true = defaults, false = off, bad numbers = BAD_OPTION', () => {
  assert.equal(resolveSoftEdge(false), null);
  assert.equal(resolveSoftEdge(undefined), null);
  assert.deepEqual(resolveSoftEdge({ radius: 9 }), { ...resolveSoftEdge(true)!, radius: 9 });
  assert.throws(() => resolveSoftEdge({ subsample: 0 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  assert.throws(() => resolveSoftEdge({ radius: 0 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  assert.throws(() => resolveSoftEdge({ eps: -1 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
});
