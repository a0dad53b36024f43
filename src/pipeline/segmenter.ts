/**
 * createSegmenter(): the library entry point. Loads one or more YOLOv8 models (segment or detect exports,
 * by name or path through the resolver), then for each image: decode (decode-input.ts) → the predictor core
 * (models/yolo/predictor.ts: letterbox → inference → NMS → native masks) on the full image and on the views
 * the recall aids ask for (flip, tiles, second pass) → fusion across models and views → a box prior for boxes
 * without a mask → refinement (the segmenter's refiner, or one given per call) and soft edges, with per-stage
 * timings. One segment model with no recall aid is exactly Ultralytics' predict.
 */
import { AnimesegError } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../image/decode.js';
import type { RawImage } from '../image/types.js';
import { defaultClasses, type YoloTask } from '../models/yolo/contract.js';
import type { Box } from '../mask/types.js';
import { loadYoloModel, type YoloModel } from '../models/yolo/model.js';
import { predict } from '../models/yolo/predictor.js';
import type { RefinerName, RefinerOptions } from '../refine/index.js';
import { localRefineStage, type RefineStage } from '../refine/stage.js';
import type { SoftEdgeOption } from '../refine/types.js';
import { decodeInput, type ImageInput } from './decode-input.js';
import { modelRecommendation, nmsThresholdsOf, resolveSegmentSettings, type DetectOptions, type ModelRecommendation, type RecallOptions, type SegmentModelDefaults, type SegmentOptions, type SegmentSettings } from './settings.js';
import { RECALL_DEFAULTS } from './options.js';
import type { Device } from '../models/session.js';
import type { Instance, Refiner, StageTimings } from './types.js';
import { resolveYoloPath } from './model-path.js';
import { classNameOf } from './instances.js';
import { boxPrior, type BoxPriorName } from './box-prior.js';
import { fuseCandidates, type Candidate, type FusionOptions } from './fusion.js';
import { boxToOriginal, cropView, flipView, maskToOriginal, salientRegion, tileViews, touchesInnerEdge, type View } from './views.js';

/** The settings types, declared once in settings.ts (re-exported: the library's names). */
export type { DetectOptions, RecallOptions, SegmentOptions, SegmentSettings } from './settings.js';

/** How to load and run the models: everything createSegmenter takes beside the settings. */
export interface LoadOptions {
  /**
   * Model name (manifest) or .onnx path, or several: their detections are fused (class-agnostic box NMS
   * across models, masks from a segment model where one found the character). Default: the resolver's
   * default model. Segment (YOLOv8-seg) and detect (YOLOv8 detection) exports are both accepted.
   */
  model?: string | readonly string[];
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
  /**
   * Refine on this many worker threads (default 0: in this thread), so a batch's images refine side by side
   * instead of queueing on the main thread. Only for the pure-CPU refiners ('regions', 'none' with a soft
   * edge); 'vote' and 'box' run SAM in-process whatever this says. See planRefine in batch.ts.
   */
  refineWorkers?: number;
  /** Pixel limit for decoded inputs. */
  maxPixels?: number;
  /** Use segment models as detectors: boxes only, their masks ignored (measures the detect-only path). */
  detectOnly?: boolean;
  /** Cross-model / cross-pass fusion thresholds (src/pipeline/fusion.ts). */
  fusion?: FusionOptions;
}

/** createSegmenter's options: the settings (resolved once, in settings.ts) and how to load and run. */
export interface SegmenterOptions extends SegmentOptions, LoadOptions {}

export interface SegmentInstance extends Instance {
  /** Box in the finding model's network-input (letterbox) pixels, straight out of NMS (full pass only). */
  boxLetterbox?: [number, number, number, number];
  /** Column of the raw output it came from (full pass only). */
  anchor?: number;
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
  /** What the user should know about this result (the refiner's notes, e.g. SAM ran degraded); absent when none. */
  notes?: string[];
  /** The settings this call ran with; detection says where each value came from (option, model, default). */
  settings: SegmentSettings;
}

export interface ModelInfo {
  name: string;
  path: string;
  task: YoloTask;
  classNames: string[];
  imgsz: [number, number];
  licence: string;
  /** Classes kept when the caller gives none (null = all). */
  defaultClasses: number[] | null;
  /** Settings the model recommends where the caller gives none (manifest entry, else ONNX metadata). */
  recommended: ModelRecommendation;
}

