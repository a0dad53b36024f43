/**
 * Colour evidence for the regions vote. YOLO's masks are coarse in a systematic way: they bulge over the
 * background in concave places (between arm and body, between twin-tails and face), where whole background
 * segments end up mostly "inside" and win the vote. A GrabCut-like colour model fixes most of those:
 * a colour histogram of the character (the YOLO mask eroded well inside) against one of the local background
 * (a ring just outside the YOLO mask); each segment's mean log-likelihood ratio becomes a bias added to its
 * vote score. Histograms (16^3 bins) instead of GMMs keep it one pass over the pixels.
 */
import type { RawImage } from '../../image/types.js';
import type { Mask } from '../../mask/types.js';
import { erodeDilate } from '../morph.js';
import type { LabelMap } from '../types.js';

export interface ColourPriorOptions {
  /** Largest score change the colour evidence can make (0 = off). */
  weight: number;
  /** Foreground samples: the YOLO union eroded by this fraction of the image's longest side. */
  coreErode: number;
  /** Background samples: a ring this wide (fraction of the longest side) outside the YOLO union. */
  ringWidth: number;
  /** Mean log-likelihood ratio that counts as full evidence (bias = weight * tanh(llr / scale)). */
  scale: number;
}

/** Tuned on KS composites (bench/refine-tune.ts): 8 px core and 32 px ring on a 1000 px image. */
export const DEFAULT_COLOUR_PRIOR: Readonly<ColourPriorOptions> = Object.freeze({ weight: 1, coreErode: 0.008, ringWidth: 0.032, scale: 2 });

const BINS = 4096; // 16 levels per channel

/** Per-label bias in [-weight, weight]; `yolo` is the union of the YOLO masks at the label map's size. */
export function colourBias(image: RawImage, lm: LabelMap, yolo: Mask, o: ColourPriorOptions): Float32Array {
  const bias = new Float32Array(lm.count);
  if (!(o.weight > 0)) return bias;
  const { width: W, height: H, channels: c, data } = image;
  const N = W * H;
  const side = Math.max(W, H);
  const coreR = Math.round(o.coreErode * side);
  const ringR = Math.max(1, Math.round(o.ringWidth * side));
  const core = erodeDilate(yolo, coreR, 0).data;
  // The ring includes YOLO's holes: enclosed pockets (hands on hips) are background worth learning from.
  // Filling the holes first (so a tie YOLO missed would not count as background) measured slightly worse.
  const outer = erodeDilate(yolo, 0, ringR).data;
  const y = yolo.data;
  const bin = new Uint16Array(N);
  const hf = new Float64Array(BINS);
  const hb = new Float64Array(BINS);
  let nf = 0;
  let nb = 0;
  for (let p = 0, i = 0; p < N; p++, i += c) {
    const b = c >= 3 ? ((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4) : (data[i] >> 4) * 273;
    bin[p] = b;
    if (core[p]) {
      hf[b]++;
      nf++;
    } else if (outer[p] && !y[p]) {
      hb[b]++;
      nb++;
    }
  }
  if (nf === 0 || nb === 0) return bias;
  // Laplace smoothing, then the log ratio per bin.
  const alpha = 1;
  const llrBin = new Float32Array(BINS);
  const df = nf + alpha * BINS;
  const db = nb + alpha * BINS;
  for (let b = 0; b < BINS; b++) llrBin[b] = Math.log((hf[b] + alpha) / df) - Math.log((hb[b] + alpha) / db);
  const sum = new Float64Array(lm.count);
  const cnt = new Int32Array(lm.count);
  const labels = lm.labels;
  for (let p = 0; p < N; p++) {
    const l = labels[p];
    if (l < 0) continue;
    sum[l] += llrBin[bin[p]];
    cnt[l]++;
  }
  for (let l = 0; l < lm.count; l++) if (cnt[l]) bias[l] = o.weight * Math.tanh(sum[l] / cnt[l] / o.scale);
  return bias;
}
