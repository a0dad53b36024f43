/**
 * The shape of one option, as every front end declares it: name, type, default, range, help, once. The
 * CLI builds its parseArgs config, usage text and typed values from these (src/cli/schema-args.ts); the
 * server builds its request parsing and /openapi.json from the ones it shares (src/pipeline/options.ts).
 * Plain data and a few pure helpers, so any layer may declare options.
 */
import { invalidParameterError, oneOf } from '../errors.js';

interface Common {
  /**
   * The option's name: snake_case for options the server shares (the JSON and HTTP spelling), else as the
   * flag reads; the CLI flag is always the kebab-case of the key (max_det → --max-det).
   */
  key: string;
  help: string;
  /** Where the option exists: both front ends unless told (CLI-only tables set neither). */
  cli?: boolean;
  server?: boolean;
  /** Value placeholder in the CLI usage ('X', 'N', 'LIST|all'). */
  metavar?: string;
  /** One-letter CLI alias ('o' for --out). */
  short?: string;
  /** The CLI refuses to run without it (a usage error naming the flag and its metavar). */
  required?: boolean;
  /**
   * What the usage says about the default, instead of the generated ' (default X)': for a default computed
   * at run time ('CPU cores'), or '' when the help text already says it.
   */
  defaultHelp?: string;
  /**
   * The parser leaves the option undefined when absent (no table default applied): the settings resolver
   * (src/pipeline/settings.ts) fills it, after the model's recommendation, so it can tell "given" from
   * "defaulted". The table's `default` still documents the fallback in help and /openapi.json.
   */
  appliedBySettings?: boolean;
}

export type OptionSpec =
  | (Common & { type: 'number' | 'integer'; default?: number; min?: number; max?: number })
  | (Common & { type: 'boolean'; default?: boolean })
  | (Common & { type: 'enum'; choices: readonly string[]; default?: string })
  /** Free text, or text read by a dedicated parser (class lists, colours, index lists). */
  | (Common & { type: 'string'; default?: string; examples?: string[] })
  /** Free text that may be given several times (--cors a --cors b): every value, in order. */
  | (Common & { type: 'strings' })
  /** A comma-separated list with no empty items ('a,b'). */
  | (Common & { type: 'list'; example?: string })
  /** A number or a range 'A-B' of non-negative numbers (a single A means A-A). */
  | (Common & { type: 'range'; default: readonly [number, number] });

// Plain decimal syntax only: Number() would also take '' (as 0), '0x10', '1e3' for counts, 'Infinity'.
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function rangeText(min: number, max: number): string {
  if (max === Infinity) return min === -Infinity ? '' : ` >= ${min}`;
  if (min === -Infinity) return ` <= ${max}`;
  return ` in [${min}, ${max}]`;
}

/**
 * A number ('number': decimal, optional exponent) or a whole number ('integer': plain digits) in [min, max],
 * read from text; `name` is how the front end spells the option ('--conf' on the CLI, 'conf' on the server),
 * so both word a bad value alike: "NAME must be a number in [0, 1], got '1.5'".
 */
export function parseNumberText(name: string, text: string, type: 'number' | 'integer', min = -Infinity, max = Infinity): number {
  const t = text.trim();
  const n = type === 'integer' ? (INT.test(t) ? Number(t) : NaN) : FLOAT.test(t) ? Number(t) : NaN;
  const ok = type === 'integer' ? Number.isSafeInteger(n) : Number.isFinite(n);
  if (!ok || n < min || n > max) throw invalidParameterError(name, `${type === 'integer' ? 'a whole number' : 'a number'}${rangeText(min, max)}`, text);
  return n;
}

/** One of a fixed set of words, read from text (same wording on every front end). */
export function parseChoiceText<const C extends readonly string[]>(name: string, text: string, choices: C, expected = oneOf(choices), hint?: string): C[number] {
  if ((choices as readonly string[]).includes(text)) return text as C[number];
  throw invalidParameterError(name, expected, text, hint);
}

/** The CLI flag of a key: max_det → max-det. */
export const flagOf = (key: string): string => key.replace(/_/g, '-');

/** The default as help text states it: ' (default 0.25)', or '' when the option has none worth saying. */
export function defaultText(o: OptionSpec): string {
  if (o.defaultHelp !== undefined) return o.defaultHelp === '' ? '' : ` (default ${o.defaultHelp})`;
  switch (o.type) {
    case 'number':
    case 'integer':
    case 'enum':
      return o.default !== undefined ? ` (default ${o.default})` : '';
    case 'string':
      return o.default !== undefined && o.default !== '' ? ` (default ${o.default})` : '';
    case 'range':
      return ` (default ${o.default[0] === o.default[1] ? o.default[0] : o.default.join('-')})`;
    default:
      return '';
  }
}

/** JSON Schema (2020-12, as OpenAPI 3.1 takes it) of one option, for /openapi.json. */
export function jsonSchemaOf(o: OptionSpec, overrides: { choices?: readonly string[]; description?: string } = {}): Record<string, unknown> {
  const description = overrides.description ?? `${o.help[0].toUpperCase()}${o.help.slice(1)}${defaultText(o)}`;
  switch (o.type) {
    case 'number':
    case 'integer':
      return { type: o.type, ...(o.min !== undefined && { minimum: o.min }), ...(o.max !== undefined && { maximum: o.max }), ...(o.default !== undefined && { default: o.default }), description };
    case 'boolean':
      return { type: 'boolean', default: o.default ?? false, description };
    case 'enum':
      return { type: 'string', enum: [...(overrides.choices ?? o.choices)], ...(o.default !== undefined && { default: o.default }), description };
    case 'string':
      return { type: 'string', description, ...(o.default !== undefined && { default: o.default }), ...(o.examples && { examples: o.examples }) };
    case 'strings':
      return { type: 'array', items: { type: 'string' }, description };
    case 'list':
      return { type: 'string', description, ...(o.example && { examples: [o.example] }) };
    case 'range':
      return { type: 'string', default: o.default.join('-'), description };
  }
}
