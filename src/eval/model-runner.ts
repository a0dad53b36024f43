/**
 * The model at validation settings (conf 0.001, iou 0.7, max_det 300), run so that BOTH mask forms Ultralytics'
 * validator and our quality figures need come out of one inference:
 * - native-resolution masks (A's postprocess 'native' path) for full-resolution quality and the refiners;
 * - the model's own proto-resolution masks cropped as process_mask does (logits = coeffs . protos, keep cells with
 *   x1*mw/iw <= c < x2*mw/iw, > 0), which is exactly what SegmentationValidator compares when the validation
 *   letterbox is the model's input letterbox (imgsz = model input size, the default).
 * Built from the segmenter's own parts (resolver, loadYoloModel, letterboxTensor, postprocess) rather than
 * createSegmenter(), whose result does not carry the protos.
 */
import { AnimesegError } from '../errors.js';
import { decodeImageFile } from '../image/decode.js';
import { toRgb } from '../image/pixels.js';
import type { RawImage } from '../image/types.js';
import { defaultClasses } from '../models/yolo/contract.js';
import { letterboxTensor, type LetterboxGeometry } from '../models/yolo/letterbox.js';
import { logitsWindow } from '../models/yolo/masks.js';
import { loadYoloModel, type YoloModel } from '../models/yolo/model.js';
import { postprocess, type Detection, type YoloRawOutputs } from '../models/yolo/postprocess.js';
import type { Device } from '../models/session.js';
import { resolveYoloPath } from '../pipeline/model-path.js';
import { detectionToInstance } from '../pipeline/instances.js';
import type { Instance, StageTimings } from '../pipeline/types.js';
import type { GridMask } from './metrics/predmask.js';

const f32 = Math.fround;

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

const VAL = { conf: 0.001, iou: 0.7, maxDet: 300 };

/**
 * Ultralytics' validator runs NMS with multi_label=True: every class whose score passes conf makes its own
 * candidate, not only the best class of an anchor. The project's NMS is the predict-mode single-label one, so
 * run it once per class on a copy of output0 where the other classes' scores are zeroed (the class is then the
 * best wherever its own score passes conf; NMS is per class anyway), and merge: all kept boxes by descending
 * score, the first max_det. Identical to the multi-label pass while the candidates stay under Ultralytics'
 * max_nms cap of 30000 (always for one or two classes: 8400 anchors each at imgsz 640).
 */
export function multiLabelDetections(raw: YoloRawOutputs, geometry: LetterboxGeometry, classes: readonly number[] | null): Detection[] {
  const opts = { ...VAL, agnostic: false, masks: 'native' as const };
  if (raw.nc === 1) return postprocess(raw, geometry, { ...opts, classes: null });
  const { anchors, nc } = raw;
  const list = classes ?? Array.from({ length: nc }, (_, c) => c);
  const all: Detection[] = [];
  for (const c of list) {
    const out0 = raw.output0.slice();
    for (let k = 0; k < nc; k++) if (k !== c) out0.fill(0, (4 + k) * anchors, (5 + k) * anchors);
    all.push(...postprocess({ ...raw, output0: out0 }, geometry, { ...opts, classes: [c] }));
  }
  if (list.length === 1) return all;
  all.sort((a, b) => b.score - a.score);
  return all.slice(0, VAL.maxDet);
}

/** process_mask on the proto grid for one detection: crop with the letterbox box scaled by mw/iw, logits > 0. */
function protoMask(raw: YoloRawOutputs, anchor: number, box: readonly number[], iw: number, ih: number, coeffs: Float32Array): GridMask {
  const { output0, anchors, nc } = raw;
  const protos = raw.protos!; // createValRunner accepts segmentation models only
  const { mw, mh, nm } = protos;
  const base = (4 + nc) * anchors;
  for (let k = 0; k < nm; k++) coeffs[k] = output0[base + k * anchors + anchor];
  const sx = f32(mw / iw);
  const sy = f32(mh / ih);
  const c0 = Math.min(mw, Math.max(0, Math.ceil(f32(box[0] * sx))));
  const c1 = Math.min(mw, Math.max(0, Math.ceil(f32(box[2] * sx))));
  const r0 = Math.min(mh, Math.max(0, Math.ceil(f32(box[1] * sy))));
  const r1 = Math.min(mh, Math.max(0, Math.ceil(f32(box[3] * sy))));
  const data = new Uint8Array(mw * mh);
  if (c1 > c0 && r1 > r0) {
    const win = logitsWindow(protos, coeffs, r0, r1, c0, c1);
    for (let r = r0, o = 0; r < r1; r++) for (let c = c0; c < c1; c++, o++) if (win[o] > 0) data[r * mw + c] = 1;
  }
  return { data, r0, r1, c0, c1 };
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
  const [ih, iw] = contract.imgsz;
  const coeffs = new Float32Array(contract.nm);
  return {
    model: resolved.name,
    imgsz: contract.imgsz,
    names: names.slice(),
    async run(file: string): Promise<ValRun> {
      const timings: StageTimings = {};
      let t = performance.now();
      const lap = (k: string) => {
        const n = performance.now();
        timings[k] = n - t;
        t = n;
      };
      const image = toRgb((await decodeImageFile(file, { maxPixels: opts.maxPixels })).image);
      lap('decode');
      const { tensor, geometry } = letterboxTensor(image, iw, ih);
      lap('preprocess');
      const raw = await model.run(tensor);
      lap('inference');
      const dets = multiLabelDetections(raw, geometry, classes);
      lap('postprocess');
      const protoMasks = dets.map((d) => protoMask(raw, d.anchor, d.boxLetterbox, iw, ih, coeffs));
      lap('protoMasks');
      const instances: Instance[] = dets.map((d) => detectionToInstance(d, names));
      const lbBoxes = new Float32Array(4 * dets.length);
      dets.forEach((d, k) => lbBoxes.set(d.boxLetterbox, 4 * k));
      return { image, width: image.width, height: image.height, instances, geometry, lbBoxes, protoMasks, protoSize: [raw.protos!.mh, raw.protos!.mw], timings };
    },
    dispose: () => model.dispose(),
  };
}
