/**
 * Per-mask quality filters of the automatic mask generator (segment-anything utils/amg.py
 * calculate_stability_score, batched_mask_to_box, is_box_near_crop_edge). The generator's hot path fuses
 * the stability counts with binarisation (rle.ts analyzeLogits); `stabilityScore` is the plain form.
 */
import type { Box } from '../../../mask/types.js';

/**
 * IoU between the masks thresholded at threshold + offset and threshold - offset (the first lies inside
 * the second, so it is count(high) / count(low)). 0/0 gives NaN, as in PyTorch, which no filter keeps.
 */
export function stabilityScore(logits: Float32Array, maskThreshold: number, offset: number): number {
  const hi = maskThreshold + offset;
  const lo = maskThreshold - offset;
  let inter = 0;
  let union = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (v > lo) {
      union++;
      if (v > hi) inter++;
    }
  }
  return inter / union;
}

/**
 * True when the box (crop coordinates) lies within `atol` px of a crop edge that is not also an edge of the
 * original image: such masks are probably cut by the crop. torch.isclose(atol, rtol=0) is |a - b| <= atol.
 */
export function isBoxNearCropEdge(box: Box, cropBox: Box, origBox: Box, atol = 20): boolean {
  for (let k = 0; k < 4; k++) {
    const v = box[k] + cropBox[k & 1]; // uncrop: x offsets for 0/2, y offsets for 1/3
    const nearCrop = Math.abs(v - cropBox[k]) <= atol;
    const nearImage = Math.abs(v - origBox[k]) <= atol;
    if (nearCrop && !nearImage) return true;
  }
  return false;
}

/** Tight inclusive box [x0, y0, x1, y1] of a 0/1 mask, [0, 0, 0, 0] when empty (batched_mask_to_box). */
export function maskBoxInclusive(data: Uint8Array, width: number, height: number): Box {
  let minX = width;
  let maxX = -1;
  let minY = -1;
  let maxY = -1;
  for (let y = 0, i = 0; y < height; y++) {
    let rowMin = -1;
    let rowMax = -1;
    for (let x = 0; x < width; x++, i++) {
      if (data[i] !== 0) {
        if (rowMin < 0) rowMin = x;
        rowMax = x;
      }
    }
    if (rowMin >= 0) {
      if (rowMin < minX) minX = rowMin;
      if (rowMax > maxX) maxX = rowMax;
      if (minY < 0) minY = y;
      maxY = y;
    }
  }
  if (maxX < 0) return [0, 0, 0, 0];
  return [minX, minY, maxX, maxY];
}
