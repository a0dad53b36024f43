/**
 * The vote fusion (../shared/docs/algorithms.md §5), in the original work's order of operations
 * (`vote_mask_generate` in its detects.py; ../shared/data/reference/vote/README.md): candidate segments (SAM
 * AMG or the weight-free over-segmentation) are kept when enough of them lies inside YOLO's coarse mask, so
 * the final mask follows the segments' pixel-exact edges while YOLO decides what is character.
 *
 *   1. YOLO evidence, at the YOLO mask size: the instances' masks summed ('original': a pixel two instances
 *      share counts 2) or united ('corrected'); eroded 3x3 `yoloErode` times, dilated `yoloDilate` times
 *      (grey-level: min/max filters); resized bilinearly (float32, cv2) to the segments' size and truncated
 *      to integers (numpy's astype(uint8)).
 *   2. score(segment) = sum(yolo over the segment) / |segment|; keep when score > threshold. 'original' sums
 *      yolo[p] / |segment| in float64 in numpy's pairwise order, so a score that is exactly the threshold in
 *      exact arithmetic is kept or dropped as the original's rounding decides (see `numpySumOfRatios`).
 *   3. fused = OR(kept) | (yolo AND NOT covered), where covered = the union of all segments. 'original' does
 *      this on uint8 values as the original does (`bitwise_not` of the 0/1 union is 254 on covered pixels, so
 *      a YOLO value 2 — two instances — is added back even under a segment); 'corrected' adds back only YOLO
 *      pixels no segment covers. Then erode `finalErode`, dilate `finalDilate` (grey-level).
 *   4. The result stays at the segments' size (the original function's output); the refiner resizes it.
 *
 * Per-instance results (`voteFusionPerInstance`) make every decision above on the union, exactly as the
 * original, then split the fused mask by owner: a kept segment belongs to the instance whose mask covers the
 * most of it (ties to the earlier, higher-scoring instance); an added-back pixel to every instance whose mask
 * holds it. So the instances together are the original's mask, whatever their number.
 *
 * Grey-level morphology with a flat square kernel commutes with thresholding, so every min/max filter here
 * runs as the binary erode/dilate of each level set (value >= k) and the levels are summed back.
 */
import { AnimesegError } from '../errors.js';
import type { Mask } from '../mask/types.js';
import { resizeLinearF32Cv, resizeMaskLinear } from '../mask/resize.js';
import { erodeDilate } from './morph.js';
import { DEFAULT_VOTE_OPTIONS, VOTE_MODES, type LabelMap, type VoteMode, type VoteOptions } from './types.js';

export type Segments = Mask[] | LabelMap;

const NUMERIC_KEYS = ['threshold', 'yoloErode', 'yoloDilate', 'finalErode', 'finalDilate', 'workingMaxSide', 'yoloMaskSide'] as const;

function isLabelMap(s: Segments): s is LabelMap {
  return !Array.isArray(s);
}

/** Fill in defaults and check every value; bad values are the caller's mistake (BAD_OPTION). */
export function resolveVoteOptions(opts: Partial<VoteOptions> = {}): VoteOptions {
  const o: VoteOptions = { ...DEFAULT_VOTE_OPTIONS };
  for (const k of NUMERIC_KEYS) if (opts[k] !== undefined) o[k] = opts[k] as number;
  if (opts.mode !== undefined) o.mode = opts.mode;
  const bad = (name: string, rule: string, v: unknown) =>
    new AnimesegError('BAD_OPTION', `vote option ${name} must be ${rule}, got ${String(v)}`, {
      hint: `defaults: ${JSON.stringify(DEFAULT_VOTE_OPTIONS)}`,
    });
  if (!(VOTE_MODES as readonly string[]).includes(o.mode)) throw bad('mode', VOTE_MODES.join(' or '), o.mode);
  if (!(o.threshold >= 0 && o.threshold < 1)) throw bad('threshold', 'in [0, 1)', o.threshold);
  for (const k of ['yoloErode', 'yoloDilate', 'finalErode', 'finalDilate'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > 64) throw bad(k, 'an integer in [0, 64]', o[k]);
  }
  if (!Number.isInteger(o.workingMaxSide) || o.workingMaxSide < 16) throw bad('workingMaxSide', 'an integer >= 16', o.workingMaxSide);
  if (!Number.isInteger(o.yoloMaskSide) || (o.yoloMaskSide !== 0 && o.yoloMaskSide < 16)) throw bad('yoloMaskSide', '0 or an integer >= 16', o.yoloMaskSide);
  return o;
}

