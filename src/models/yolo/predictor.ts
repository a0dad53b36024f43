/**
 * The one YOLO predictor core: letterbox → backend inference → output-shape check → NMS → masks, for one
 * RGB image. Every entry point is built on it: the library's segmenter (src/pipeline/segmenter.ts, once per
 * model and view), the evaluation runner (src/eval/model-runner.ts: multi-label NMS and proto-grid masks),
 * the browser entry (src/browser/segment-browser.ts, onnxruntime-web backend) and, through the segmenter,
 * the HTTP server. Pure TypeScript, no Node imports (it is in the browser bundle).
 *
 * A backend is anything that runs the network on a letterboxed tensor and returns checked raw outputs:
 * loadYoloModel (src/models/yolo/model.ts: an onnxruntime-node session in this thread, or the worker pool of
 * worker-pool.ts) or the page's onnxruntime-web session (src/browser/ort-web-backend.ts). All of them pass
 * the network's outputs through checkRawOutputs (contract.ts), the one output-shape check.
 */
import type { RawImage } from '../../image/types.js';
import type { StageTimings } from '../../contracts.js';
import type { YoloContract } from './contract.js';
import { letterboxTensor, type LetterboxGeometry } from './letterbox.js';
import { protoCropMask, type GridMask } from './masks.js';
import { postprocess, type Detection, type PostprocessOptions, type YoloRawOutputs } from './postprocess.js';

/** Runs the network: [1, 3, H, W] float tensor (H, W = contract.imgsz) → raw outputs checked against the contract. */
export interface YoloBackend {
  readonly contract: YoloContract;
  run(tensor: Float32Array): Promise<YoloRawOutputs>;
  dispose(): Promise<void>;
}

export interface PredictOptions extends PostprocessOptions {
  /**
   * Ultralytics' validator NMS (multi_label=True): every class whose score passes conf is a candidate of its
   * own. Default false: predict-mode single-label NMS.
   */
  multiLabel?: boolean;
  /** Also give each detection's process_mask crop on the proto grid (what the validator scores). */
  protoMasks?: boolean;
}

export interface Prediction {
  /** The letterbox the model saw. */
  geometry: LetterboxGeometry;
  /** Descending score; boxes in original pixels, masks as `masks` asked. */
  detections: Detection[];
  /** With `protoMasks`: aligned with `detections`. */
  protoMasks?: GridMask[];
  /** Proto grid [mh, mw] of a segment model. */
  protoSize?: [number, number];
}

/**
 * One image through one model. Adds 'preprocess', 'inference', 'queue' (waiting for a busy backend, when the
 * backend reports its own run time), 'postprocess' and 'protoMasks' milliseconds to `timings`.
 */
export async function predict(backend: YoloBackend, image: RawImage, opts: PredictOptions, timings: StageTimings = {}): Promise<Prediction> {
  const add = (k: string, ms: number): void => {
    timings[k] = (timings[k] ?? 0) + ms;
  };
  const [ih, iw] = backend.contract.imgsz;
  let t = performance.now();
  const { tensor, geometry } = letterboxTensor(image, iw, ih);
  add('preprocess', performance.now() - t);
  t = performance.now();
  const raw = await backend.run(tensor);
  // Split waiting for the backend (another image's run) from the run itself.
  const waited = performance.now() - t;
  add('inference', raw.ms ?? waited);
  if (raw.ms !== undefined && waited - raw.ms > 0.05) add('queue', waited - raw.ms);
  t = performance.now();
  const detections = opts.multiLabel ? multiLabelPostprocess(raw, geometry, opts) : postprocess(raw, geometry, opts);
  const out: Prediction = { geometry, detections };
  add('postprocess', performance.now() - t);
  if (raw.protos) out.protoSize = [raw.protos.mh, raw.protos.mw];
  if (opts.protoMasks && raw.protos) {
    t = performance.now();
    const protos = raw.protos;
    const coeffs = new Float32Array(protos.nm);
    out.protoMasks = detections.map((d) => protoCropMask(protos, coefficientsOf(raw, d.anchor, coeffs), d.boxLetterbox, iw, ih));
    add('protoMasks', performance.now() - t);
  }
  return out;
}

/** The nm mask coefficients of one anchor (column) of output0, into `into`. */
function coefficientsOf(raw: YoloRawOutputs, anchor: number, into: Float32Array): Float32Array {
  const base = (4 + raw.nc) * raw.anchors;
  for (let k = 0; k < into.length; k++) into[k] = raw.output0[base + k * raw.anchors + anchor];
  return into;
}

/**
 * Ultralytics' validator runs NMS with multi_label=True: every class whose score passes conf makes its own
 * candidate, not only the best class of an anchor. The project's NMS is the predict-mode single-label one, so
 * run it once per class on a copy of output0 where the other classes' scores are zeroed (the class is then the
 * best wherever its own score passes conf; NMS is per class anyway), and merge: all kept boxes by descending
 * score, the first max_det. Identical to the multi-label pass while the candidates stay under Ultralytics'
 * max_nms cap of 30000 (always for one or two classes: 8400 anchors each at imgsz 640). Class-aware.
 */
export function multiLabelPostprocess(raw: YoloRawOutputs, geometry: LetterboxGeometry, opts: PostprocessOptions): Detection[] {
  const o = { ...opts, agnostic: false };
  if (raw.nc === 1) return postprocess(raw, geometry, { ...o, classes: null });
  const { anchors, nc } = raw;
  const list = o.classes ?? Array.from({ length: nc }, (_, c) => c);
  const all: Detection[] = [];
  for (const c of list) {
    const out0 = raw.output0.slice();
    for (let k = 0; k < nc; k++) if (k !== c) out0.fill(0, (4 + k) * anchors, (5 + k) * anchors);
    all.push(...postprocess({ ...raw, output0: out0 }, geometry, { ...o, classes: [c] }));
  }
  if (list.length === 1) return all;
  all.sort((a, b) => b.score - a.score);
  return all.slice(0, o.maxDet);
}
