/**
 * The one resolver of a segmentation's settings. What the user gave (CLI flags, request fields, library or
 * job options: one `SegmentOptions`), what the model recommends (its manifest entry, or its ONNX metadata
 * `recommended_conf`), and the option table's defaults (src/pipeline/options.ts) become one frozen
 * `SegmentSettings`: detection (saying where each value came from), recall aids, refinement, soft edge,
 * instance filter and outputs. The segmenter runs with it and returns it; NAME.json, the server's JSON
 * (`settingsJson`) and the run's settings hash (batch.ts `runSettings`, shared by queue jobs) are written
 * from it. No other module applies a default of these settings. Its detection part lives in
 * detect-settings.ts (re-exported here), which the in-browser page imports alone.
 */
import { invalidParameterError, oneOf } from '../errors.js';
import type { RefinerName } from '../refine/registry.js';
import type { RefinerOptions } from '../refine/descriptor.js';
import type { SoftEdgeOption, SoftEdgeOptions } from '../refine/types.js';
import { resolveSoftEdge } from '../refine/softedge.js';
import type { ImageFormat } from '../image/encode.js';
import { OUTPUT_DEFAULTS, RECALL_DEFAULTS } from './options.js';
import { checkRange, detectSettingsJson, resolveDetectSettings, type DetectOptions, type DetectSettings, type ModelDefaults } from './detect-settings.js';

export {
  detectSettingsJson,
  modelRecommendation,
  nmsThresholdsOf,
  resolveDetectSettings,
  type DetectOptions,
  type DetectSettings,
  type ModelDefaults,
  type ModelRecommendation,
  type SettingSource,
} from './detect-settings.js';
import { checkBoxPrior, DEFAULT_BOX_PRIOR, type BoxPriorName } from './box-prior.js';
import { checkFilterOptions, DEFAULT_MAX_COVERED, type InstanceFilterOptions } from './instance-filter.js';
import type { CropSpec } from './crops.js';
import type { Rgb } from './outputs.js';

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

/** The detection part of some options (a batch passes it with every call). */
export function detectOptionsOf(o: DetectOptions): DetectOptions {
  return { conf: o.conf, iou: o.iou, maxDet: o.maxDet, agnostic: o.agnostic, classes: o.classes };
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
