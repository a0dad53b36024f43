/**
 * The one resolver of a segmentation's settings. What the user gave (CLI flags, request fields, library or
 * job options: one `SegmentOptions`), what the model recommends (its manifest entry, or its ONNX metadata
 * `recommended_conf`), and the option table's defaults (src/pipeline/options.ts) become one frozen
 * `SegmentSettings`: detection (saying where each value came from), recall aids, refinement, soft edge,
 * instance filter and outputs. The segmenter runs with it and returns it; NAME.json, the server's JSON
 * (`settingsJson`) and the run's settings hash (batch.ts `runSettings`, shared by queue jobs) are written
 * from it. No other module applies a default of these settings.
 * Pure TypeScript (the in-browser page resolves with it too).
 */
import { AnimesegError, invalidParameterError, oneOf } from '../errors.js';
import type { RefinerName } from '../refine/registry.js';
import type { RefinerOptions } from '../refine/descriptor.js';
import type { SoftEdgeOption, SoftEdgeOptions } from '../refine/types.js';
import { resolveSoftEdge } from '../refine/softedge.js';
import type { ImageFormat } from '../image/encode.js';
import { DETECT_DEFAULTS, OUTPUT_DEFAULTS, RECALL_DEFAULTS, resolveClassIds } from './options.js';
import { checkBoxPrior, DEFAULT_BOX_PRIOR, type BoxPriorName } from './box-prior.js';
import { checkFilterOptions, DEFAULT_MAX_COVERED, type InstanceFilterOptions } from './instance-filter.js';
import type { CropSpec } from './crops.js';
import type { Rgb } from './outputs.js';

/** Detection settings as given: each one optional (absent = the model's recommendation, else the default). */
export interface DetectOptions {
  /** Confidence threshold (default: the model's recommendation, else the table's DETECT_DEFAULTS.conf). */
  conf?: number;
  /** NMS IoU threshold (default: the model's recommendation, else DETECT_DEFAULTS.iou). */
  iou?: number;
  /** At most this many detections (default DETECT_DEFAULTS.maxDet). */
  maxDet?: number;
  /**
   * Class ids or names (names ignore case, resolved against the model's) to keep; 'all' or null = every
   * class; undefined = model default (person for COCO).
   */
  classes?: readonly (number | string)[] | 'all' | null;
  /** Class-agnostic NMS. */
  agnostic?: boolean;
}

/** Recall aids (each measured on and off by bench/recall.ts; all off by default, see docs/DETECTION.md). */
export interface RecallOptions {
  /** Test-time augmentation: 'flip' also runs every model on the mirrored image. */
  tta?: 'none' | 'flip';
  /** Also run every model on 2 x 2 overlapping tiles (small characters). */
  tiles?: boolean;
  /** Also run every model on a crop around the largest salient region no detection covers. */
  secondPass?: boolean;
  /** Smallest score of a detection from a tile or the second pass (they only add characters; default RECALL_DEFAULTS.addConf). */
  addConf?: number;
}

/** What a run writes per image (batch.ts); the segmenter itself writes nothing. */
export interface OutputOptions {
  format?: Exclude<ImageFormat, 'jpeg'>;
  /** Write NAME.overlay.png. */
  overlay?: boolean;
  /** Write NAME.instNN.png per instance (NAME.instNN.mask.png with onlyMask). */
  instances?: boolean;
  /** Only the mask (NAME.mask.png) and JSON, no cutout. */
  onlyMask?: boolean;
  bgColor?: Rgb;
  crop?: boolean;
  /** Write NAME.instNN.crop.png (transparent) or .crop.jpg (opaque background) per character (crops.ts). */
  crops?: CropSpec;
  /** Images with no character get only NAME.json (no cutout, mask or overlay). */
  skipEmpty?: boolean;
}

/** The keys of OutputOptions, for front ends that take them flat (BatchOptions). */
export const OUTPUT_KEYS = ['format', 'overlay', 'instances', 'onlyMask', 'bgColor', 'crop', 'crops', 'skipEmpty'] as const satisfies readonly (keyof OutputOptions)[];

/**
 * Every setting of a segmentation as given, each optional: the one input type of the resolver, read by the
 * CLI (`segment`, `queue add`), POST /v1/segment and /v1/jobs, queue jobs and the library
 * (createSegmenter's options and segment()'s per-call options are this type plus how to load and run).
 */
export interface SegmentOptions extends DetectOptions {
  recall?: RecallOptions;
  /**
   * Refinement stage. Default 'none', or 'regions' when a model is detection-only (its boxes need a
   * refiner to become masks).
   */
  refine?: RefinerName;
  /** Options passed to createRefiner (src/refine). */
  refineOptions?: RefinerOptions;
  /** Coarse mask given to the refiner for a box without a mask (default DEFAULT_BOX_PRIOR). */
  boxPrior?: BoxPriorName;
  /**
   * Edge-aware soft alpha (guided filter, src/refine/softedge.ts) on every instance after refinement: true =
   * the tuned defaults, or { radius, eps, subsample }.
   */
  softEdge?: SoftEdgeOption;
  /** Dropping junk instances after refinement (a run's; absent = none, unless a base settings has one). */
  filter?: InstanceFilterOptions;
  /** What a run writes (absent = OUTPUT_DEFAULTS). */
  outputs?: OutputOptions;
}

