/**
 * The one resolver of detection settings. What the user gave (CLI flags, request fields, library or job
 * options), what the model recommends (its manifest entry, or its ONNX metadata `recommended_conf`), and
 * the option table's defaults (DETECT_DEFAULTS) become one frozen DetectSettings that also says where each
 * value came from. The segmenter runs with it; NAME.json, the run's settings hash, queue jobs and the
 * server's JSON record it. No other module applies a detection default.
 * Pure TypeScript (the in-browser page resolves with it too).
 */
import { AnimesegError } from '../errors.js';
import { DETECT_DEFAULTS } from './options.js';

/** Detection settings as given: each one optional (absent = the model's recommendation, else the default). */
export interface DetectOptions {
  /** Confidence threshold (default: the model's recommendation, else Ultralytics predict's 0.25). */
  conf?: number;
  /** NMS IoU threshold (default: the model's recommendation, else 0.7). */
  iou?: number;
  /** At most this many detections (default 300). */
  maxDet?: number;
  /** Class ids to keep; 'all' or null = every class; undefined = model default (person for COCO). */
  classes?: number[] | 'all' | null;
  /** Class-agnostic NMS. */
  agnostic?: boolean;
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

/** What the resolver needs of a model: its recommendation and its default classes (a SegmenterInfo has both). */
export interface ModelDefaults {
  recommended?: ModelRecommendation;
  defaultClasses: readonly number[] | null;
}

/** Explicit options win, then the model's recommendation, then the option table's default. */
export function resolveDetectSettings(given: DetectOptions, model: ModelDefaults): DetectSettings {
  const rec = model.recommended ?? {};
  const pick = <K extends 'conf' | 'iou'>(k: K): [number, SettingSource] =>
    given[k] !== undefined ? [given[k], 'option'] : rec[k] !== undefined ? [rec[k], 'model'] : [DETECT_DEFAULTS[k], 'default'];
  const [conf, confFrom] = pick('conf');
  const [iou, iouFrom] = pick('iou');
  const c = given.classes;
  const classes = c === 'all' || c === null ? null : c !== undefined ? [...c] : model.defaultClasses ? [...model.defaultClasses] : null;
  const classesFrom: SettingSource = c !== undefined ? 'option' : model.defaultClasses ? 'model' : 'default';
  return Object.freeze({
    conf,
    iou,
    maxDet: given.maxDet ?? DETECT_DEFAULTS.maxDet,
    agnostic: given.agnostic ?? DETECT_DEFAULTS.agnostic,
    classes: classes && Object.freeze(classes),
    from: Object.freeze({
      conf: confFrom,
      iou: iouFrom,
      maxDet: given.maxDet !== undefined ? 'option' : 'default',
      agnostic: given.agnostic !== undefined ? 'option' : 'default',
      classes: classesFrom,
    }),
  });
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

/** The settings as NAME.json and the server's JSON write them: snake_case like every other key. */
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
