/**
 * Options of POST /v1/segment and /v1/jobs, from the query string and/or multipart fields (fields win). Every
 * value is checked here so a typo is a 400 that names the option, never a silently ignored setting. The
 * option table (src/pipeline/options.ts) drives the reading: each entry's text is read by its type with the
 * readers the CLI uses (util/option-spec.ts, one wording), then segmentOptionsOf turns the values into the
 * one SegmentOptions, as it does for `segment`'s flags. Only `select` and format=json are the server's own.
 */
import { AnimesegError, invalidParameterError, oneOf } from '../errors.js';
import { OUTPUT_FORMATS, SEGMENT_OPTIONS, type OptionSpec } from '../pipeline/options.js';
import { segmentOptionsOf, type SharedOptionValues } from '../pipeline/segment-options.js';
import type { SegmentOptions } from '../pipeline/settings.js';
import { parseChoiceText, parseNumberText } from '../util/option-spec.js';

export { resolveClassIds } from '../pipeline/options.js';

/** The server also answers with the instances JSON. */
export const SERVER_FORMATS = [...OUTPUT_FORMATS, 'json'] as const;
export type OutputFormat = (typeof SERVER_FORMATS)[number];

/** One request: the settings (the library's SegmentOptions) and what the server alone reads. */
export interface SegmentRequest {
  /** Every setting the request gives (absent = the model's recommendation or the table's default). */
  options: SegmentOptions;
  /** Indices (in result order) of the instances to put into the image output (`select=`); undefined = all. */
  select?: number[];
  /** format=json: the instances JSON instead of an image (options.outputs.format is then unset). */
  json: boolean;
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
 * One option's value from its text, by the table entry's type (the CLI's readers, one wording); undefined
 * when absent. An empty value is absent, except for a switch, where a bare `?crop` means true. `choices`
 * replaces an enum's (the refiners this server offers).
 */
export function readRequestValue(o: OptionSpec, text: string | undefined, choices?: { list: readonly string[]; expected: string; hint?: string }): unknown {
  if (o.type === 'boolean') return text === undefined ? undefined : parseBool(o.key, text);
  if (text === undefined || text.trim() === '') return undefined;
  switch (o.type) {
    case 'number':
    case 'integer':
      return parseNumberText(o.key, text, o.type, o.min, o.max);
    case 'enum':
      return parseChoiceText(o.key, text, choices?.list ?? o.choices, choices?.expected, choices?.hint);
    default:
      return text;
  }
}

/**
 * Parse raw string options. `refiners` is the list of refinement modes this server offers; an unknown key
 * or an unsupported value throws AnimesegError('BAD_OPTION').
 */
export function parseSegmentOptions(raw: Raw, refiners: readonly string[]): SegmentRequest {
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
  // What differs from the table: the refiners this server offers, formats in any case plus json.
  const text: Raw = { ...raw, ...(raw.format !== undefined && { format: raw.format.toLowerCase() }) };
  const choices: Record<string, Parameters<typeof readRequestValue>[2]> = {
    refine: { list: refiners, expected: `a refiner this server offers (${oneOf(refiners)})`, hint: 'GET /v1/refiners lists them' },
    format: { list: SERVER_FORMATS, expected: oneOf(SERVER_FORMATS) },
  };
  const values: Record<string, unknown> = {};
  for (const o of SERVER_OPTIONS) values[o.key] = readRequestValue(o, text[o.key], choices[o.key]);
  const json = values.format === 'json';
  if (json) delete values.format;
  const select = values.select as string | undefined;
  return {
    options: segmentOptionsOf(values as SharedOptionValues),
    ...(select !== undefined && select.trim().toLowerCase() !== 'all' && { select: parseIndexList('select', select) }),
    json,
  };
}
