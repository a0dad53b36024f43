/**
 * Crop layers of the automatic mask generator (segment-anything utils/amg.py generate_crop_boxes) and box
 * helpers. (Uncropping boxes and points is a plain offset, done in place by the generator.)
 * Boxes are [x0, y0, x1, y1] with x1/y1 exclusive for crops, inclusive for mask boxes (as in SAM).
 */
import type { Box } from '../../../mask/types.js';

export interface CropBoxes {
  boxes: Box[];
  /** Crop layer of each box: 0 = whole image. */
  layers: number[];
}

/**
 * Layer 0 is the whole image; layer k (1-based) has 2^k crops per side that overlap by
 * int(ratio * short_side * 2 / 2^k) pixels. The order is SAM's: x start outer, y start inner
 * (itertools.product(x0s, y0s)), which decides NMS tie-breaks downstream.
 */
export function generateCropBoxes(imH: number, imW: number, nLayers: number, overlapRatio: number): CropBoxes {
  const boxes: Box[] = [[0, 0, imW, imH]];
  const layers: number[] = [0];
  const shortSide = Math.min(imH, imW);
  const cropLen = (origLen: number, nCrops: number, overlap: number) => Math.ceil((overlap * (nCrops - 1) + origLen) / nCrops);

  for (let layer = 0; layer < nLayers; layer++) {
    const nPerSide = 2 ** (layer + 1);
    // Same operation order as Python: ratio * short_side * (2 / n), then int() (truncation).
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / nPerSide));
    const cropW = cropLen(imW, nPerSide, overlap);
    const cropH = cropLen(imH, nPerSide, overlap);
    for (let i = 0; i < nPerSide; i++) {
      const x0 = Math.trunc((cropW - overlap) * i);
      for (let j = 0; j < nPerSide; j++) {
        const y0 = Math.trunc((cropH - overlap) * j);
        boxes.push([x0, y0, Math.min(x0 + cropW, imW), Math.min(y0 + cropH, imH)]);
        layers.push(layer + 1);
      }
    }
  }
  return { boxes, layers };
}

/** Box area as torchvision.ops.box_area: (x1 - x0) * (y1 - y0). */
export function boxArea(b: Box): number {
  return (b[2] - b[0]) * (b[3] - b[1]);
}

/** XYXY → XYWH as SAM's box_xyxy_to_xywh (w = x1 - x0, no +1). */
export function boxXyxyToXywh(b: Box): [number, number, number, number] {
  return [b[0], b[1], b[2] - b[0], b[3] - b[1]];
}
