/**
 * Commands from option tables. A command declares each option once (src/util/option-spec.ts: key, type,
 * default, range, help) and `defineCommand` derives from that one list
 *   - the parseArgs config (flags, short aliases, switches),
 *   - the usage text (the command's own head and foot around generated option lines),
 *   - the typed values: defaults applied, ranges and choices checked, required options present,
 * with every problem a BAD_OPTION usage error (src/cli/main.ts prints it and exits 2).
 * The shared detection/output table (src/pipeline/options.ts) goes through the same functions, so
 * `segment`, `queue add` and the server read one definition.
 */
import { enumOption, intOption, listOption, numberOption, parseCommandArgs, rangeOption, usageError } from './args.js';
import { defaultText, flagOf, type OptionSpec } from '../util/option-spec.js';

export const USAGE_COLUMN = 25;
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
type CliOnly<T extends readonly OptionSpec[]> = Exclude<T[number], { cli: false }>;

/** The parseArgs config type of a const option table: precise per flag, so parsed values stay typed. */
export type CliConfigOf<T extends readonly OptionSpec[]> = {
  [O in CliOnly<T> as Kebab<O['key']>]: { type: O extends { type: 'boolean' } ? 'boolean' : 'string'; multiple: O extends { type: 'strings' } ? true : false };
};

/** parseArgs config of these options, keyed by flag (max_det → 'max-det'). */
export function cliConfig<const T extends readonly OptionSpec[]>(specs: T): CliConfigOf<T> {
  const out: Record<string, { type: 'string' | 'boolean'; multiple: boolean; short?: string }> = {};
  for (const o of specs) {
    if (o.cli === false) continue;
    out[flagOf(o.key)] = { type: o.type === 'boolean' ? 'boolean' : 'string', multiple: o.type === 'strings', ...(o.short && { short: o.short }) };
  }
  return out as unknown as CliConfigOf<T>;
}

/** '--conf X', '-o, --out DIR': the flag part of a usage line. */
function flagText(o: OptionSpec): string {
  const metavar = o.type === 'boolean' ? '' : ` ${o.metavar ?? (o.type === 'enum' ? o.choices.join('|') : o.type === 'range' ? 'A-B' : 'X')}`;
  return `${o.short ? `-${o.short}, ` : ''}--${flagOf(o.key)}${metavar}`;
}

/**
 * One usage line: '  --conf X               confidence threshold (default 0.25)'. `help` replaces the table's
 * text where a command says more (continuation lines are indented to the help column).
 */
