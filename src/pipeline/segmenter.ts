/**
 * createSegmenter(): the library entry point. Loads a YOLOv8-seg model (by name or path through the
 * resolver), then for each image: decode → letterbox → inference → post-processing (NMS, native masks)
 * → optional refinement, with per-stage timings.
 */
import { AnimesegError } from '../errors.js';
import { decodeImage, decodeImageFile, DEFAULT_MAX_PIXELS } from '../image/decode.js';
import { toRgb } from '../image/pixels.js';
import type { RawImage } from '../image/types.js';
import { defaultClasses } from '../models/yolo/contract.js';
import { letterboxTensor } from '../models/yolo/letterbox.js';
import { loadYoloModel, type YoloModel } from '../models/yolo/model.js';
import { postprocess } from '../models/yolo/postprocess.js';
import type { Device } from '../models/session.js';
import type { Instance, Refiner, StageTimings } from './types.js';
import { resolveYoloPath } from './model-path.js';
import { detectionToInstance } from './instances.js';

export type RefineName = 'none' | 'vote' | 'box' | 'regions';

/** Detection settings that can also be changed per call. */
export interface DetectOptions {
  /** Confidence threshold (Ultralytics predict default 0.25). */
  conf?: number;
  /** NMS IoU threshold (default 0.7). */
  iou?: number;
  /** At most this many detections (default 300). */
  maxDet?: number;
  /** Class ids to keep; 'all' or null = every class; undefined = model default (person for COCO). */
  classes?: number[] | 'all' | null;
  /** Class-agnostic NMS. */
  agnostic?: boolean;
}

export interface SegmenterOptions extends DetectOptions {
  /** Model name (manifest) or .onnx path. Default: the resolver's default model. */
  model?: string;
  /** Extra model folders (else ANIMESEG_MODELS). */
  modelsDir?: string;
  cacheDir?: string;
  /** Allow downloading a named model that is not present (default true). */
  download?: boolean;
  device?: Device;
  threads?: number;
  /** Let onnxruntime's idle threads spin (its default; off here so decode/encode can use the cores). */
  spin?: boolean;
  /**
   * Run the model on this many worker threads (CPU), each session with `threads` threads (default 1), so
   * several images are inferred side by side; batch runs use it (see planInference in batch.ts).
   */
  inferenceWorkers?: number;
  /** Input size for dynamic models. */
  imgsz?: number;
  /** Refinement stage (default 'none'). */
  refine?: RefineName;
  /** Options passed to createRefiner (src/refine). */
  refineOptions?: Record<string, unknown>;
  /**
   * Refine on this many worker threads (default 0: in this thread), so a batch's images refine side by side
   * instead of queueing on the main thread. Only for the pure-CPU refiners ('regions', 'none' with a soft
   * edge); 'vote' and 'box' run SAM in-process whatever this says. See planRefine in batch.ts.
   */
  refineWorkers?: number;
  /** Pixel limit for decoded inputs. */
  maxPixels?: number;
}

export interface SegmentInstance extends Instance {
  /** Box in network-input (letterbox) pixels, straight out of NMS. */
  boxLetterbox: [number, number, number, number];
  /** Column of the raw output it came from. */
  anchor: number;
}

export interface SegmentResult {
  width: number;
  height: number;
  /** The decoded image, RGB. */
  image: RawImage;
  /** Alpha of the input when it had one (RGBA PNG/WebP), else undefined. */
  inputAlpha?: Uint8Array;
  instances: SegmentInstance[];
  timings: StageTimings;
}

export interface SegmenterInfo {
  model: string;
  path: string;
  classNames: string[];
  imgsz: [number, number];
  licence: string;
  description: string;
  /** Classes kept when the caller gives none (null = all). */
  defaultClasses: number[] | null;
  refine: RefineName;
}

export interface Segmenter {
  readonly info: SegmenterInfo;
  /** Input: file path, encoded bytes, or decoded pixels (RGB/RGBA/gray RawImage). */
  segment(input: string | Uint8Array | RawImage, overrides?: DetectOptions & { file?: string }): Promise<SegmentResult>;
  dispose(): Promise<void>;
}

function checkRange(name: string, v: number | undefined, lo: number, hi: number): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= lo && v <= hi)) {
    throw new AnimesegError('BAD_OPTION', `${name} must be in [${lo}, ${hi}], got ${v}`);
  }
}

function isRawImage(x: unknown): x is RawImage {
  return typeof x === 'object' && x !== null && 'data' in x && 'width' in x && 'height' in x && 'channels' in x;
}

