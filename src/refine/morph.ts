/**
 * Erode-then-dilate computed on the mask's bounding box only. Characters usually cover a fraction of the
 * image, and the refiners apply several morphological passes per instance; cropping makes those cost the
 * character's size, not the image's. The result is identical to the full-image operation (OpenCV border
 * semantics included): the crop keeps a margin of background of at least dilate + 1 pixels on every side that
 * is not an image edge, so every erosion window that leaves the crop first meets that background, and the
 * dilation never reaches the crop edge.
 */
import { cropMask, maskBox, pasteMask } from '../mask/ops.js';
import { dilateRect, erodeRect } from '../mask/morphology.js';
import { createMask, type Mask } from '../mask/types.js';

/** Erode by a (2e+1)^2 square, then dilate by a (2d+1)^2 square (cv2 rectangle kernels; 3x3 iterated n times = radius n). */
export function erodeDilate(m: Mask, e: number, d: number): Mask {
  if (e === 0 && d === 0) return m;
  const box = maskBox(m);
  if (!box) return createMask(m.width, m.height);
  const mg = d + 1;
  const x1 = Math.max(0, box[0] - mg);
  const y1 = Math.max(0, box[1] - mg);
  const x2 = Math.min(m.width, box[2] + mg);
  const y2 = Math.min(m.height, box[3] + mg);
  let c = cropMask(m, [x1, y1, x2, y2]);
  if (e > 0) c = erodeRect(c, e, e);
  if (d > 0) c = dilateRect(c, d, d);
  return pasteMask(createMask(m.width, m.height), c, x1, y1, 'replace');
}

