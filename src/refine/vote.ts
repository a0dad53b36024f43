/**
 * The seed's vote fusion (../shared/docs/algorithms.md §5): candidate segments (SAM AMG or the weight-free
 * over-segmentation) are kept when most of them lies inside YOLO's coarse mask, so the final mask follows the
 * segments' pixel-exact edges while YOLO decides what is character.
 *
 *   1. YOLO mask: erode 3x3 `yoloErode` times, dilate `yoloDilate` times, resize (nearest) to the segments' size.
 *   2. score(segment) = |segment ∧ yolo| / |segment|; keep when score > threshold.
 *   3. final = OR(kept) ∨ (yolo ∧ ¬ any segment); erode `finalErode`, dilate `finalDilate`.
 *   4. resize (nearest) back to the YOLO mask's size.
 *
 * `voteFusion` is the seed's union form; `voteFusionPerInstance` gives every instance its own mask: a kept
 * segment goes to the instance that covers the most of it (ties go to the earlier, higher-scoring instance).
 * The keep decision uses the union of the instances, so the per-instance masks together select the same
 * segments as the union form.
 */
import { AnimesegError } from '../errors.js';
import type { Mask } from '../mask/types.js';
import { resizeMaskNearest } from '../mask/resize.js';
import { unionMasks } from '../mask/ops.js';
import { erodeDilate } from './morph.js';
import { DEFAULT_VOTE_OPTIONS, type LabelMap, type VoteOptions } from './types.js';

export type Segments = Mask[] | LabelMap;

function isLabelMap(s: Segments): s is LabelMap {
  return !Array.isArray(s);
}

/** Fill in defaults and check every number; bad values are the caller's mistake (BAD_OPTION). */
export function resolveVoteOptions(opts: Partial<VoteOptions> = {}): VoteOptions {
  const o: VoteOptions = { ...DEFAULT_VOTE_OPTIONS };
  for (const [k, v] of Object.entries(opts) as [keyof VoteOptions, number | undefined][]) {
    if (v !== undefined && k in DEFAULT_VOTE_OPTIONS) o[k] = v;
  }
  const bad = (name: string, rule: string, v: number) =>
    new AnimesegError('BAD_OPTION', `vote option ${name} must be ${rule}, got ${v}`, {
      hint: `defaults: ${JSON.stringify(DEFAULT_VOTE_OPTIONS)}`,
    });
  if (!(o.threshold >= 0 && o.threshold < 1)) throw bad('threshold', 'in [0, 1)', o.threshold);
  for (const k of ['yoloErode', 'yoloDilate', 'finalErode', 'finalDilate'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > 64) throw bad(k, 'an integer in [0, 64]', o[k]);
  }
  if (!Number.isInteger(o.workingMaxSide) || o.workingMaxSide < 16) throw bad('workingMaxSide', 'an integer >= 16', o.workingMaxSide);
  return o;
}

/** 3x3 erosion erodeN times then 3x3 dilation dilateN times (= rectangles of radius n, as cv2 does it). */
function morph(m: Mask, erodeN: number, dilateN: number): Mask {
  return erodeDilate(m, erodeN, dilateN);
}

function sameSize(masks: Mask[], w: number, h: number, what: string): void {
  for (const m of masks) {
    if (m.width !== w || m.height !== h || m.data.length !== w * h) {
      throw new AnimesegError('BAD_INPUT', `${what}: mask is ${m.width}x${m.height}, expected ${w}x${h}`);
    }
  }
}

/** The seed's form: one mask for the union of all YOLO instances, at the YOLO mask size. */
export function voteFusion(yolo: Mask | Mask[], segments: Segments, opts: Partial<VoteOptions> = {}): Mask {
  const list = Array.isArray(yolo) ? yolo : [yolo];
  if (list.length === 0) throw new AnimesegError('BAD_INPUT', 'voteFusion: no YOLO mask given');
  const { width, height } = list[0];
  sameSize(list, width, height, 'voteFusion');
  const union = list.length === 1 ? list[0] : unionMasks(list, width, height);
  return voteFusionPerInstance([union], segments, opts)[0];
}