export interface SegmenterInfo {
  /** The model's name, or the names joined with '+' when several are fused. */
  model: string;
  /** The first model's file (the one the web page runs in the browser). */
  path: string;
  /** Class names of the first model (`classes` options refer to them). */
  classNames: string[];
  imgsz: [number, number];
  licence: string;
  description: string;
  /** Classes kept when the caller gives none (null = all), first model. */
  defaultClasses: number[] | null;
  /** The first model's recommended settings (conf, iou), used where the caller gives none (settings.ts). */
  recommended: ModelRecommendation;
  refine: RefinerName;
  /** Whether calls add soft alpha unless they say otherwise (the softEdge option). */
  softEdge: boolean;
  /** Every model, in the order given. */
  models: ModelInfo[];
  recall: Required<RecallOptions>;
  /** How detection-only boxes get their coarse mask before refinement (unused by segment models). */
  boxPrior: BoxPriorName;
  /** The settings every call runs with unless it changes some (refine, softEdge, recall, boxPrior above are from it). */
  settings: SegmentSettings;
}

/**
 * What one segment() call may change: any setting but the refiner's (the refiner itself may come per call).
 * Detection, the soft edge, recall aids and the box prior take effect; a run's filter and outputs are only
 * recorded in the result's settings (the caller applies them), so NAME.json says what the run did.
 */
export interface SegmentCallOptions extends Omit<SegmentOptions, 'refine' | 'refineOptions'> {
  /** Name of the input for error messages (bytes and pixels have none). */
  file?: string;
  /**
   * Refine with this refiner instead of the segmenter's own (null = no refinement): a server keeps one
   * segmenter and picks the refiner per request. The caller owns and disposes it.
   */
  refiner?: Refiner | null;
}

export interface Segmenter {
  readonly info: SegmenterInfo;
  /** Input: file path, encoded bytes, or decoded pixels (RGB/RGBA/gray RawImage). */
  segment(input: ImageInput, overrides?: SegmentCallOptions): Promise<SegmentResult>;
  dispose(): Promise<void>;
}

interface LoadedModel {
  name: string;
  model: YoloModel;
  names: string[];
  defClasses: number[] | null;
  licence?: string;
  description?: string;
  recommended: ModelRecommendation;
}

/** 'a,b' or ['a', 'b'] → ['a', 'b']; undefined → [undefined] (the default model). */
export function modelList(model: SegmenterOptions['model']): (string | undefined)[] {
  if (model === undefined) return [undefined];
  const list = (typeof model === 'string' ? model.split(',') : [...model]).map((m) => m.trim());
  if (list.length === 0 || list.some((m) => m === '')) {
    throw new AnimesegError('BAD_OPTION', `model list '${typeof model === 'string' ? model : model.join(',')}' has an empty name`, { hint: 'give names or paths separated by commas, e.g. yolov8n-seg-int8,anime-person-v1.3-s' });
  }
  return list;
}

/** The score a tile or second-pass detection needs (the option table's RECALL_DEFAULTS.addConf, measured there). */
export const DEFAULT_ADD_CONF = RECALL_DEFAULTS.addConf;

async function loadModels(options: SegmenterOptions): Promise<LoadedModel[]> {
  const loaded: LoadedModel[] = [];
  try {
    for (const m of modelList(options.model)) {
      const resolved = await resolveYoloPath(m, options);
      const model = await loadYoloModel(resolved.path, { device: options.device, threads: options.threads, spin: options.spin, workers: options.inferenceWorkers, imgsz: options.imgsz, detectOnly: options.detectOnly });
      const names = model.contract.names;
      const recommended = modelRecommendation(model.contract.metadata, resolved.recommended, resolved.path);
      loaded.push({ name: resolved.name, model, names, defClasses: defaultClasses(names), licence: resolved.licence, description: resolved.description, recommended });
    }
  } catch (e) {
    await Promise.all(loaded.map((l) => l.model.dispose()));
    throw e;
  }
  return loaded;
}

