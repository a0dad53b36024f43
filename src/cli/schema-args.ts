/**
 * The CLI face of the option table in src/pipeline/options.ts: parseArgs config, usage lines and typed values
 * of the shared options, through args.ts' readers (so range errors read like every other usage error).
 */
import { enumOption, intOption, numberOption } from './args.js';
import { defaultText, flagOf, type OptionSpec } from '../pipeline/options.js';

const USAGE_COLUMN = 25;
const USAGE_WIDTH = 120;

/** Help text as usage lines: kept as given when it has line breaks, else wrapped to the usage width. */
function wrap(text: string): string[] {
  if (text.includes('\n')) return text.split('\n');
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && USAGE_COLUMN + line.length + 1 + word.length > USAGE_WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

type Kebab<S extends string> = S extends `${infer A}_${infer B}` ? `${A}-${Kebab<B>}` : S;
/** The parseArgs config type of a const option table: precise per flag, so parsed values stay typed. */
export type CliConfigOf<T extends readonly OptionSpec[]> = {
  [O in T[number] as O extends { cli: false } ? never : Kebab<O['key']>]: { type: O extends { type: 'boolean' } ? 'boolean' : 'string' };
};

/** parseArgs config of these options, keyed by flag (max_det → 'max-det'). */
export function cliConfig<const T extends readonly OptionSpec[]>(specs: T): CliConfigOf<T> {
  const out: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const o of specs) if (o.cli !== false) out[flagOf(o.key)] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  return out as CliConfigOf<T>;
}

/**
 * One usage line: '  --conf X               confidence threshold (default 0.25)'. `help` replaces the table's
 * text where a command says more (continuation lines are indented to the help column).
 */
export function usageLine(o: OptionSpec, help = `${o.help}${defaultText(o)}`): string {
  const metavar = o.type === 'boolean' ? '' : ` ${o.metavar ?? (o.type === 'enum' ? o.choices.join('|') : 'X')}`;
  const head = `  --${flagOf(o.key)}${metavar}`;
  const lines = wrap(help);
  const first = head.length < USAGE_COLUMN ? head.padEnd(USAGE_COLUMN) + lines[0] : `${head} ${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => ' '.repeat(USAGE_COLUMN) + l)].join('\n');
}

/** The typed value of a number, integer or enum option from its flag's text (its default when absent). */
export function readNumber(o: OptionSpec, value: string | undefined): number {
  if (o.type === 'number') return numberOption(flagOf(o.key), value, o.default, o.min, o.max);
  if (o.type === 'integer') return intOption(flagOf(o.key), value, o.default, o.min, o.max);
  throw new Error(`${o.key} is not a number option`);
}

export function readEnum(o: OptionSpec, value: string | undefined): string | undefined {
  if (o.type !== 'enum') throw new Error(`${o.key} is not an enum option`);
  return o.default === undefined ? enumOption(flagOf(o.key), value, o.choices) : enumOption(flagOf(o.key), value, o.choices, o.default);
}
