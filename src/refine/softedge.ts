/**
 * Edge-aware soft alpha: the colour guided filter of He, Sun and Tang ("Guided Image Filtering", ECCV 2010 /
 * TPAMI 2013, Alg. 1 with a colour guide) applied to a refined binary mask with the image as guide. Where the
 * image has an edge the alpha follows it; across anti-aliased outlines and strands of hair it takes partial
 * values in proportion to the colour mix. Written by hand (no Node library ships a guided filter): all box
 * means are O(1) per pixel via running sums, computed only on the mask's bounding box plus a margin because
 * far from the mask border the filter returns the mask unchanged (a constant p gives a = 0, b = p).
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Mask } from '../mask/types.js';
import { maskBox } from '../mask/ops.js';
import { DEFAULT_SOFT_EDGE, type SoftEdgeOption, type SoftEdgeOptions } from './types.js';

/** `true` → defaults, `false`/undefined → null (off), object → defaults overridden and checked. */
export function resolveSoftEdge(opt: SoftEdgeOption | undefined): SoftEdgeOptions | null {
  if (opt === undefined || opt === false) return null;
  const o: SoftEdgeOptions = { ...DEFAULT_SOFT_EDGE, ...(opt === true ? {} : opt) };
  if (!Number.isInteger(o.radius) || o.radius < 1 || o.radius > 64) {
    throw invalidParameterError('softEdge.radius', 'an integer in [1, 64]', o.radius);
  }
  if (!(o.eps > 0 && o.eps <= 1)) throw invalidParameterError('softEdge.eps', 'in (0, 1]', o.eps);
  if (o.subsample !== undefined && !(Number.isInteger(o.subsample) && o.subsample >= 1 && o.subsample <= 8)) {
    throw invalidParameterError('softEdge.subsample', 'an integer in [1, 8]', o.subsample);
  }
  return o;
}

/**
 * Mean over the (2r+1)^2 window clipped to the w x h grid, in place (src is overwritten with the result).
 * Running sums along rows then columns; the divisor counts only the in-image pixels, as He's reference
 * code does (boxfilter(ones)).
 */
export function boxMeanInPlace(src: Float32Array, w: number, h: number, r: number, scratch: Float64Array): void {
  // Horizontal: scratch holds row-window sums.
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    const firstEnd = Math.min(r, w - 1);
    for (let x = 0; x <= firstEnd; x++) acc += src[row + x];
    for (let x = 0; x < w; x++) {
      scratch[row + x] = acc;
      const add = x + r + 1;
      const sub = x - r;
      if (add < w) acc += src[row + add];
      if (sub >= 0) acc -= src[row + sub];
    }
  }
  // Vertical over the row sums, then divide by the clipped window area.
  for (let x = 0; x < w; x++) {
    let acc = 0;
    const firstEnd = Math.min(r, h - 1);
    for (let y = 0; y <= firstEnd; y++) acc += scratch[y * w + x];
    const cx = Math.min(w - 1, x + r) - Math.max(0, x - r) + 1;
    for (let y = 0; y < h; y++) {
      const cy = Math.min(h - 1, y + r) - Math.max(0, y - r) + 1;
      src[y * w + x] = acc / (cx * cy);
      const add = y + r + 1;
      const sub = y - r;
      if (add < h) acc += scratch[add * w + x];
      if (sub >= 0) acc -= scratch[sub * w + x];
    }
  }
}

/** The guided filter's operands, all w x h planes: the colour guide (ir, ig, ib, values 0..1) and the input p. */
export interface GuidedInput {
  ir: Float32Array;
  ig: Float32Array;
  ib: Float32Array;
  p: Float32Array;
  w: number;
  h: number;
}

/**
 * Box-meaned coefficients of the colour guided filter (He et al. Alg. 1, colour case):
 * a = (Σ + eps U)^-1 cov(I, p), b = mean(p) - a·mean(I), then mean(a), mean(b) over each window.
 * Returns four planes [aR, aG, aB, b]; the filter output is q = aR·Ir + aG·Ig + aB·Ib + b.
 */