export function usageLine(o: OptionSpec, help = `${o.help}${defaultText(o)}`): string {
  const head = `  ${flagText(o)}`;
  const lines = wrap(help);
  const first = head.length < USAGE_COLUMN ? head.padEnd(USAGE_COLUMN) + lines[0] : `${head} ${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => ' '.repeat(USAGE_COLUMN) + l)].join('\n');
}

/** The value of a number or integer option with a default, from its flag's text (the default when absent). */
export function readNumber(o: OptionSpec, value: string | undefined): number {
  const v = readValue(o, value);
  if (typeof v !== 'number') throw new Error(`${o.key} is not a number option with a default`);
  return v;
}

/** The value of one option from what parseArgs gave (a string, a switch, or the strings of a repeated flag). */
export function readValue(o: OptionSpec, raw: string | boolean | string[] | undefined): unknown {
  const flag = flagOf(o.key);
  if (raw === undefined && o.required) throw usageError(`--${flag} is required`, `--${flag}${o.metavar ? ` ${o.metavar}` : ''}: ${o.help}`);
  if (raw === undefined && o.appliedBySettings) return undefined;
  switch (o.type) {
    case 'boolean':
      return (raw as boolean | undefined) ?? o.default ?? false;
    case 'number':
    case 'integer': {
      const text = raw as string | undefined;
      if (text === undefined) return o.default;
      const read = o.type === 'number' ? numberOption : intOption;
      return read(flag, text, 0, o.min, o.max);
    }
    case 'enum':
      return raw === undefined ? o.default : enumOption(flag, raw as string, o.choices);
    case 'string':
      if (raw === '' && o.required) throw usageError(`--${flag} needs a value`, o.help);
      return (raw as string | undefined) ?? o.default;
    case 'strings':
      return (raw as string[] | undefined) ?? [];
    case 'list':
      return listOption(flag, raw as string | undefined, o.example);
    case 'range':
      return rangeOption(flag, raw as string | undefined, [o.default[0], o.default[1]]);
  }
}

/** The TypeScript type of one option's value, as readValue returns it. */
type HasValue<O> = O extends { required: true } ? true : O extends { appliedBySettings: true } ? false : O extends { default: unknown } ? true : false;
export type ValueOf<O extends OptionSpec> = O extends { type: 'boolean' }
  ? O extends { appliedBySettings: true } ? boolean | undefined : boolean
  : O extends { type: 'number' | 'integer' }
    ? HasValue<O> extends true ? number : number | undefined
    : O extends { type: 'enum'; choices: readonly (infer C)[] }
      ? HasValue<O> extends true ? C : C | undefined
      : O extends { type: 'string' }
        ? HasValue<O> extends true ? string : string | undefined
        : O extends { type: 'strings' }
          ? string[]
          : O extends { type: 'list' }
            ? string[] | undefined
            : O extends { type: 'range' }
              ? [number, number]
              : never;

/** The values of a table, keyed by flag ('max-det'): typed from the table itself. */
export type ValuesOf<T extends readonly OptionSpec[]> = { [O in CliOnly<T> as Kebab<O['key']>]: ValueOf<O> };

export interface CommandSpec<T extends readonly OptionSpec[]> {
  /** The name in messages: 'synth', 'dataset merge'. */
  name: string;
  /** Usage lines and description, printed above "Options:". */
  head: string;
  options: T;
  /** Text after the option lines (exit codes, notes). */
  foot?: string;
  /** Section titles: an option whose key is listed here is preceded by that line ('add:'). */
  sections?: Record<string, string>;
  /** Whether the command takes positional arguments (default false: any is a usage error). */
  positionals?: boolean;
}

export interface Command<T extends readonly OptionSpec[]> {
  readonly name: string;
  readonly options: T;
  /** The --help text. */
  readonly usage: string;
  /** Parse argv: typed values of every option, and the positional arguments. */
  parse(argv: string[]): { values: ValuesOf<T>; positionals: string[] };
}

/** The option lines of a usage text, in table order, with section titles where given. */
export function optionLines(options: readonly OptionSpec[], sections: Record<string, string> = {}): string {
  const lines: string[] = [];
  for (const o of options) {
    if (o.cli === false) continue;
    if (sections[o.key] !== undefined) lines.push(sections[o.key]);
    lines.push(usageLine(o));
  }
  return lines.join('\n');
}

export function defineCommand<const T extends readonly OptionSpec[]>(spec: CommandSpec<T>): Command<T> {
  const keys = new Set<string>();
  for (const o of spec.options) {
    // A table mistake is a bug of ours, found the first time the command loads (every CLI test loads it).
    if (keys.has(flagOf(o.key))) throw new Error(`${spec.name}: option --${flagOf(o.key)} is declared twice`);
    keys.add(flagOf(o.key));
  }
  const config = cliConfig(spec.options);
  const usage = `${spec.head}\n\nOptions:\n${optionLines(spec.options, spec.sections)}${spec.foot ? `\n${spec.foot}` : ''}`;
  return {
    name: spec.name,
    options: spec.options,
    usage,
    parse(argv) {
      const parsed = parseCommandArgs(spec.name, argv, config as Record<string, { type: 'string' | 'boolean'; multiple: boolean }>, spec.positionals ?? false);
      const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
      const values: Record<string, unknown> = {};
      for (const o of spec.options) if (o.cli !== false) values[flagOf(o.key)] = readValue(o, raw[flagOf(o.key)]);
      return { values: values as ValuesOf<T>, positionals: parsed.positionals };
    },
  };
}