function sameSize(masks: Mask[], w: number, h: number, what: string): void {
  for (const m of masks) {
    if (m.width !== w || m.height !== h || m.data.length !== w * h) {
      throw new AnimesegError('BAD_INPUT', `${what}: mask is ${m.width}x${m.height}, expected ${w}x${h}`);
    }
  }
}

/**
 * Grey-level erode-then-dilate of small integer values (0..255) with the 3x3 kernel, as cv2.erode/cv2.dilate
 * on the value image: per level set, then summed. Returns new values.
 */
function morphValues(v: Uint8Array, w: number, h: number, erodeN: number, dilateN: number): Uint8Array {
  let top = 0;
  for (let p = 0; p < v.length; p++) if (v[p] > top) top = v[p];
  if (top <= 1) {
    const m = erodeDilate({ data: v, width: w, height: h }, erodeN, dilateN).data;
    return m === v ? v.slice() : m;
  }
  const out = new Uint8Array(v.length);
  const level = new Uint8Array(v.length);
  for (let k = 1; k <= top; k++) {
    for (let p = 0; p < v.length; p++) level[p] = v[p] >= k ? 1 : 0;
    const m = erodeDilate({ data: level, width: w, height: h }, erodeN, dilateN).data;
    for (let p = 0; p < v.length; p++) out[p] += m[p];
  }
  return out;
}

/**
 * Step 1: the YOLO evidence at the working size (ww x wh) from the instances' masks at the YOLO mask size:
 * per pixel, how many instances hold it ('original'; the union, 0/1, for 'corrected'), after the YOLO
 * morphology at the YOLO size, the float bilinear resize and the truncation to integers.
 */
export function yoloEvidence(yolo: Mask[], ww: number, wh: number, o: VoteOptions): Uint8Array {
  const { width: yw, height: yh } = yolo[0];
  const n = yw * yh;
  const count = new Uint8Array(n);
  for (const m of yolo) {
    const d = m.data;
    if (o.mode === 'original') for (let p = 0; p < n; p++) count[p] = Math.min(255, count[p] + (d[p] ? 1 : 0));
    else for (let p = 0; p < n; p++) if (d[p]) count[p] = 1;
  }
  const processed = morphValues(count, yw, yh, o.yoloErode, o.yoloDilate);
  if (yw === ww && yh === wh) return processed;
  const resized = resizeLinearF32Cv(Float32Array.from(processed), yw, yh, ww, wh);
  const out = new Uint8Array(ww * wh);
  // numpy astype(uint8) truncates; values are in [0, max count], so this is Math.trunc.
  for (let p = 0; p < out.length; p++) out[p] = resized[p];
  return out;
}

/**
 * numpy's `np.sum(values * mask / area)` over a C-contiguous image of N pixels: float64 ratios v / area
 * summed by numpy's pairwise summation (blocks of at most 128 with 8 accumulators, halves rounded to a
 * multiple of 8), from an initial 0. Zeros do not change a partial sum, but they shape the tree, so the tree
 * is walked over all N indices; ranges outside [first, last] non-zero are skipped as the 0 they sum to.
 */