/** What a model recommends for the settings a user leaves out. */
export interface ModelRecommendation {
  conf?: number;
  iou?: number;
}

/** Where a value came from: the user, the model (its recommendation or its default classes), or the table. */
export type SettingSource = 'option' | 'model' | 'default';

export interface DetectSettings {
  readonly conf: number;
  readonly iou: number;
  readonly maxDet: number;
  readonly agnostic: boolean;
  /** Class ids kept (null = every class). */
  readonly classes: readonly number[] | null;
  readonly from: Readonly<Record<'conf' | 'iou' | 'maxDet' | 'agnostic' | 'classes', SettingSource>>;
}

/** What the resolver needs of a model: its recommendation, its default classes and its class names (a SegmenterInfo has all three). */
export interface ModelDefaults {
  recommended?: ModelRecommendation;
  defaultClasses: readonly number[] | null;
  /** The names `classes` may use; absent: ids only, not checked (the in-browser page checks its own). */
  classNames?: readonly string[];
}

/** The detection part of some options (a batch passes it with every call). */
export function detectOptionsOf(o: DetectOptions): DetectOptions {
  return { conf: o.conf, iou: o.iou, maxDet: o.maxDet, agnostic: o.agnostic, classes: o.classes };
}

/** The library's own limit on maxDet (the CLI and the server take the table's MAX_DET_LIMIT). */
const LIBRARY_MAX_DET = 100000;

function checkRange(name: string, v: number | undefined, lo: number, hi: number): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= lo && v <= hi)) throw invalidParameterError(name, `a number in [${lo}, ${hi}]`, v);
}

/**
 * Explicit options win, then `base` (settings already resolved, e.g. the segmenter's own when a call
 * changes some), then the model's recommendation, then the option table's default.
 */
export function resolveDetectSettings(given: DetectOptions, model: ModelDefaults, base?: DetectSettings): DetectSettings {
  checkRange('conf', given.conf, 0, 1);
  checkRange('iou', given.iou, 0, 1);
  checkRange('maxDet', given.maxDet, 1, LIBRARY_MAX_DET);
  const rec = model.recommended ?? {};
  const pick = <K extends 'conf' | 'iou' | 'maxDet' | 'agnostic'>(k: K, fromModel?: DetectSettings[K]): [DetectSettings[K], SettingSource] => {
    const g = given[k] as DetectSettings[K] | undefined;
    if (g !== undefined) return [g, 'option'];
    if (base) return [base[k], base.from[k]];
    return fromModel !== undefined ? [fromModel, 'model'] : [DETECT_DEFAULTS[k] as DetectSettings[K], 'default'];
  };
  const [conf, confFrom] = pick('conf', rec.conf);
  const [iou, iouFrom] = pick('iou', rec.iou);
  const [maxDet, maxDetFrom] = pick('maxDet');
  const [agnostic, agnosticFrom] = pick('agnostic');
  const c = given.classes;
  let classes: number[] | null;
  let classesFrom: SettingSource;
  if (c !== undefined) [classes, classesFrom] = [c === 'all' || c === null ? null : classIds(c, model.classNames), 'option'];
  else if (base) [classes, classesFrom] = [base.classes && [...base.classes], base.from.classes];
  else [classes, classesFrom] = model.defaultClasses ? [[...model.defaultClasses], 'model'] : [null, 'default'];
  return Object.freeze({
    conf,
    iou,
    maxDet,
    agnostic,
    classes: classes && Object.freeze(classes),
    from: Object.freeze({ conf: confFrom, iou: iouFrom, maxDet: maxDetFrom, agnostic: agnosticFrom, classes: classesFrom }),
  });
}

/** Class ids from ids and names: against the model's names when known (resolveClassIds, one wording), else ids as given. */
function classIds(classes: readonly (number | string)[], names: readonly string[] | undefined): number[] {
  if (names) return resolveClassIds(classes, names);
  const named = classes.find((c) => typeof c === 'string');
  if (named !== undefined) throw new AnimesegError('BAD_OPTION', `classes: the name '${named}' needs the model's class names`, { hint: 'give class ids, or resolve against a loaded model' });
  return classes as number[];
}

