/**
 * The one table of the detection and output options that `animeseg segment`, POST /v1/segment and the
 * library share: each option once, with its name, type, default, range and help. From it come
 *   - the library defaults (DETECT_DEFAULTS, applied by the one settings resolver, settings.ts, after a model's
 *     recommendation),
 *   - the CLI's parseArgs config and usage lines (src/cli/schema-args.ts),
 *   - the server's request parsing (src/server/request-options.ts) and its /openapi.json (jsonSchemaOf).
 * To add an option shared by CLI and server, add one entry to SEGMENT_OPTIONS; the front ends read it.
 *
 * Our own table rather than TypeBox + @fastify/swagger: the server takes options from multipart fields as
 * well as the query (Fastify's schema validation sees only the query), the CLI needs parseArgs config and
 * usage text that no JSON-schema tool emits, and the whole thing is ~100 lines without a dependency.
 * Keys are snake_case (the JSON and HTTP spelling); the CLI flag is the kebab-case of the key.
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import type { OptionSpec } from '../util/option-spec.js';
import { REFINER_NAMES } from '../refine/registry.js';

export { defaultText, flagOf, jsonSchemaOf, type OptionSpec } from '../util/option-spec.js';

/** Detection defaults (Ultralytics predict's conf 0.25, iou 0.7, max_det 300; NMS per class). */
export const DETECT_DEFAULTS = { conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false } as const;
/**
 * The most detections one image may ask for, everywhere: each detection carries a full-size mask, so past a
 * thousand the memory of the masks, not the model, is the limit (one value for the CLI and the server).
 */
export const MAX_DET_LIMIT = 1000;
/**
 * Recall aids, all off. A tile or second-pass detection needs addConf: on 16 synth composites, tiles at
 * 0.25 / 0.5 / 0.7 gave 20 / 20 / 19 of 38 characters with 19 / 11 / 7 false ones (baseline 18 found, 7
 * false): 0.7 is the first with no more false characters than the full pass alone (bench/recall.ts,
 * docs/DETECTION.md).
 */
export const RECALL_DEFAULTS = { tta: 'none', tiles: false, secondPass: false, addConf: 0.7 } as const;
/** The outputs a run writes when it is told nothing: a PNG cutout, its mask and NAME.json. */
export const OUTPUT_DEFAULTS = { format: 'png', overlay: false, instances: false, onlyMask: false, crop: false, skipEmpty: false } as const;
/** The refiner registry's names (src/refine/registry.ts), in its order. */
export const REFINE_NAMES = REFINER_NAMES;
export const OUTPUT_FORMATS = ['png', 'webp'] as const;

export const SEGMENT_OPTIONS = [
  // The detection options' defaults are applied by the settings resolver (settings.ts), after the model's
  // recommendation (e.g. conf 0.45 for animeseg-char-n416): absent, they stay undefined until then.
  { key: 'conf', type: 'number', default: DETECT_DEFAULTS.conf, appliedBySettings: true, defaultHelp: `the model's recommended conf, else ${DETECT_DEFAULTS.conf}`, min: 0, max: 1, metavar: 'X', help: 'confidence threshold' },
  { key: 'iou', type: 'number', default: DETECT_DEFAULTS.iou, appliedBySettings: true, defaultHelp: `the model's recommended iou, else ${DETECT_DEFAULTS.iou}`, min: 0, max: 1, metavar: 'X', help: 'NMS IoU threshold' },
  { key: 'max_det', type: 'integer', default: DETECT_DEFAULTS.maxDet, appliedBySettings: true, min: 1, max: MAX_DET_LIMIT, metavar: 'N', help: 'most detections per image' },
  {
    key: 'classes',
    type: 'string',
    metavar: 'LIST|all',
    examples: ['0', 'person', 'all'],
    help: 'class ids or names to keep (names ignore case), e.g. 0,1 or person; default: person for COCO models, every class for other models',
  },
  { key: 'agnostic', type: 'boolean', default: DETECT_DEFAULTS.agnostic, appliedBySettings: true, help: 'class-agnostic NMS' },
  { key: 'refine', type: 'enum', choices: REFINE_NAMES, metavar: 'NAME', help: 'mask refinement' },
  { key: 'soft_edge', type: 'boolean', default: false, help: 'edge-aware partial alpha on the refined outline (guided filter)' },
  { key: 'only_mask', type: 'boolean', default: false, help: 'the mask instead of the cutout' },
  { key: 'bg_color', type: 'string', metavar: 'C', examples: ['#ffffff', '0,255,0'], help: "background colour instead of transparency: '#fff', '#rrggbb' or r,g,b" },
  { key: 'crop', type: 'boolean', default: false, help: 'crop the cutout to the characters' },
  { key: 'format', type: 'enum', choices: OUTPUT_FORMATS, default: OUTPUT_DEFAULTS.format, metavar: 'png|webp', help: 'cutout format' },
  // The two that differ: the CLI writes one file per character, the server picks characters for its one image.
  { key: 'instances', type: 'boolean', default: false, server: false, help: 'also write one cutout per character, cropped to its box' },
  {
    key: 'select',
    type: 'string',
    cli: false,
    examples: ['0', '0,2'],
    help: "the characters (0-based ids, in result order) to put into the image output, e.g. '0,2'; default all",
  },
] as const satisfies readonly OptionSpec[];

export type SegmentOptionKey = (typeof SEGMENT_OPTIONS)[number]['key'];

export function optionSpec(key: SegmentOptionKey): OptionSpec {
  return SEGMENT_OPTIONS.find((o) => o.key === key)!;
}

/** A class list as written ('0,2', 'person,cat', 'all'); names resolve against a model with resolveClassIds. */
export function parseClassList(text: string, name = 'classes'): (number | string)[] | 'all' {
  const t = text.trim();
  if (t.toLowerCase() === 'all') return 'all';
  const parts = t.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw invalidParameterError(name, "a comma-separated list like 0,1 or person (or 'all')", text);
  }
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Class ids and names to ids, against the model's names; names ignore case ('Person' = 'person'). An unknown
 * name or id is an error listing some real ones, since a silently empty result looks like "no characters".
 * The one resolver of the CLI, the server and the library.
 */
export function resolveClassIds(classes: readonly (number | string)[], names: readonly string[]): number[] {
  const some = `this model's classes include: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}`;
  return classes.map((c) => {
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0 || c >= names.length) {
        throw new AnimesegError('BAD_OPTION', `classes: this model has no class ${c} (ids 0..${names.length - 1})`, { hint: some });
      }
      return c;
    }
    const i = names.findIndex((n) => n.toLowerCase() === c.toLowerCase());
    if (i < 0) throw new AnimesegError('BAD_OPTION', `classes: this model has no class '${c}'`, { hint: some });
    return i;
  });
}
