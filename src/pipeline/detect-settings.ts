/**
 * The detection part of the settings (conf, iou, max_det, agnostic, classes) and the model's recommendation:
 * resolved here for the one settings resolver (settings.ts) and for the in-browser page, which imports only
 * this file (so its declarations reach no Node-only module). Pure TypeScript.
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import { DETECT_DEFAULTS, resolveClassIds } from './options.js';

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

/** The library's own limit on maxDet (the CLI and the server take the table's MAX_DET_LIMIT). */
const LIBRARY_MAX_DET = 100000;

export function checkRange(name: string, v: number | undefined, lo: number, hi: number): void {
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

/** The NMS thresholds of resolved settings, as the predictor core takes them (`classes` apart: a fused model's others keep their own). */
export function nmsThresholdsOf(s: DetectSettings): { conf: number; iou: number; maxDet: number; agnostic: boolean } {
  return { conf: s.conf, iou: s.iou, maxDet: s.maxDet, agnostic: s.agnostic };
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

