/**
 * From raw YOLOv8 outputs to detections in original-image pixels: NMS, scale_boxes (with its pad quirk),
 * and, for segmentation models, letterbox or native masks. Detection models (no prototypes) give boxes
 * only. Pure TypeScript (bundled for the browser).
 */
import type { Box, Mask } from '../../mask/types.js';
import type { LetterboxGeometry } from './letterbox.js';
import { nonMaxSuppression, type NmsOptions } from './nms.js';
import { bilinearAxis, letterboxMask, nativeContext, nativeMask, type Protos } from './masks.js';

export interface YoloRawOutputs {
  /** output0 batch 0: [4 + nc + nm, anchors] row-major (nm = 0 for a detection export). */
  output0: Float32Array;
  anchors: number;
  nc: number;
  /** Mask prototypes; absent for a detection model (or a segment model run as a detector). */
  protos?: Protos;
  /** Milliseconds the network run took (set by the model runner; excludes queueing). */
  ms?: number;
}

export type MaskMode = 'native' | 'letterbox' | 'both' | 'none';

export interface PostprocessOptions extends NmsOptions {
  masks?: MaskMode;
}

export interface Detection {
  anchor: number;
  classId: number;
  score: number;
  /** Original image pixels, clipped (Ultralytics scale_boxes). */
  box: Box;
  /** Network input pixels, straight out of NMS. */
  boxLetterbox: Box;
  /** Original-size mask (retina path), when requested. */
  mask?: Mask;
  /** Input-size mask in letterbox space (default predict path), when requested. */
  maskLetterbox?: Mask;
}

const f = Math.fround;

/** Ultralytics ops.scale_boxes without ratio_pad: pad from the unrounded size, divide by gain, clip. */
export function scaleBoxToOriginal(b: readonly number[], g: LetterboxGeometry): Box {
  const gain = f(g.boxGain);
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  return [
    clip(f(f(b[0] - g.boxPadX) / gain), g.width),
    clip(f(f(b[1] - g.boxPadY) / gain), g.height),
    clip(f(f(b[2] - g.boxPadX) / gain), g.width),
    clip(f(f(b[3] - g.boxPadY) / gain), g.height),
  ];
}

export function postprocess(raw: YoloRawOutputs, geometry: LetterboxGeometry, opts: PostprocessOptions): Detection[] {
  const { output0, anchors, nc, protos } = raw;
  if (!protos) {
    // Boxes only: the rows after 4 + nc (mask coefficients of a segment model run as a detector) are unused.
    if (output0.length < (4 + nc) * anchors || output0.length % anchors !== 0) {
      throw new Error(`output0 has ${output0.length} values, expected (4 + ${nc}) x ${anchors} or more`);
    }
    return nonMaxSuppression(output0, nc, anchors, opts).map((d) => ({ anchor: d.anchor, classId: d.classId, score: d.score, box: scaleBoxToOriginal(d.box, geometry), boxLetterbox: d.box }));
  }
  const nm = protos.nm;
  if (output0.length !== (4 + nc + nm) * anchors) {
    throw new Error(`output0 has ${output0.length} values, expected (4 + ${nc} + ${nm}) x ${anchors}`);
  }
  const kept = nonMaxSuppression(output0, nc, anchors, opts);
  const mode = opts.masks ?? 'native';
  const wantNative = mode === 'native' || mode === 'both';
  const wantLetterbox = mode === 'letterbox' || mode === 'both';
  const ctx = wantNative && kept.length > 0 ? nativeContext(protos, geometry.width, geometry.height) : null;
  const axes = wantLetterbox && kept.length > 0
    ? { x: bilinearAxis(protos.mw, geometry.inputW), y: bilinearAxis(protos.mh, geometry.inputH) }
    : undefined;
  const coeffs = new Float32Array(nm);
  const coeffBase = (4 + nc) * anchors;
  return kept.map((d) => {
    for (let k = 0; k < nm; k++) coeffs[k] = output0[coeffBase + k * anchors + d.anchor];
    const box = scaleBoxToOriginal(d.box, geometry);
    const det: Detection = { anchor: d.anchor, classId: d.classId, score: d.score, box, boxLetterbox: d.box };
    if (ctx) det.mask = nativeMask(protos, coeffs, box, ctx);
    if (axes) det.maskLetterbox = letterboxMask(protos, coeffs, d.box, geometry.inputW, geometry.inputH, axes);
    return det;
  });
}
