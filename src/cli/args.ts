/**
 * Command-line parsing shared by every sub-command: node:util parseArgs with its errors rewritten as our own
 * one-line messages, and typed readers for option values (integer, number in a range, one of a set, a list,
 * existing paths). Every problem is an AnimesegError('BAD_OPTION'); src/cli/main.ts turns those into one
 * clear message, the command's help pointer and exit code 2, so no command handles usage errors itself.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { stat } from 'node:fs/promises';
import { AnimesegError, invalidParameterError } from '../errors.js';
import { parseChoiceText, parseNumberText, type OptionSpec } from '../util/option-spec.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What parseCommandArgs returns: node's typed parse result for these options. */
type ParsedCommandArgs<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

/** A usage problem that is not one parameter's value (a missing or conflicting option); values: invalidParameterError. */
export function usageError(message: string, hint?: string): AnimesegError {
  return new AnimesegError('BAD_OPTION', message, hint ? { hint } : {});
}

/** Levenshtein distance, for "did you mean" on unknown options (names are short: the quadratic table is fine). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The closest known option to a mistyped one, when it is close enough to be a typo. */
export function suggestOption(given: string, options: OptionsConfig): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of Object.keys(options)) {
    const d = editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? `--${best}` : undefined;
}

/**
 * Our message for a parseArgs error (its own text suggests '--' tricks and quotes usage fragments).
 * Node's codes: ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE (missing/ambiguous/extra value),
 * ..._UNEXPECTED_POSITIONAL.
 */
function rewriteParseError(command: string, e: Error & { code?: string }, options: OptionsConfig): AnimesegError {
  const quoted = /'(-[^' ,]+)/.exec(e.message)?.[1] ?? '';
  const help = `run 'animeseg ${command} --help' for the options`;
  const long = (flag: string): string => {
    const short = /^-([^-])$/.exec(flag)?.[1];
    const k = short ? Object.keys(options).find((n) => options[n].short === short) : flag.replace(/^--/, '');
    return k ? `--${k}` : flag;
  };
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const s = suggestOption(quoted, options);
      return usageError(`unknown option '${quoted}'`, s ? `did you mean ${s}? (${help})` : help);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = long(quoted);
      const isBool = options[flag.replace(/^--/, '')]?.type === 'boolean';
      if (isBool) return usageError(`${flag} is a switch and takes no value`, help);
      if (/ambiguous/.test(e.message)) return usageError(`${flag} needs a value, got the option '${/argument '([^']+)'/.exec(e.message)?.[1] ?? '?'}' instead`, `write ${flag}=VALUE if the value starts with '-'`);
      return usageError(`${flag} needs a value`, help);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']+)'/.exec(e.message)?.[1] ?? '';
      return usageError(`unexpected argument '${arg}'`, `${command} takes no positional arguments; ${help}`);
    }
    default:
      return usageError(e.message, help);
  }
}

export function parseCommandArgs<T extends OptionsConfig>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = true,
): ParsedCommandArgs<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw rewriteParseError(command, e as Error & { code?: string }, options);
  }
}

/** A number option (decimal, optional exponent) in [min, max]; `def` when absent (the shared reader, option-spec.ts). */
export function numberOption(name: string, value: string | undefined, def: number, min = -Infinity, max = Infinity): number {
  return value === undefined ? def : parseNumberText(`--${name}`, value, 'number', min, max);
}

/** An integer option (plain decimal digits) in [min, max]; `def` when absent. */
export function intOption(name: string, value: string | undefined, def: number, min = -Infinity, max = Infinity): number {
  return value === undefined ? def : parseNumberText(`--${name}`, value, 'integer', min, max);
}

/** One of a fixed set of words; `def` when absent. */
export function enumOption<const C extends readonly string[]>(name: string, value: string | undefined, choices: C, def: C[number]): C[number];
export function enumOption<const C extends readonly string[]>(name: string, value: string | undefined, choices: C): C[number] | undefined;
export function enumOption<const C extends readonly string[]>(name: string, value: string | undefined, choices: C, def?: C[number]): C[number] | undefined {
  return value === undefined ? def : parseChoiceText(`--${name}`, value, choices);
}

/** The progress modes every long-running command accepts. */
export const PROGRESS_MODES = ['auto', 'bar', 'plain', 'silent'] as const;
/** --progress MODE, as every long-running command declares it. */
export const PROGRESS_OPTION = {
  key: 'progress',
  type: 'enum',
  choices: PROGRESS_MODES,
  default: 'auto',
  metavar: 'MODE',
  help: PROGRESS_MODES.join(' | '),
} as const satisfies OptionSpec;

/** A comma-separated list with no empty items ('a,,b' and '' are mistakes); undefined when absent. */
export function listOption(name: string, value: string | undefined, example = 'a,b'): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw invalidParameterError(`--${name}`, `a comma-separated list like ${example}`, value);
  return parts;
}

/** A number or a range 'A-B' of non-negative numbers (a single 'A' means A-A); `def` when absent. */
export function rangeOption(name: string, value: string | undefined, def: [number, number]): [number, number] {
  if (value === undefined) return def;
  const m = /^\s*([0-9.]+)\s*(?:-\s*([0-9.]+)\s*)?$/.exec(value);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2] ?? m[1]) : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b) || a > b) {
    throw invalidParameterError(`--${name}`, 'a number or a range like 0.5-1.5', value);
  }
  return [a, b];
}

const hasGlob = (s: string): boolean => /[*?[\]{}]/.test(s);

/**
 * Input paths named on the command line must exist: a typo is a usage error (exit 2), found before any model
 * loads. Glob patterns are left to the input walker, which reports patterns that match nothing.
 */
export async function requireExistingPaths(paths: readonly string[], hint = 'check the path'): Promise<void> {
  for (const p of paths) {
    if (p === '-' || hasGlob(p)) continue;
    try {
      await stat(p);
    } catch {
      throw usageError(`no such file or folder: ${p}`, hint);
    }
  }
}
