/**
 * Where an image lands in the validation letterbox, exactly as Ultralytics' val data pipeline puts it:
 * `load_image` resizes the long side to imgsz (ceil, capped), then `LetterBox(new_shape=(imgsz, imgsz),
 * scaleup=False, auto=False)` pads it to a square. Labels are shifted by the FLOAT half-padding (dw, dh) while the
 * image is padded by the rounded (left, top); `scale_boxes` maps back with ratio_pad = ((h/h0, w/w0), (left, top)).
 */
import { roundHalfEven } from '../../util/numeric.js';

const f32 = Math.fround;

export interface ValGeometry {
  /** Original image size. */
  w0: number;
  h0: number;
  /** Square letterbox side (the validator's imgsz). */
  imgsz: number;
  /** Size after load_image's long-side resize. */
  w: number;
  h: number;
  /** LetterBox ratio (1 unless the resized image is larger than imgsz, which load_image prevents). */
  r: number;
  /** Float half-paddings added to label coordinates. */
  dw: number;
  dh: number;
  /** Integer paddings of the image (and of scale_boxes). */
  left: number;
  top: number;
  /** scale_boxes gain = ratio_pad[0][0] = h / h0. */
  gain: number;
}

export function valGeometry(w0: number, h0: number, imgsz: number): ValGeometry {
  const r0 = imgsz / Math.max(h0, w0);
  let w = w0;
  let h = h0;
  if (r0 !== 1) {
    w = Math.min(Math.ceil(w0 * r0), imgsz);
    h = Math.min(Math.ceil(h0 * r0), imgsz);
  }
  const r = Math.min(imgsz / h, imgsz / w, 1);
  const nw = roundHalfEven(w * r);
  const nh = roundHalfEven(h * r);
  const dw = (imgsz - nw) / 2;
  const dh = (imgsz - nh) / 2;
  return { w0, h0, imgsz, w, h, r, dw, dh, left: roundHalfEven(dw - 0.1), top: roundHalfEven(dh - 0.1), gain: h / h0 };
}

/** scale_boxes with ratio_pad, in float32, then clip_boxes: letterbox xyxy → original pixels (in place). */
export function scaleBoxToNative(box: Float32Array, off: number, g: ValGeometry): void {
  const gain = f32(g.gain);
  box[off] = Math.min(Math.max(f32(f32(box[off] - g.left) / gain), 0), g.w0);
  box[off + 1] = Math.min(Math.max(f32(f32(box[off + 1] - g.top) / gain), 0), g.h0);
  box[off + 2] = Math.min(Math.max(f32(f32(box[off + 2] - g.left) / gain), 0), g.w0);
  box[off + 3] = Math.min(Math.max(f32(f32(box[off + 3] - g.top) / gain), 0), g.h0);
}

/** Original-pixel point → letterbox space as the model input sees the image (per-axis resize ratio + image pad). */
export function nativeToLetterboxX(x: number, g: ValGeometry): number {
  return g.w === g.w0 ? f32(f32(x) + g.left) : f32(f32(f32(x) * f32(g.w / g.w0)) + g.left);
}
export function nativeToLetterboxY(y: number, g: ValGeometry): number {
  return g.h === g.h0 ? f32(f32(y) + g.top) : f32(f32(f32(y) * f32(g.h / g.h0)) + g.top);
}
