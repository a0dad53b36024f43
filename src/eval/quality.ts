/**
 * Refined-mask quality at full image resolution, which Ultralytics does not measure:
 * - foreground IoU: union of the predicted masks vs union of the true masks (both empty counts as 1);
 * - instance IoU: predictions and truths of the same class matched greedily by mask IoU (best pair first,
 *   IoU >= 0.5, like COCO's one-to-one matching), the IoU of each matched pair;
 * - boundary F-score of the union masks: DAVIS boundary F (src/mask/boundary.ts), tolerance `tol` px.
 * Only confident predictions (score >= quality conf) take part: at validation conf 0.001 the union of every
 * low-score candidate would measure the threshold, not the masks.
 */
import { boundaryFScore } from '../mask/boundary.js';
import { maskIoU, unionMasks } from '../mask/ops.js';
import type { Mask } from '../mask/types.js';

export interface QualityInstance {
  cls: number;
  mask: Mask;
}

export interface ImageQuality {
  fgIoU: number;
  boundaryF: number;
  /** IoU of every matched (prediction, truth) pair. */
  matchedIoU: number[];
  gt: number;
  pred: number;
}

export interface QualitySummary {
  images: number;
  /** Means over images. */
  fgIoU: number;
  boundaryF: number;
  /** Mean over all matched instances. */
  instanceIoU: number;
  matched: number;
  gtInstances: number;
  predInstances: number;
}

/** Greedy one-to-one matching by IoU (>= minIoU), same class only; returns the matched IoUs. */
export function matchInstances(preds: readonly QualityInstance[], gts: readonly QualityInstance[], minIoU = 0.5): number[] {
  const pairs: { iou: number; p: number; g: number }[] = [];
  preds.forEach((p, pi) => {
    gts.forEach((g, gi) => {
      if (p.cls !== g.cls) return;
      const v = maskIoU(p.mask, g.mask);
      if (v >= minIoU) pairs.push({ iou: v, p: pi, g: gi });
    });
  });
  pairs.sort((a, b) => b.iou - a.iou || a.p - b.p || a.g - b.g);
  const usedP = new Set<number>();
  const usedG = new Set<number>();
  const out: number[] = [];
  for (const q of pairs) {
    if (usedP.has(q.p) || usedG.has(q.g)) continue;
    usedP.add(q.p);
    usedG.add(q.g);
    out.push(q.iou);
  }
  return out;
}

export function imageQuality(preds: readonly QualityInstance[], gts: readonly QualityInstance[], width: number, height: number, tol: number): ImageQuality & { predUnion: Uint8Array; gtUnion: Uint8Array } {
  const predUnion = unionMasks(preds.map((p) => p.mask), width, height);
  const gtUnion = unionMasks(gts.map((g) => g.mask), width, height);
  return {
    // an image without characters, correctly left empty, agrees perfectly
    fgIoU: maskIoU(predUnion, gtUnion, 1),
    boundaryF: boundaryFScore(predUnion, gtUnion, tol).f,
    matchedIoU: matchInstances(preds, gts),
    gt: gts.length,
    pred: preds.length,
    predUnion: predUnion.data,
    gtUnion: gtUnion.data,
  };
}

export function summarise(items: readonly ImageQuality[]): QualitySummary {
  const n = items.length;
  const all = items.flatMap((q) => q.matchedIoU);
  const avg = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0);
  return {
    images: n,
    fgIoU: avg(items.map((q) => q.fgIoU)),
    boundaryF: avg(items.map((q) => q.boundaryF)),
    instanceIoU: avg(all),
    matched: all.length,
    gtInstances: items.reduce((s, q) => s + q.gt, 0),
    predInstances: items.reduce((s, q) => s + q.pred, 0),
  };
}