/**
 * Per-instance form: returns one refined mask per YOLO mask, in order, at the YOLO masks' size.
 * Segments (masks or a label map; label < 0 = no segment) define the working size.
 * `labelBias` (label maps only, one value per label) is added to each segment's score before the threshold
 * test: the hook through which the regions refiner adds colour evidence. Without it this is exactly §5.
 */
export function voteFusionPerInstance(yoloMasks: Mask[], segments: Segments, opts: Partial<VoteOptions> = {}, labelBias?: Float32Array): Mask[] {
  const o = resolveVoteOptions(opts);
  const n = yoloMasks.length;
  if (n === 0) return [];
  const { width: ow, height: oh } = yoloMasks[0];
  sameSize(yoloMasks, ow, oh, 'voteFusionPerInstance');
  let ww = ow;
  let wh = oh;
  if (isLabelMap(segments)) {
    ww = segments.width;
    wh = segments.height;
    if (segments.labels.length !== ww * wh) throw new AnimesegError('BAD_INPUT', 'voteFusion: label map size does not match its width x height');
  } else if (segments.length > 0) {
    ww = segments[0].width;
    wh = segments[0].height;
    sameSize(segments, ww, wh, 'voteFusion segments');
  }
  const N = ww * wh;

  // Step 1: each YOLO mask shrunk a little (erode more than dilate) so only confident pixels vote.
  const yolo = yoloMasks.map((m) => {
    const p = morph(m, o.yoloErode, o.yoloDilate);
    return p.width === ww && p.height === wh ? p : resizeMaskNearest(p, ww, wh);
  });
  const yd = yolo.map((m) => m.data);
  const unionYolo = n === 1 ? yd[0] : unionMasks(yolo, ww, wh).data;

  const finals = Array.from({ length: n }, () => new Uint8Array(N));
  const covered = new Uint8Array(N); // pixels that belong to some segment

  if (isLabelMap(segments)) {
    // Step 2 for a partition: one pass accumulates per-label area and overlap with each instance.
    const { labels, count } = segments;
    const area = new Int32Array(count);
    const interUnion = new Int32Array(count);
    const inter = new Int32Array(count * n);
    for (let p = 0; p < N; p++) {
      const l = labels[p];
      if (l < 0) continue;
      area[l]++;
      if (unionYolo[p]) {
        interUnion[l]++;
        for (let i = 0; i < n; i++) if (yd[i][p]) inter[l * n + i]++;
      }
    }
    const owner = new Int32Array(count).fill(-1);
    for (let l = 0; l < count; l++) {
      const score = interUnion[l] / area[l] + (labelBias ? labelBias[l] : 0);
      // A segment that does not touch the YOLO mask is never kept, whatever its bias.
      if (area[l] === 0 || interUnion[l] === 0 || !(score > o.threshold)) continue;
      let best = 0;
      for (let i = 1; i < n; i++) if (inter[l * n + i] > inter[l * n + best]) best = i;
      owner[l] = best;
    }
    for (let p = 0; p < N; p++) {
      const l = labels[p];
      if (l < 0) continue;
      covered[p] = 1;
      const w = owner[l];
      if (w >= 0) finals[w][p] = 1;
    }
  } else {
    const inter = new Int32Array(n);
    for (const seg of segments) {
      const s = seg.data;
      let area = 0;
      let interUnion = 0;
      inter.fill(0);
      for (let p = 0; p < N; p++) {
        if (!s[p]) continue;
        area++;
        covered[p] = 1;
        if (unionYolo[p]) {
          interUnion++;
          for (let i = 0; i < n; i++) if (yd[i][p]) inter[i]++;
        }
      }
      if (area === 0 || !(interUnion / area > o.threshold)) continue;
      let best = 0;
      for (let i = 1; i < n; i++) if (inter[i] > inter[best]) best = i;
      const f = finals[best];
      for (let p = 0; p < N; p++) if (s[p]) f[p] = 1;
    }
  }

  // Step 3: YOLO pixels that no segment claims stay; then an opening removes slivers and specks.
  return finals.map((f, i) => {
    const y = yd[i];
    for (let p = 0; p < N; p++) if (y[p] && !covered[p]) f[p] = 1;
    const m = morph({ data: f, width: ww, height: wh }, o.finalErode, o.finalDilate);
    return m.width === ow && m.height === oh ? m : resizeMaskNearest(m, ow, oh);
  });
}
