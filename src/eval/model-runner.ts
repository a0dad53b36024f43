/**
 * The model at Ultralytics' validation settings (VAL_SETTINGS: conf 0.001, iou 0.7, max_det 300), run so that
 * BOTH mask forms Ultralytics' validator and our quality figures need come out of one inference:
 * - native-resolution masks (A's postprocess 'native' path) for full-resolution quality and the refiners;
 * - the model's own proto-resolution masks cropped as process_mask does (logits = coeffs . protos, keep cells with
 *   x1*mw/iw <= c < x2*mw/iw, > 0), which is exactly what SegmentationValidator compares when the validation
 *   letterbox is the model's input letterbox (imgsz = model input size, the default).
 * Built on the predictor core (src/models/yolo/predictor.ts: multi-label NMS, proto-grid masks) with the
 * segmenter's resolver and decode step, rather than createSegmenter(), whose result does not carry the protos.
 */
import { AnimesegError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { defaultClasses } from '../models/yolo/contract.js';
import type { LetterboxGeometry } from '../models/yolo/letterbox.js';
import type { GridMask } from '../models/yolo/masks.js';
import { loadYoloModel, type YoloModel } from '../models/yolo/model.js';
import type { Detection, YoloRawOutputs } from '../models/yolo/postprocess.js';
import { multiLabelPostprocess, predict } from '../models/yolo/predictor.js';
import type { Device } from '../models/session.js';
import { resolveYoloPath } from '../pipeline/model-path.js';
import { VAL_SETTINGS } from './val-settings.js';
import { decodeInput } from '../pipeline/decode-input.js';
import { detectionToInstance } from '../pipeline/instances.js';
import type { Instance, StageTimings } from '../pipeline/types.js';

export interface ValRunnerOptions {
  model?: string;
  modelsDir?: string;
  cacheDir?: string;
  download?: boolean;
  device?: Device;
  threads?: number;
  imgsz?: number;
  maxPixels?: number;
}

export interface ValRun {
  image: RawImage;
  width: number;
  height: number;
  /** Detections in descending score order, native masks. */
  instances: Instance[];
  /** The model's letterbox for this image. */
  geometry: LetterboxGeometry;
  /** NMS boxes in the model's letterbox (float32), [n*4], aligned with `instances`. */
  lbBoxes: Float32Array;
  /** Proto-resolution masks cropped like process_mask, aligned with `instances`. */
  protoMasks: GridMask[];
  /** Side of the proto grid (mw = mh for square inputs). */
  protoSize: [mh: number, mw: number];
  timings: StageTimings;
}

export interface ValRunner {
  readonly model: string;
  /** Model input [h, w]. */
  readonly imgsz: [number, number];
  readonly names: string[];
  run(file: string): Promise<ValRun>;
  dispose(): Promise<void>;
}

/** The validator's multi-label NMS at validation settings (the core's multiLabelPostprocess), native masks. */
export function multiLabelDetections(raw: YoloRawOutputs, geometry: LetterboxGeometry, classes: readonly number[] | null): Detection[] {
  return multiLabelPostprocess(raw, geometry, { ...VAL_SETTINGS, classes, masks: 'native' });
}

export async function createValRunner(opts: ValRunnerOptions): Promise<ValRunner> {
  const resolved = await resolveYoloPath(opts.model, opts);
  const model: YoloModel = await loadYoloModel(resolved.path, { device: opts.device, threads: opts.threads, imgsz: opts.imgsz });
  const { contract } = model;
  if (contract.task !== 'segment') {
    await model.dispose();
    throw new AnimesegError('BAD_MODEL', `'${resolved.name}' is a detection-only model: evaluation scores masks and needs a YOLOv8-seg model`, {
      file: model.path,
      hint: 'evaluate a segmentation model; detection-only models are for segment (their boxes are refined into masks)',
    });
  }
  const names = contract.names;
  const classes = defaultClasses(names);
  return {
    model: resolved.name,
    imgsz: contract.imgsz,
    names: names.slice(),
    async run(file: string): Promise<ValRun> {
      const timings: StageTimings = {};
      const t = performance.now();
      const { image } = await decodeInput(file, { maxPixels: opts.maxPixels });
      timings.decode = performance.now() - t;
      const p = await predict(model, image, { ...VAL_SETTINGS, classes, masks: 'native', multiLabel: true, protoMasks: true }, timings);
      const dets = p.detections;
      const instances: Instance[] = dets.map((d) => detectionToInstance(d, names));
      const lbBoxes = new Float32Array(4 * dets.length);
      dets.forEach((d, k) => lbBoxes.set(d.boxLetterbox, 4 * k));
      return { image, width: image.width, height: image.height, instances, geometry: p.geometry, lbBoxes, protoMasks: p.protoMasks!, protoSize: p.protoSize!, timings };
    },
    dispose: () => model.dispose(),
  };
}
