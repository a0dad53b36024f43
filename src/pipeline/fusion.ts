/**
 * Fusing detections from several models and passes (full image, flipped, tiles, second pass) into one list
 * of characters: class-agnostic greedy box NMS across sources, highest score first. Two detections of the
 * same source (one model on one view) never suppress each other: the model's own NMS already decided
 * between them. A detection is a duplicate of a kept one from another source when their boxes overlap by
 * IoU > `iou`, or when one box lies mostly inside the other (intersection over the smaller box >
 * `contain`: a tile's or a detector's box of part of a character). When the kept detection has no mask
 * (a detection-only model) and a duplicate has one (a segment model), the kept one takes that mask.
 * Views of the whole image (full, flip) come first whatever their scores: a tile or a second-pass crop sees
 * part of the picture and may score a part of a character higher than the full view scores all of it, so
 * those passes only add characters the whole-image views did not find.
 */
import type { Box, Mask } from '../mask/types.js';

export type PassName = 'full' | 'flip' | 'tile' | 'second-pass';

export interface Candidate {
  classId: number;
  className: string;
  score: number;
  /** Original-image pixels. */
  box: Box;
  /** Full-image mask from a segment model; absent for detection-only models. */
  mask?: Mask;
  model: string;
  pass: PassName;
  /** Same value = same model on the same view (tile k, flip, ...). */
  source: string;
  /** Model whose mask this candidate carries when it was taken from a duplicate. */
  maskModel?: string;
}

export interface FusionOptions {
  /** Box IoU above which two detections are one character (default 0.5). */
  iou?: number;
  /** Intersection over the smaller box above which two detections are one character (default 0.8). */
  contain?: number;
}

export const DEFAULT_FUSION: Required<FusionOptions> = { iou: 0.5, contain: 0.8 };

function overlap(a: Box, b: Box): { iou: number; ios: number } {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return { iou: 0, ios: 0 };
  const inter = iw * ih;
  const aa = (a[2] - a[0]) * (a[3] - a[1]);
  const ab = (b[2] - b[0]) * (b[3] - b[1]);
  return { iou: inter / (aa + ab - inter), ios: inter / Math.max(1e-9, Math.min(aa, ab)) };
}

/** The kept candidates: whole-image views first, each tier in descending score order (stable). */
export function fuseCandidates(cands: readonly Candidate[], opts: FusionOptions = {}): Candidate[] {
  const { iou, contain } = { ...DEFAULT_FUSION, ...opts };
  const tier = (c: Candidate): number => (c.pass === 'full' || c.pass === 'flip' ? 0 : 1);
  const order = cands.map((_, i) => i).sort((p, q) => tier(cands[p]) - tier(cands[q]) || cands[q].score - cands[p].score || p - q);
  const kept: Candidate[] = [];
  for (const i of order) {
    const c = cands[i];
    let dupOf: Candidate | undefined;
    for (const k of kept) {
      if (k.source === c.source) continue;
      const o = overlap(k.box, c.box);
      if (o.iou > iou || o.ios > contain) {
        dupOf = k;
        break;
      }
    }
    if (!dupOf) kept.push({ ...c });
    else if (!dupOf.mask && c.mask) {
      dupOf.mask = c.mask;
      dupOf.maskModel = c.model;
    }
  }
  return kept;
}