export function numpySumOfRatios(values: Uint8Array, mask: Uint8Array, area: number, first: number, last: number): number {
  const at = (i: number): number => (mask[i] && values[i] ? values[i] / area : 0);
  const pairwise = (lo: number, n: number): number => {
    if (lo > last || lo + n <= first) return 0;
    if (n < 8) {
      let res = 0;
      for (let i = 0; i < n; i++) res += at(lo + i);
      return res;
    }
    if (n <= 128) {
      const r = [at(lo), at(lo + 1), at(lo + 2), at(lo + 3), at(lo + 4), at(lo + 5), at(lo + 6), at(lo + 7)];
      let i = 8;
      for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += at(lo + i + j);
      let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
      for (; i < n; i++) res += at(lo + i);
      return res;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwise(lo, n2) + pairwise(lo + n2, n - n2);
  };
  return 0 + pairwise(0, values.length);
}

/** What the union decisions leave: the fused values after the final morphology, and who owns what. */
interface UnionFusion {
  /** Final values at the working size (0 = background); the original's own output, 0..3 where instances overlap. */
  values: Uint8Array;
  width: number;
  height: number;
  /** Per instance, the pixels it owns before the final morphology (undefined with one instance: all of them). */
  owned?: Uint8Array[];
}

function fuse(yoloMasks: Mask[], segments: Segments, o: VoteOptions, labelBias?: Float32Array): UnionFusion {
  const n = yoloMasks.length;
  const { width: yw, height: yh } = yoloMasks[0];
  sameSize(yoloMasks, yw, yh, 'vote fusion YOLO masks');
  let ww = yw;
  let wh = yh;
  if (isLabelMap(segments)) {
    ww = segments.width;
    wh = segments.height;
    if (segments.labels.length !== ww * wh) throw new AnimesegError('BAD_INPUT', 'vote fusion: label map size does not match its width x height');
    if (labelBias && labelBias.length !== segments.count) throw new AnimesegError('BAD_INPUT', 'vote fusion: one label bias per label expected');
  } else if (segments.length > 0) {
    ww = segments[0].width;
    wh = segments[0].height;
    sameSize(segments, ww, wh, 'vote fusion segments');
  }
  const N = ww * wh;
  const yolo = yoloEvidence(yoloMasks, ww, wh, o);
  // Ownership only: which instance a kept segment or an added-back pixel belongs to (never what is kept).
  const owners = n === 1 ? [] : yoloMasks.map((m) => (m.width === ww && m.height === wh ? m.data : resizeMaskLinear(m, ww, wh).data));
  const owned = n === 1 ? undefined : owners.map(() => new Uint8Array(N));
  const kept = new Uint8Array(N);
  const covered = new Uint8Array(N);
  const bestOwner = (inter: Int32Array): number => {
    let best = 0;
    for (let i = 1; i < n; i++) if (inter[i] > inter[best]) best = i;
    return best;
  };

  if (isLabelMap(segments)) {
    // A partition: one pass accumulates per-label area, YOLO sum and overlap with each instance's mask.
    // Scores are exact ratios here (the original never saw label maps).
    const { labels, count } = segments;
    const area = new Int32Array(count);
    const sum = new Int32Array(count);
    const inter = new Int32Array(count * Math.max(n, 1));
    for (let p = 0; p < N; p++) {
      const l = labels[p];
      if (l < 0) continue;
      area[l]++;
      sum[l] += yolo[p];
      if (owned) for (let i = 0; i < n; i++) if (owners[i][p]) inter[l * n + i]++;
    }
    const owner = new Int32Array(count).fill(-1);
    for (let l = 0; l < count; l++) {
      // A segment that does not touch the YOLO evidence is never kept, whatever its bias.
      if (area[l] === 0 || sum[l] === 0 || !(sum[l] / area[l] + (labelBias ? labelBias[l] : 0) > o.threshold)) continue;
      owner[l] = owned ? bestOwner(inter.subarray(l * n, l * n + n)) : 0;
    }
    for (let p = 0; p < N; p++) {
      const l = labels[p];
      if (l < 0) continue;
      covered[p] = 1;
      const w = owner[l];
      if (w < 0) continue;
      kept[p] = 1;
      if (owned) owned[w][p] = 1;
    }
  } else {
    const inter = new Int32Array(n);
    for (const seg of segments) {
      const s = seg.data;
      let area = 0;
      let sum = 0;
      let first = -1;
      let last = -1;
      inter.fill(0);
      for (let p = 0; p < N; p++) {
        if (!s[p]) continue;
        area++;
        covered[p] = 1;
        if (yolo[p]) {
          sum += yolo[p];
          if (first < 0) first = p;
          last = p;
        }
        if (owned) for (let i = 0; i < n; i++) if (owners[i][p]) inter[i]++;
      }
      if (area === 0 || sum === 0) continue;
      // numpy's float sum of n ratios is within ~log2(n) * 2^-52 (relative) of the exact ratio, so it can
      // only decide differently at (near) ties: the pairwise walk runs just there.
      const exact = sum / area;
      const score = o.mode === 'original' && Math.abs(exact - o.threshold) < 1e-9 ? numpySumOfRatios(yolo, s, area, first, last) : exact;
      if (!(score > o.threshold)) continue;
      const w = owned ? bestOwner(inter) : 0;
      for (let p = 0; p < N; p++) {
        if (!s[p]) continue;
        kept[p] = 1;
        if (owned) owned[w][p] = 1;
      }
    }
  }

  // Step 3: add back YOLO pixels; 'original' with its uint8 bitwise_not (254 = covered), 'corrected' only where
  // no segment is.
  const fused = new Uint8Array(N);
  for (let p = 0; p < N; p++) {
    const back = covered[p] ? (o.mode === 'original' ? yolo[p] & 254 : 0) : yolo[p];
    fused[p] = kept[p] | back;
    if (owned && back) {
      let any = false;
      for (let i = 0; i < n; i++) {
        if (owners[i][p]) {
          owned[i][p] = 1;
          any = true;
        }
      }
      // Evidence outside every instance's own mask (union morphology can leave a pixel where two masks
      // touch): the first, highest-scoring instance takes it.
      if (!any) owned[0][p] = 1;
    }
  }
  return { values: morphValues(fused, ww, wh, o.finalErode, o.finalDilate), width: ww, height: wh, owned };
}

function nonZero(values: Uint8Array, width: number, height: number, owned?: Uint8Array): Mask {
  const data = new Uint8Array(values.length);
  for (let p = 0; p < data.length; p++) data[p] = values[p] && (!owned || owned[p]) ? 1 : 0;
  return { data, width, height };
}

/**
 * The original function: one mask for all YOLO instances together, at the segments' size. `yolo` holds the
 * instances' masks at the YOLO mask size (one mask, or several whose sum is the original's YOLO map).
 */
export function voteFusion(yolo: Mask | Mask[], segments: Segments, opts: Partial<VoteOptions> = {}): Mask {
  const list = Array.isArray(yolo) ? yolo : [yolo];
  if (list.length === 0) throw new AnimesegError('BAD_INPUT', 'voteFusion: no YOLO mask given');
  const f = fuse(list, segments, resolveVoteOptions(opts));
  return nonZero(f.values, f.width, f.height);
}

/**
 * Per-instance results at the segments' size, as grey values (0 = background): the original's fused values
 * split by owner. The refiner resizes these values to the image, as the original resizes its output.
 * `labelBias` (label maps only, one value per label) is added to each segment's score before the threshold
 * test: the hook through which the regions refiner adds colour evidence. Without it this is exactly §5.
 */
export function voteFusionValues(yoloMasks: Mask[], segments: Segments, opts: Partial<VoteOptions> = {}, labelBias?: Float32Array): { values: Uint8Array[]; width: number; height: number } {
  const o = resolveVoteOptions(opts);
  if (yoloMasks.length === 0) return { values: [], width: 0, height: 0 };
  const f = fuse(yoloMasks, segments, o, labelBias);
  const values = f.owned ? f.owned.map((own) => f.values.map((v, p) => (own[p] ? v : 0))) : [f.values];
  return { values, width: f.width, height: f.height };
}

/** Per-instance masks at the segments' size (see voteFusionValues). */
export function voteFusionPerInstance(yoloMasks: Mask[], segments: Segments, opts: Partial<VoteOptions> = {}, labelBias?: Float32Array): Mask[] {
  const { values, width, height } = voteFusionValues(yoloMasks, segments, opts, labelBias);
  return values.map((v) => nonZero(v, width, height));
}
