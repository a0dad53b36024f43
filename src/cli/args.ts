import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AnimesegError } from '../errors.js';

/**
 * node:util parseArgs with errors turned into AnimesegError('BAD_OPTION') that name the command,
 * so a typo prints one line and the usage instead of a stack trace.
 */
type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What parseCommandArgs returns: node's typed parse result for these options. */
export type ParsedCommandArgs<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
>;

export function parseCommandArgs<T extends OptionsConfig>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = true,
): ParsedCommandArgs<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new AnimesegError('BAD_OPTION', `${command}: ${(e as Error).message}`, {
      hint: `run 'animeseg ${command} --help' for the options`,
    });
  }
}

/** Parse a number option with a range check and a clear message. */
export function numberOption(name: string, value: string | undefined, def: number, min = -Infinity, max = Infinity): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new AnimesegError('BAD_OPTION', `--${name} must be a number in [${min}, ${max}], got '${value}'`);
  }
  return n;
}
