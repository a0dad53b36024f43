/**
 * Detections of one image → the validator's prediction arrays (PredImage), whatever they come from: our live
 * instances or stored predictions. Both go through the same steps, so they live here once.
 */
import { scaleBoxToNative, type ValGeometry } from './metrics/geometry.js';
import { letterboxBox, type GridMask } from './metrics/predmask.js';
import type { PredImage } from './metrics/results.js';

/** Sort indices by descending score (stable), the order the validator receives detections in. */
export function scoreOrder(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

/** What the validator reads of one detection: class, score and box in original pixels (xyxy). */
export interface ValDetection {
  cls: number;
  score: number;
  box: ArrayLike<number>;
}

/**
 * The prediction arrays with detection `order[i]` in row i: class, float32 score, and the box sent into the
 * validator's letterbox (float32) and back by scale_boxes, as SegmentationValidator's boxes are. `maskOf` makes
 * each detection's grid mask from its letterbox box; it is called in row order.
 */
export function predImageInOrder(
  order: readonly number[],
  g: ValGeometry,
  detection: (src: number) => ValDetection,
  maskOf: (src: number, lbBox: Float32Array) => GridMask,
): PredImage {
  const n = order.length;
  const cls = new Int32Array(n);
  const conf = new Float32Array(n);
  const boxes = new Float32Array(4 * n);
  const masks = order.map((src, i) => {
    const d = detection(src);
    cls[i] = d.cls;
    conf[i] = d.score;
    const lb = letterboxBox(d.box, g);
    boxes.set(lb, 4 * i);
    scaleBoxToNative(boxes, 4 * i, g);
    return maskOf(src, lb);
  });
  return { cls, conf, boxes, masks };
}
