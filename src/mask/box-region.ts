/** Boxes as pixel regions of a mask: the integer span a box covers, and a mask clipped to a (grown) box. */
import type { Box, Mask } from './types.js';
import { createMask } from './types.js';

/** The pixel region [x0, x1) × [y0, y1), as [x0, y0, x1, y1], a box covers in a W×H image, at least one pixel, inside the image. */
export function boxRegion(box: Box, W: number, H: number): [number, number, number, number] {
  const x0 = Math.max(0, Math.min(W - 1, Math.floor(box[0])));
  const y0 = Math.max(0, Math.min(H - 1, Math.floor(box[1])));
  return [x0, y0, Math.max(x0 + 1, Math.min(W, Math.ceil(box[2]))), Math.max(y0 + 1, Math.min(H, Math.ceil(box[3])))];
}

/** Clip a mask to its box grown by `margin` of the box size (a refiner that worked for that box only). */
export function clipToBox(m: Mask, box: Box, margin = 0.05): Mask {
  const { width: W, height: H } = m;
  const mx = (box[2] - box[0]) * margin;
  const my = (box[3] - box[1]) * margin;
  const [x0, y0, x1, y1] = boxRegion([box[0] - mx, box[1] - my, box[2] + mx, box[3] + my], W, H);
  const out = createMask(W, H);
  for (let y = y0; y < y1; y++) out.data.set(m.data.subarray(y * W + x0, y * W + x1), y * W + x0);
  return out;
}