export async function createSegmenter(options: SegmenterOptions = {}): Promise<Segmenter> {
  // Every value checked before a model loads (or downloads); resolved for real against the models below.
  // (class names need the model: checked with it.)
  resolveSegmentSettings({ ...options, classes: undefined }, { defaultClasses: null });
  const models = await loadModels(options);
  let settings: SegmentSettings;
  let stage: RefineStage;
  try {
    settings = resolveSegmentSettings(options, modelDefaults(models));
    stage = await loadRefineStage(settings.refine, settings.refineOptions, settings.softEdge !== null, options.refineWorkers ?? 0);
  } catch (e) {
    await Promise.all(models.map((m) => m.model.dispose()));
    throw e;
  }
  const info = describeSegmenter(models, settings);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;

  async function segment(input: ImageInput, ov: SegmentCallOptions = {}): Promise<SegmentResult> {
    // The refiner's name and options are the segmenter's (or the given refiner's), never a call's.
    const { refiner: callRefiner, file, refine: _name, refineOptions: _options, ...changed } = ov as SegmentCallOptions & Pick<SegmentOptions, 'refine' | 'refineOptions'>;
    // The call's changes over the segmenter's settings (its refiner named when it brings its own).
    const call = resolveSegmentSettings({ ...changed, ...(callRefiner !== undefined && { refine: (callRefiner?.name ?? 'none') as RefinerName }) }, info, settings);
    const clock = new StageClock();
    const { image, inputAlpha } = await decodeInput(input, { maxPixels, file });
    clock.lap('decode');
    const cands = await findCandidates(image, detectPlan(models, call, options.fusion), clock);
    let instances = cands.map((c) => toInstance(c, image, call.boxPrior));
    clock.lap('postprocess');
    const runStage = callRefiner === undefined ? stage : callRefiner === null ? NO_REFINER : localRefineStage(callRefiner);
    const refined = await refineInstances(runStage, image, instances, call.softEdge, clock);
    instances = refined.instances;
    return { width: image.width, height: image.height, image, inputAlpha, instances, timings: clock.timings, settings: call, ...(refined.notes && { notes: refined.notes }) };
  }

  return {
    info,
    segment,
    async dispose() {
      await stage.dispose();
      await Promise.all(models.map((m) => m.model.dispose()));
    },
  };
}

/** What the settings resolver needs of the models: the first one's recommendation and classes; any detection-only. */
function modelDefaults(models: LoadedModel[]): SegmentModelDefaults {
  return { recommended: models[0].recommended, defaultClasses: models[0].defClasses, classNames: models[0].names, detectOnly: models.some((m) => m.model.contract.task === 'detect') };
}

/** The segmenter's public description: its models and the settings every call starts from. */
function describeSegmenter(models: LoadedModel[], settings: SegmentSettings): SegmenterInfo {
  const primary = models[0];
  const licenceOf = (m: LoadedModel): string => m.licence ?? m.model.contract.metadata.license ?? 'unknown';
  return {
    model: models.map((m) => m.name).join('+'),
    path: primary.model.path,
    classNames: primary.names.slice(),
    imgsz: primary.model.contract.imgsz,
    licence: [...new Set(models.map(licenceOf))].join(' + '),
    description: primary.description ?? primary.model.contract.metadata.description ?? '',
    defaultClasses: primary.defClasses,
    recommended: primary.recommended,
    refine: settings.refine,
    softEdge: settings.softEdge !== null,
    models: models.map((m) => ({
      name: m.name,
      path: m.model.path,
      task: m.model.contract.task,
      classNames: m.names.slice(),
      imgsz: m.model.contract.imgsz,
      licence: licenceOf(m),
      defaultClasses: m.defClasses,
      recommended: m.recommended,
    })),
    recall: { ...settings.recall },
    boxPrior: settings.boxPrior,
    settings,
  };
}

/** What detection needs of one call's settings: NMS per model (`classes` applies to the first model, the others keep their defaults). */
function detectPlan(models: LoadedModel[], s: SegmentSettings, fusion: FusionOptions | undefined): DetectPlan {
  const classes = s.classes && [...s.classes];
  return { models, classesOf: (k) => (k === 0 ? classes : models[k].defClasses), nms: nmsThresholdsOf(s), recall: s.recall, fusion };
}

/** The refinement stage (refiner, box-prior clip, soft edge; here or on refine workers), timed apart. */
async function refineInstances(runStage: RefineStage, image: RawImage, instances: SegmentInstance[], soft: SegmentSettings['softEdge'], clock: StageClock): Promise<{ instances: SegmentInstance[]; notes?: string[] }> {
  if (instances.length === 0 || (runStage.name === 'none' && !soft)) return { instances };
  const r = await runStage.run(image, instances, soft);
  const total = clock.lap();
  // The stage's own split keeps soft_edge apart from the refiner in the timings.
  const softMs = runStage.name === 'none' ? total : (r.timings.softEdge ?? 0);
  if (runStage.name !== 'none') clock.add('refine', total - softMs);
  if (soft) clock.add('soft_edge', softMs);
  return { instances: r.instances, notes: r.notes };
}

/** Stage timings of one call: `lap(k)` adds the time since the last lap to key k (and returns it). */
class StageClock {
  readonly timings: StageTimings = {};
  private t = performance.now();
  lap(key?: string): number {
    const n = performance.now();
    const ms = n - this.t;
    this.t = n;
    if (key) this.add(key, ms);
    return ms;
  }
  add(key: string, ms: number): void {
    this.timings[key] = (this.timings[key] ?? 0) + ms;
  }
  /** Restart the lap without recording (after a step that timed itself). */
  reset(): void {
    this.t = performance.now();
  }
}

type FullCandidate = Candidate & { boxLetterbox?: Box; anchor?: number };

