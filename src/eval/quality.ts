/**
 * Refined-mask quality at full image resolution, which Ultralytics does not measure:
 * - foreground IoU: union of the predicted masks vs union of the true masks (both empty counts as 1);
 * - instance IoU: predictions and truths of the same class matched greedily by mask IoU (best pair first,
 *   IoU >= 0.5, like COCO's one-to-one matching), the IoU of each matched pair;
 * - boundary F-score: precision/recall of boundary pixels within `tol` px of the other boundary (DAVIS-style).
 * Only confident predictions (score >= quality conf) take part: at validation conf 0.001 the union of every
 * low-score candidate would measure the threshold, not the masks.
 */
import { maskIoU } from '../mask/ops.js';
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

/** Union of masks into a fresh 0/1 buffer. */
export function unionOf(masks: readonly Mask[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const m of masks) {
    const d = m.data;
    for (let i = 0; i < d.length; i++) if (d[i]) out[i] = 1;
  }
  return out;
}

function iouOf(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let uni = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x || y) {
      uni++;
      if (x && y) inter++;
    }
  }
  return uni === 0 ? 1 : inter / uni;
}

/** Boundary pixels: foreground with a 4-neighbour in the background (the image edge does not count). */
function boundaryPixels(m: Uint8Array, w: number, h: number): Int32Array {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const i = o + x;
      if (!m[i]) continue;
      if ((x > 0 && !m[i - 1]) || (x < w - 1 && !m[i + 1]) || (y > 0 && !m[i - w]) || (y < h - 1 && !m[i + w])) out.push(i);
    }
  }
  return Int32Array.from(out);
}

/** Fraction of `from` boundary pixels with a `to` boundary pixel within Euclidean distance tol. */
function boundaryHit(from: Int32Array, toMap: Uint8Array, w: number, h: number, offsets: [number, number][]): number {
  if (from.length === 0) return 1;
  let hit = 0;
  for (let k = 0; k < from.length; k++) {
    const i = from[k];
    const x = i % w;
    const y = (i - x) / w;
    for (const [dx, dy] of offsets) {
      const xx = x + dx;
      const yy = y + dy;
      if (xx >= 0 && xx < w && yy >= 0 && yy < h && toMap[yy * w + xx]) {
        hit++;
        break;
      }
    }
  }
  return hit / from.length;
}

/** Boundary F-score of two 0/1 masks with a pixel tolerance (1 when both are empty, 0 when one is). */
export function boundaryF(pred: Uint8Array, gt: Uint8Array, w: number, h: number, tol: number): number {
  const bp = boundaryPixels(pred, w, h);
  const bg = boundaryPixels(gt, w, h);
  if (bp.length === 0 && bg.length === 0) return 1;
  if (bp.length === 0 || bg.length === 0) return 0;
  const r = Math.floor(tol);
  const offsets: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= tol * tol) offsets.push([dx, dy]);
  offsets.sort((a, b) => a[0] * a[0] + a[1] * a[1] - (b[0] * b[0] + b[1] * b[1]));
  const mapP = new Uint8Array(w * h);
  const mapG = new Uint8Array(w * h);
  for (const i of bp) mapP[i] = 1;
  for (const i of bg) mapG[i] = 1;
  const precision = boundaryHit(bp, mapG, w, h, offsets);
  const recall = boundaryHit(bg, mapP, w, h, offsets);
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
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
  const predUnion = unionOf(preds.map((p) => p.mask), width, height);
  const gtUnion = unionOf(gts.map((g) => g.mask), width, height);
  return {
    fgIoU: iouOf(predUnion, gtUnion),
    boundaryF: boundaryF(predUnion, gtUnion, width, height, tol),
    matchedIoU: matchInstances(preds, gts),
    gt: gts.length,
    pred: preds.length,
    predUnion,
    gtUnion,
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