function guidedCoefficients(
  { ir, ig, ib, p, w, h }: GuidedInput,
  radius: number,
  eps: number,
): [Float32Array, Float32Array, Float32Array, Float32Array] {
  const N = w * h;
  const scratch = new Float64Array(N);
  // Window mean of x, or of x·y.
  const meanOf = (x: Float32Array, y: Float32Array | null): Float32Array => {
    const a = new Float32Array(N);
    if (y) for (let i = 0; i < N; i++) a[i] = x[i] * y[i];
    else a.set(x);
    boxMeanInPlace(a, w, h, radius, scratch);
    return a;
  };
  // Means of the guide and p, of the guide–p products, and of the guide's second moments (upper triangle of Σ).
  const [mR, mG, mB, mP] = [ir, ig, ib, p].map((x) => meanOf(x, null));
  const [mRP, mGP, mBP] = [ir, ig, ib].map((x) => meanOf(x, p));
  const pairs = [[ir, ir], [ir, ig], [ir, ib], [ig, ig], [ig, ib], [ib, ib]] as const;
  const [mRR, mRG, mRB, mGG, mGB, mBB] = pairs.map(([x, y]) => meanOf(x, y));
  // Solve the 3x3 system per pixel; results overwrite buffers that are no longer needed.
  const aR = mRP;
  const aG = mGP;
  const aB = mBP;
  const bb = mP;
  for (let i = 0; i < N; i++) {
    const r = mR[i];
    const g = mG[i];
    const b = mB[i];
    const pm = mP[i];
    const cr = mRP[i] - r * pm;
    const cg = mGP[i] - g * pm;
    const cb = mBP[i] - b * pm;
    const s00 = mRR[i] - r * r + eps;
    const s01 = mRG[i] - r * g;
    const s02 = mRB[i] - r * b;
    const s11 = mGG[i] - g * g + eps;
    const s12 = mGB[i] - g * b;
    const s22 = mBB[i] - b * b + eps;
    // Inverse of the symmetric matrix by cofactors.
    const i00 = s11 * s22 - s12 * s12;
    const i01 = s02 * s12 - s01 * s22;
    const i02 = s01 * s12 - s02 * s11;
    const i11 = s00 * s22 - s02 * s02;
    const i12 = s01 * s02 - s00 * s12;
    const i22 = s00 * s11 - s01 * s01;
    const det = s00 * i00 + s01 * i01 + s02 * i02;
    const ar = (i00 * cr + i01 * cg + i02 * cb) / det;
    const ag = (i01 * cr + i11 * cg + i12 * cb) / det;
    const ab = (i02 * cr + i12 * cg + i22 * cb) / det;
    aR[i] = ar;
    aG[i] = ag;
    aB[i] = ab;
    bb[i] = pm - ar * r - ag * g - ab * b;
  }
  boxMeanInPlace(aR, w, h, radius, scratch);
  boxMeanInPlace(aG, w, h, radius, scratch);
  boxMeanInPlace(aB, w, h, radius, scratch);
  boxMeanInPlace(bb, w, h, radius, scratch);
  return [aR, aG, aB, bb];
}

/** Colour guided filter of `p` (w x h floats) with guide planes ir, ig, ib (0..1). Returns q. */
export function guidedFilterColor(ir: Float32Array, ig: Float32Array, ib: Float32Array, p: Float32Array, w: number, h: number, radius: number, eps: number): Float32Array {
  return fastGuidedFilterColor({ ir, ig, ib, p, w, h }, { radius, eps, subsample: 1 });
}