interface DetectPlan {
  models: LoadedModel[];
  classesOf: (k: number) => number[] | null;
  nms: { conf: number; iou: number; maxDet: number; agnostic: boolean };
  recall: Readonly<Required<RecallOptions>>;
  fusion?: FusionOptions;
}

/** One model on one view (null: the full image): its detections as candidates in original pixels. */
async function detectView(image: RawImage, m: LoadedModel, view: View | null, classes: number[] | null, plan: DetectPlan, clock: StageClock): Promise<FullCandidate[]> {
  const { detections: dets } = await predict(m.model, view?.image ?? image, { ...plan.nms, classes, masks: 'native' }, clock.timings);
  clock.reset(); // predict added its own stages
  const out: FullCandidate[] = [];
  for (const d of dets) {
    if (view && touchesInnerEdge(view, d.box)) continue;
    // Part-image views only add characters, so they must be surer of them (see recall.addConf).
    if (view && view.pass !== 'flip' && d.score < plan.recall.addConf) continue;
    out.push({
      classId: d.classId,
      className: classNameOf(m.names, d.classId),
      score: d.score,
      box: view ? boxToOriginal(view, d.box) : d.box,
      mask: d.mask && (view ? maskToOriginal(view, d.mask, image.width, image.height) : d.mask),
      model: m.name,
      pass: view?.pass ?? 'full',
      source: `${m.name}/${view?.key ?? 'full'}`,
      ...(view ? {} : { boxLetterbox: d.boxLetterbox, anchor: d.anchor }),
    });
  }
  clock.lap('postprocess');
  return out;
}

/**
 * Every model on the full image, then on the recall views (flip, tiles), fused across models and views;
 * then the second pass on the largest salient region nothing was found in. At most maxDet, best first.
 */
async function findCandidates(image: RawImage, plan: DetectPlan, clock: StageClock): Promise<FullCandidate[]> {
  const { models, recall } = plan;
  const onView = async (view: View | null): Promise<FullCandidate[]> => {
    const out: FullCandidate[] = [];
    for (let k = 0; k < models.length; k++) out.push(...(await detectView(image, models[k], view, plan.classesOf(k), plan, clock)));
    return out;
  };
  let cands = await onView(null);
  const views: View[] = [];
  if (recall.tta === 'flip') views.push(flipView(image));
  if (recall.tiles) views.push(...tileViews(image));
  clock.lap('views');
  for (const v of views) cands.push(...(await onView(v)));
  if (models.length > 1 || views.length > 0) cands = fuseCandidates(cands, plan.fusion);
  if (recall.secondPass) {
    const r = salientRegion(image, cands.map((c) => c.box));
    clock.lap('views');
    if (r) {
      cands.push(...(await onView(cropView(image, r, 'second-pass', 'second-pass'))));
      cands = fuseCandidates(cands, plan.fusion);
    }
  }
  return cands.length > plan.nms.maxDet ? cands.slice(0, plan.nms.maxDet) : cands;
}

/** A candidate as the instance the refiner gets: its YOLO mask, or a box prior for a detection-only box. */
function toInstance(c: FullCandidate, image: RawImage, prior: BoxPriorName): SegmentInstance {
  const inst: SegmentInstance = {
    classId: c.classId,
    className: c.className,
    score: c.score,
    box: c.box,
    mask: c.mask ?? boxPrior(image, c.box, prior),
    maskSource: c.mask ? 'yolo' : 'box-prior',
    foundBy: { model: c.model, pass: c.pass, ...(c.maskModel ? { maskModel: c.maskModel } : {}) },
  };
  if (c.boxLetterbox) inst.boxLetterbox = c.boxLetterbox;
  if (c.anchor !== undefined) inst.anchor = c.anchor;
  return inst;
}

/** The stage with no refiner: soft edge only, when a call asks for it. */
const NO_REFINER: RefineStage = localRefineStage(null);

/**
 * The segmenter's own refinement stage: in this thread, or on refine workers for the pure-CPU refiners
 * ('regions', or 'none' when every call adds a soft edge); 'none' without a soft edge needs no refiner.
 */
async function loadRefineStage(name: RefinerName, options: RefinerOptions, softByDefault: boolean, workers: number): Promise<RefineStage> {
  if (name === 'none' && !(softByDefault && workers > 0)) return NO_REFINER;
  // Loaded lazily: refiners pull in SAM code and models that plain segmentation never needs.
  if (workers > 0) {
    const pool = await import('../refine/worker-pool.js');
    if (pool.refinerRunsInWorkers(name)) return pool.startRefinerPool(name, options, { workers });
  }
  const { createRefiner } = await import('../refine/index.js');
  return localRefineStage(await createRefiner(name, options));
}
