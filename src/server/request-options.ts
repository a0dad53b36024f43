/**
 * Options of POST /v1/segment, from the query string and/or multipart fields (fields win). Every value is
 * checked here so a typo is a 400 that names the option, never a silently ignored setting. Names, ranges
 * and defaults come from the shared option table (src/pipeline/options.ts); this file only reads strings.
 */
import { AnimesegError, invalidParameterError, oneOf } from '../errors.js';
import { parseColor, type Rgb } from '../pipeline/outputs.js';
import { OUTPUT_FORMATS, optionSpec, parseClassList, SEGMENT_OPTIONS, type OptionSpec, type SegmentOptionKey } from '../pipeline/options.js';

export { resolveClassIds } from '../pipeline/options.js';

/** The server also answers with the instances JSON. */
export const SERVER_FORMATS = [...OUTPUT_FORMATS, 'json'] as const;
export type OutputFormat = (typeof SERVER_FORMATS)[number];

export interface SegmentRequestOptions {
  refine?: string;
  conf?: number;
  iou?: number;
  /** At most this many detections (default DETECT_DEFAULTS.maxDet). */
  maxDet?: number;
  /** Class-agnostic NMS. */
  agnostic?: boolean;
  /** Class ids, names resolved against the model; undefined = the model's default filter; 'all' = every class. */
  classes?: (number | string)[] | 'all';
  /** Indices (in result order) of the instances to put into the image output (`select=`); undefined = all. */
  select?: number[];
  onlyMask: boolean;
  /** RGB 0..255 to paint the background with; undefined = transparent background. */
  bgColor?: Rgb;
  crop: boolean;
  /** Edge-aware partial alpha on the outline (guided filter) in image outputs. */
  softEdge: boolean;
  format: OutputFormat;
}

/** The option table's entries the endpoint accepts (also what the OpenAPI document lists). */
export const SERVER_OPTIONS: readonly OptionSpec[] = SEGMENT_OPTIONS.filter((o: OptionSpec) => o.server !== false);
/** The option names the endpoint accepts. */
export const SEGMENT_OPTION_NAMES: readonly string[] = SERVER_OPTIONS.map((o) => o.key);

type Raw = Record<string, string | undefined>;

export function parseBool(name: string, v: string | undefined): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  // A bare `?crop` arrives as the empty string: treat presence as true, like a CLI flag.
  if (s === '' || s === '1' || s === 'true' || s === 'yes' || s === 'on') return true;
  if (s === '0' || s === 'false' || s === 'no' || s === 'off') return false;
  throw invalidParameterError(name, 'true or false', v);
}

/** A number or integer option in its table range; undefined when absent or empty. */
function parseNumber(key: SegmentOptionKey, v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const o = optionSpec(key);
  if (o.type !== 'number' && o.type !== 'integer') throw new Error(`${key} is not a number option`);
  const n = Number(v);
  const [min, max] = [o.min ?? -Infinity, o.max ?? Infinity];
  const ok = Number.isFinite(n) && n >= min && n <= max && (o.type === 'number' || Number.isInteger(n));
  if (!ok) throw invalidParameterError(key, `${o.type === 'integer' ? 'a whole number' : 'a number'} in [${min}, ${max}]`, v);
  return n;
}

function parseIndexList(name: string, v: string): number[] {
  const out: number[] = [];
  for (const p of v.split(',')) {
    const t = p.trim();
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw invalidParameterError(name, 'comma-separated instance numbers (0 = first)', v);
    out.push(Number(t));
  }
  return out;
}

/**
 * Parse raw string options. `refiners` is the list of refinement modes this server offers; an unknown key
 * or an unsupported value throws AnimesegError('BAD_OPTION').
 */
export function parseSegmentOptions(raw: Raw, refiners: readonly string[]): SegmentRequestOptions {
  for (const k of Object.keys(raw)) {
    if (k === 'instances') {
      // Renamed so it does not mean two things: the CLI's --instances writes one file per character.
      throw new AnimesegError('BAD_OPTION', "option 'instances' was renamed to 'select'", { hint: 'pick characters with select=0,2 (0-based ids, as in the JSON)' });
    }
    if (!SEGMENT_OPTION_NAMES.includes(k)) {
      // The CLI's wording for the same mistake (src/cli/args.ts).
      throw new AnimesegError('BAD_OPTION', `unknown option '${k}'`, { hint: `known options: ${SEGMENT_OPTION_NAMES.join(', ')}` });
    }
  }
  const opts: SegmentRequestOptions = { onlyMask: false, crop: false, softEdge: false, format: 'png' };
  if (raw.refine !== undefined && raw.refine !== '') {
    if (!refiners.includes(raw.refine)) throw invalidParameterError('refine', `a refiner this server offers (${oneOf(refiners)})`, raw.refine, 'GET /v1/refiners lists them');
    opts.refine = raw.refine;
  }
  opts.conf = parseNumber('conf', raw.conf);
  opts.iou = parseNumber('iou', raw.iou);
  const maxDet = parseNumber('max_det', raw.max_det);
  if (maxDet !== undefined) opts.maxDet = maxDet;
  if (raw.agnostic !== undefined) opts.agnostic = parseBool('agnostic', raw.agnostic);
  if (raw.classes !== undefined && raw.classes.trim() !== '') {
    opts.classes = parseClassList(raw.classes);
  }
  if (raw.select !== undefined && raw.select.trim() !== '' && raw.select.trim().toLowerCase() !== 'all') {
    opts.select = parseIndexList('select', raw.select);
  }
  opts.onlyMask = parseBool('only_mask', raw.only_mask);
  opts.crop = parseBool('crop', raw.crop);
  opts.softEdge = parseBool('soft_edge', raw.soft_edge);
  if (raw.bg_color !== undefined && raw.bg_color.trim() !== '') {
    opts.bgColor = parseColor(raw.bg_color, 'bg_color');
  }
  if (raw.format !== undefined && raw.format !== '') {
    const f = raw.format.toLowerCase();
    if (!(SERVER_FORMATS as readonly string[]).includes(f)) throw invalidParameterError('format', oneOf(SERVER_FORMATS), raw.format);
    opts.format = f as OutputFormat;
  }
  return opts;
}
