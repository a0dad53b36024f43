/**
 * Options of POST /v1/segment, from the query string and/or multipart fields (fields win). Every value is
 * checked here so a typo is a 400 that names the option, never a silently ignored setting.
 */
import { AnimesegError } from '../errors.js';
import { parseColor, type Rgb } from '../pipeline/outputs.js';

export type OutputFormat = 'png' | 'webp' | 'json';

export interface SegmentRequestOptions {
  refine?: string;
  conf?: number;
  iou?: number;
  /** At most this many detections (default 300). */
  maxDet?: number;
  /** Class-agnostic NMS. */
  agnostic?: boolean;
  /** Class ids, names resolved against the model; undefined = the model's default filter; 'all' = every class. */
  classes?: (number | string)[] | 'all';
  /** Indices (in result order) of the instances to put into the image output; undefined = all. */
  instances?: number[];
  onlyMask: boolean;
  /** RGB 0..255 to paint the background with; undefined = transparent background. */
  bgColor?: Rgb;
  crop: boolean;
  /** Edge-aware partial alpha on the outline (guided filter) in image outputs. */
  softEdge: boolean;
  format: OutputFormat;
}

/** The option names the endpoint accepts (also used by the OpenAPI document). */
export const SEGMENT_OPTION_NAMES = ['refine', 'conf', 'iou', 'max_det', 'agnostic', 'classes', 'instances', 'only_mask', 'bg_color', 'crop', 'soft_edge', 'format'] as const;

type Raw = Record<string, string | undefined>;

function bad(name: string, message: string, hint?: string): AnimesegError {
  return new AnimesegError('BAD_OPTION', `option '${name}': ${message}`, { hint });
}

export function parseBool(name: string, v: string | undefined): boolean {
  if (v === undefined) return false;
  const s = v.trim().toLowerCase();
  // A bare `?crop` arrives as the empty string: treat presence as true, like a CLI flag.
  if (s === '' || s === '1' || s === 'true' || s === 'yes' || s === 'on') return true;
  if (s === '0' || s === 'false' || s === 'no' || s === 'off') return false;
  throw bad(name, `expected true/false, got '${v}'`);
}

function parseUnit(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw bad(name, `expected a number in [0, 1], got '${v}'`);
  return n;
}

function parseIndexList(name: string, v: string): number[] {
  const out: number[] = [];
  for (const p of v.split(',')) {
    const t = p.trim();
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw bad(name, `expected comma-separated instance numbers (0 = first), got '${v}'`);
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
    if (!(SEGMENT_OPTION_NAMES as readonly string[]).includes(k)) {
      throw bad(k, 'unknown option', `known options: ${SEGMENT_OPTION_NAMES.join(', ')}`);
    }
  }
  const opts: SegmentRequestOptions = { onlyMask: false, crop: false, softEdge: false, format: 'png' };
  if (raw.refine !== undefined && raw.refine !== '') {
    if (!refiners.includes(raw.refine)) throw bad('refine', `'${raw.refine}' is not offered by this server`, `choose one of: ${refiners.join(', ')} (GET /v1/refiners)`);
    opts.refine = raw.refine;
  }
  opts.conf = parseUnit('conf', raw.conf);
  opts.iou = parseUnit('iou', raw.iou);
  if (raw.max_det !== undefined && raw.max_det.trim() !== '') {
    const n = Number(raw.max_det);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw bad('max_det', `expected an integer in [1, 1000], got '${raw.max_det}'`);
    opts.maxDet = n;
  }
  if (raw.agnostic !== undefined) opts.agnostic = parseBool('agnostic', raw.agnostic);
  if (raw.classes !== undefined && raw.classes.trim() !== '') {
    const c = raw.classes.trim();
    if (c.toLowerCase() === 'all') opts.classes = 'all';
    else {
      opts.classes = c
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    }
  }
  if (raw.instances !== undefined && raw.instances.trim() !== '' && raw.instances.trim().toLowerCase() !== 'all') {
    opts.instances = parseIndexList('instances', raw.instances);
  }
  opts.onlyMask = parseBool('only_mask', raw.only_mask);
  opts.crop = parseBool('crop', raw.crop);
  opts.softEdge = parseBool('soft_edge', raw.soft_edge);
  if (raw.bg_color !== undefined && raw.bg_color.trim() !== '') {
    try {
      opts.bgColor = parseColor(raw.bg_color);
    } catch (e) {
      throw bad('bg_color', (e as Error).message, "use '#rrggbb', '#rgb', 'r,g,b' (0-255) or white/black");
    }
  }
  if (raw.format !== undefined && raw.format !== '') {
    const f = raw.format.toLowerCase();
    if (f !== 'png' && f !== 'webp' && f !== 'json') throw bad('format', `expected png, webp or json, got '${raw.format}'`);
    opts.format = f;
  }
  return opts;
}

/**
 * Resolve class names to ids against the model's names. Unknown names/ids are a 400 listing a few valid
 * ones, because a silently empty result would look like "no characters found".
 */
export function resolveClassIds(classes: (number | string)[], names: readonly string[]): number[] {
  return classes.map((c) => {
    if (typeof c === 'number') {
      if (c < 0 || c >= names.length) throw bad('classes', `class id ${c} out of range 0..${names.length - 1}`);
      return c;
    }
    const i = names.indexOf(c);
    if (i < 0) throw bad('classes', `unknown class name '${c}'`, `this model's classes include: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}`);
    return i;
  });
}