export async function createSegmenter(options: SegmenterOptions = {}): Promise<Segmenter> {
  checkRange('conf', options.conf, 0, 1);
  checkRange('iou', options.iou, 0, 1);
  checkRange('maxDet', options.maxDet, 1, 100000);
  const resolved = await resolveYoloPath(options.model, options);
  const model: YoloModel = await loadYoloModel(resolved.path, { device: options.device, threads: options.threads, spin: options.spin, workers: options.inferenceWorkers, imgsz: options.imgsz });
  const { contract } = model;
  const refineName: RefineName = options.refine ?? 'none';
  let refiner: Refiner | null = null;
  try {
    refiner = refineName === 'none' && !options.refineOptions?.softEdge ? null : await loadRefiner(refineName, options.refineOptions ?? {}, options.refineWorkers ?? 0);
  } catch (e) {
    await model.dispose();
    throw e;
  }
  const names = contract.names;
  const defClasses = defaultClasses(names);
  const info: SegmenterInfo = {
    model: resolved.name,
    path: model.path,
    classNames: names.slice(),
    imgsz: contract.imgsz,
    licence: resolved.licence ?? contract.metadata.license ?? 'unknown',
    description: resolved.description ?? contract.metadata.description ?? '',
    defaultClasses: defClasses,
    refine: refineName,
  };
  const [ih, iw] = contract.imgsz;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;

  /** Class ids to keep (null = all), checked against the model before any work is done. */
  function classFilter(c: DetectOptions['classes']): number[] | null {
    const classes = c === 'all' || c === null ? null : c ?? defClasses;
    if (classes) for (const id of classes) if (!(Number.isInteger(id) && id >= 0 && id < names.length)) {
      throw new AnimesegError('BAD_OPTION', `class id ${id} is not in this model (0..${names.length - 1})`, { hint: `classes: ${names.slice(0, 10).map((n, i) => `${i} ${n}`).join(', ')}${names.length > 10 ? ', ...' : ''}` });
    }
    return classes;
  }
  try {
    classFilter(options.classes);
  } catch (e) {
    await refiner?.dispose?.();
    await model.dispose();
    throw e;
  }

  async function segment(input: string | Uint8Array | RawImage, ov: DetectOptions & { file?: string } = {}): Promise<SegmentResult> {
    const o = { ...options, ...stripUndefined(ov) };
    checkRange('conf', o.conf, 0, 1);
    checkRange('iou', o.iou, 0, 1);
    checkRange('maxDet', o.maxDet, 1, 100000);
    const classes = classFilter(o.classes);
    const timings: StageTimings = {};
    let t = performance.now();
    const lap = (k: string): void => {
      const n = performance.now();
      timings[k] = (timings[k] ?? 0) + (n - t);
      t = n;
    };
    let decoded: RawImage;
    if (typeof input === 'string') decoded = (await decodeImageFile(input, { maxPixels })).image;
    else if (input instanceof Uint8Array) decoded = (await decodeImage(input, { maxPixels, file: ov.file })).image;
    else if (isRawImage(input)) {
      checkRawImage(input, ov.file);
      decoded = input;
    } else throw new AnimesegError('BAD_INPUT', 'input must be a file path, encoded image bytes or a RawImage', { file: ov.file });
    const image = toRgb(decoded);
    const inputAlpha = decoded.channels === 4 ? extractAlpha(decoded) : undefined;
    lap('decode');
    const { tensor, geometry } = letterboxTensor(image, iw, ih);
    lap('preprocess');
    const raw = await model.run(tensor);
    // Split waiting for the model (another image's run) from the run itself.
    const waited = performance.now() - t;
    timings.inference = raw.ms ?? waited;
    if (raw.ms !== undefined && waited - raw.ms > 0.05) timings.queue = waited - raw.ms;
    t = performance.now();
    const dets = postprocess(raw, geometry, {
      conf: o.conf ?? 0.25,
      iou: o.iou ?? 0.7,
      maxDet: o.maxDet ?? 300,
      classes,
      agnostic: o.agnostic ?? false,
      masks: 'native',
    });
    let instances: SegmentInstance[] = dets.map((d) => ({ ...detectionToInstance(d, names), boxLetterbox: d.boxLetterbox, anchor: d.anchor }));
    lap('postprocess');
    if (refiner && instances.length > 0) {
      const refined = await refiner.refine(image, instances);
      instances = refined.map((r, i) => ({ ...instances[i], ...r, boxLetterbox: instances[i].boxLetterbox, anchor: instances[i].anchor }));
      lap('refine');
    }
    return { width: image.width, height: image.height, image, inputAlpha, instances, timings };
  }

  return {
    info,
    segment,
    async dispose() {
      await refiner?.dispose?.();
      await model.dispose();
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkRawImage(img: RawImage, file?: string): void {
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new AnimesegError('BAD_INPUT', `raw image has an invalid size ${width}x${height}`, { file });
  }
  if (![1, 3, 4].includes(channels)) throw new AnimesegError('BAD_INPUT', `raw image has ${channels} channels, expected 1, 3 or 4`, { file });
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new AnimesegError('BAD_INPUT', `raw image data has ${data?.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`, { file });
  }
}

function extractAlpha(img: RawImage): Uint8Array {
  const n = img.width * img.height;
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = img.data[i * 4 + 3];
  return a;
}

async function loadRefiner(name: RefineName, options: Record<string, unknown>, workers: number): Promise<Refiner> {
  // Loaded lazily: refiners pull in SAM code and models that plain segmentation never needs.
  let mod: { createRefiner(name: string, options: Record<string, unknown>): Promise<Refiner> };
  let pool: typeof import('../refine/worker-pool.js') | undefined;
  try {
    mod = await import('../refine/index.js');
    if (workers > 0) pool = await import('../refine/worker-pool.js');
  } catch (e) {
    throw new AnimesegError('BAD_OPTION', `refinement '${name}' is not available in this build (${(e as Error).message})`, {
      hint: 'use --refine none',
      cause: e,
    });
  }
  if (pool?.refinerRunsInWorkers(name)) return pool.startRefinerPool(name, options, { workers });
  return mod.createRefiner(name, options);
}