/** Mean of each s x s block (partial blocks at the right/bottom edges average what they hold). */
function blockMean(src: Float32Array, w: number, h: number, s: number): Float32Array {
  const ws = Math.ceil(w / s);
  const hs = Math.ceil(h / s);
  const out = new Float32Array(ws * hs);
  const n = new Float32Array(ws * hs);
  for (let y = 0; y < h; y++) {
    const oy = ((y / s) | 0) * ws;
    for (let x = 0; x < w; x++) {
      const o = oy + ((x / s) | 0);
      out[o] += src[y * w + x];
      n[o]++;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= n[i];
  return out;
}

/**
 * The fast guided filter (He & Sun, arXiv:1505.00996): coefficients computed on the guide and input
 * subsampled by s (radius / s), bilinearly upsampled, and applied to the full-resolution guide. The edges
 * still come from the full-resolution guide; the cost of the 17 box filters drops by s^2. s = subsample;
 * s <= 1 (or absent) is the exact filter.
 */
export function fastGuidedFilterColor(input: GuidedInput, { radius, eps, subsample: s = 1 }: SoftEdgeOptions): Float32Array {
  const { ir, ig, ib, p, w, h } = input;
  if (s <= 1) {
    const [aR, aG, aB, bb] = guidedCoefficients(input, radius, eps);
    const q = new Float32Array(w * h);
    for (let i = 0; i < q.length; i++) q[i] = aR[i] * ir[i] + aG[i] * ig[i] + aB[i] * ib[i] + bb[i];
    return q;
  }
  const ws = Math.ceil(w / s);
  const hs = Math.ceil(h / s);
  const small = { ir: blockMean(ir, w, h, s), ig: blockMean(ig, w, h, s), ib: blockMean(ib, w, h, s), p: blockMean(p, w, h, s), w: ws, h: hs };
  const coef = guidedCoefficients(small, Math.max(1, Math.round(radius / s)), eps);
  // Bilinear upsampling with half-pixel centres: block j's centre is at full-res (j + 0.5) * s - 0.5.
  const x0 = new Int32Array(w);
  const x1 = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const f = Math.min(ws - 1, Math.max(0, (x + 0.5) / s - 0.5));
    x0[x] = Math.floor(f);
    x1[x] = Math.min(ws - 1, x0[x] + 1);
    fx[x] = f - x0[x];
  }
  const q = new Float32Array(w * h);
  const [aR, aG, aB, bb] = coef;
  for (let y = 0; y < h; y++) {
    const f = Math.min(hs - 1, Math.max(0, (y + 0.5) / s - 0.5));
    const yA = Math.floor(f);
    const yB = Math.min(hs - 1, yA + 1);
    const fy = f - yA;
    const rA = yA * ws;
    const rB = yB * ws;
    for (let x = 0; x < w; x++) {
      const i00 = rA + x0[x];
      const i01 = rA + x1[x];
      const i10 = rB + x0[x];
      const i11 = rB + x1[x];
      const tx = fx[x];
      const w00 = (1 - tx) * (1 - fy);
      const w01 = tx * (1 - fy);
      const w10 = (1 - tx) * fy;
      const w11 = tx * fy;
      const i = y * w + x;
      const ar = aR[i00] * w00 + aR[i01] * w01 + aR[i10] * w10 + aR[i11] * w11;
      const ag = aG[i00] * w00 + aG[i01] * w01 + aG[i10] * w10 + aG[i11] * w11;
      const ab = aB[i00] * w00 + aB[i01] * w01 + aB[i10] * w10 + aB[i11] * w11;
      const b = bb[i00] * w00 + bb[i01] * w01 + bb[i10] * w10 + bb[i11] * w11;
      q[i] = ar * ir[i] + ag * ig[i] + ab * ib[i] + b;
    }
  }
  return q;
}

/**
 * Soft alpha (0..255, full image size) for one binary mask, guided by the RGB(A) image.
 * Work is limited to the mask's bounding box grown by 2 radii (the filter's reach).
 */
export function softAlpha(image: RawImage, mask: Mask, opts: SoftEdgeOption = true): Uint8Array {
  const o = resolveSoftEdge(opts) ?? DEFAULT_SOFT_EDGE;
  const { width: W, height: H, channels: c, data } = image;
  if (mask.width !== W || mask.height !== H) {
    throw new AnimesegError('BAD_INPUT', `softAlpha: mask is ${mask.width}x${mask.height}, image is ${W}x${H}`);
  }
  const alpha = new Uint8Array(W * H);
  const box = maskBox(mask);
  if (!box) return alpha;
  const m = mask.data;
  const margin = 2 * o.radius + 1;
  const x1 = Math.max(0, box[0] - margin);
  const y1 = Math.max(0, box[1] - margin);
  const x2 = Math.min(W - 1, box[2] - 1 + margin);
  const y2 = Math.min(H - 1, box[3] - 1 + margin);
  const w = x2 - x1 + 1;
  const h = y2 - y1 + 1;
  const N = w * h;
  const ir = new Float32Array(N);
  const ig = new Float32Array(N);
  const ib = new Float32Array(N);
  const p = new Float32Array(N);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y + y1) * W + (x + x1);
      const i = y * w + x;
      const d = s * c;
      ir[i] = data[d] / 255;
      ig[i] = (c >= 3 ? data[d + 1] : data[d]) / 255;
      ib[i] = (c >= 3 ? data[d + 2] : data[d]) / 255;
      p[i] = m[s];
    }
  }
  const q = fastGuidedFilterColor({ ir, ig, ib, p, w, h }, o);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = q[y * w + x];
      alpha[(y + y1) * W + (x + x1)] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
  return alpha;
}