/** Every setting of a segmentation, defaulted and frozen; detection says where each value came from. */
export interface SegmentSettings extends DetectSettings {
  readonly recall: Readonly<Required<RecallOptions>>;
  readonly refine: RefinerName;
  readonly refineOptions: Readonly<RefinerOptions>;
  readonly boxPrior: BoxPriorName;
  /** The guided filter's settings, or null for binary masks. */
  readonly softEdge: Readonly<SoftEdgeOptions> | null;
  /** The instance filter a run applies, or null: none (the segmenter's own results, the server). */
  readonly filter: Readonly<Required<InstanceFilterOptions>> | null;
  readonly outputs: Readonly<OutputOptions & Required<Pick<OutputOptions, keyof typeof OUTPUT_DEFAULTS>>>;
}

/** What the resolver needs of the models beyond detection: whether one is detection-only (needs a refiner). */
export interface SegmentModelDefaults extends ModelDefaults {
  detectOnly?: boolean;
}

/**
 * The one resolver: `given` over `base` (when a call or a run changes some of the segmenter's settings)
 * over the model's recommendation over the option table's defaults. Every value is checked here.
 */
export function resolveSegmentSettings(given: SegmentOptions, model: SegmentModelDefaults, base?: SegmentSettings): SegmentSettings {
  const detect = resolveDetectSettings(given, model, base);
  const recall = { ...RECALL_DEFAULTS, ...base?.recall, ...defined(given.recall ?? {}) };
  if (recall.tta !== 'none' && recall.tta !== 'flip') throw invalidParameterError('tta', oneOf(['none', 'flip']), recall.tta);
  checkRange('recall.addConf', recall.addConf, 0, 1);
  const filterGiven = given.filter ?? (base?.filter ? {} : undefined);
  if (filterGiven) checkFilterOptions(filterGiven);
  const filter = filterGiven && Object.freeze({ minArea: 0, maxCovered: DEFAULT_MAX_COVERED, ...base?.filter, ...defined(filterGiven) });
  const softEdge = given.softEdge !== undefined ? resolveSoftEdge(given.softEdge) : (base?.softEdge ?? null);
  return Object.freeze({
    ...detect,
    recall: Object.freeze(recall),
    refine: given.refine ?? base?.refine ?? (model.detectOnly ? 'regions' : 'none'),
    refineOptions: Object.freeze({ ...(given.refineOptions ?? base?.refineOptions ?? {}) }),
    boxPrior: checkBoxPrior(given.boxPrior ?? base?.boxPrior ?? DEFAULT_BOX_PRIOR),
    softEdge: softEdge && Object.freeze({ ...softEdge }),
    filter: filter ?? null,
    outputs: Object.freeze({ ...OUTPUT_DEFAULTS, ...base?.outputs, ...defined(given.outputs ?? {}) }),
  });
}

/** The keys of `o` whose value is not undefined (so an absent value never hides a default). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * A model's recommendation: its manifest entry's `recommended`, else its ONNX metadata (`recommended_conf`,
 * `recommended_iou`, written by whoever exported it). A value that is not a number in [0, 1] is refused: a
 * silently ignored hint would change results without a word.
 */
export function modelRecommendation(metadata: Readonly<Record<string, string>>, manifest: ModelRecommendation = {}, file?: string): ModelRecommendation {
  const out: ModelRecommendation = {};
  for (const k of ['conf', 'iou'] as const) {
    const text = metadata[`recommended_${k}`];
    if (manifest[k] !== undefined) out[k] = manifest[k];
    else if (text !== undefined) {
      const v = Number(text);
      if (text.trim() === '' || !(v >= 0 && v <= 1)) {
        throw new AnimesegError('BAD_MODEL', `model metadata recommended_${k} is '${text}', expected a number in [0, 1]`, {
          file,
          hint: `fix the metadata, or give the model a manifest entry with "recommended": { "${k}": ... }`,
        });
      }
      out[k] = v;
    }
  }
  return out;
}

/** The detection settings as JSON writes them: snake_case like every other key. */
export function detectSettingsJson(s: DetectSettings): Record<string, unknown> {
  return {
    conf: s.conf,
    iou: s.iou,
    max_det: s.maxDet,
    agnostic: s.agnostic,
    classes: s.classes ? [...s.classes] : 'all',
    from: { conf: s.from.conf, iou: s.from.iou, max_det: s.from.maxDet, agnostic: s.from.agnostic, classes: s.from.classes },
  };
}

/**
 * The `settings` of a result's JSON (NAME.json, the server's JSON, `segment - --json`), from the settings it
 * ran with: the model's default classes, detection with sources, the refiner, the soft edge when on, the
 * instance filter when one ran, the network input size.
 */
export function settingsJson(s: SegmentSettings, model: { defaultClasses: readonly number[] | null; imgsz: readonly [number, number] | number[] }): Record<string, unknown> {
  return {
    ...(model.defaultClasses && { default_classes: [...model.defaultClasses] }),
    ...detectSettingsJson(s),
    refine: s.refine,
    ...(s.softEdge && { soft_edge: true }),
    ...(s.filter && { min_area: s.filter.minArea, max_covered: s.filter.maxCovered }),
    imgsz: [...model.imgsz],
  };
}
