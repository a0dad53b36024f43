/**
 * segment, queue add|status|retry-failed|drain and worker are declared as option tables: every option of
 * each table is in the --help text, and the table's range and required flags give its messages. Expected
 * values are read from the tables themselves (ranges, defaults, keys), and for detection from
 * DETECT_DEFAULTS (Ultralytics predict's conf 0.25, iou 0.7, max_det 300), never retyped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { DETECT_DEFAULTS, flagOf, SEGMENT_OPTIONS, type OptionSpec } from '../../src/pipeline/options.js';
import { command as segment, RUN_ONLY, SEGMENT_OUTPUT_OPTIONS, SEGMENT_TABLE, segmentSettings, run as runSegment } from '../../src/cli/commands/segment.js';
import { commands, run as runQueue, usage as queueUsage } from '../../src/cli/commands/queue.js';
import { command as worker } from '../../src/cli/commands/worker.js';
import { resolveDetectSettings } from '../../src/pipeline/settings.js';

const table = (t: readonly OptionSpec[]): readonly OptionSpec[] => t;
const bad = (message: string) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && e.message === message;
const spec = (table: readonly OptionSpec[], key: string): OptionSpec => table.find((o) => o.key === key)!;
/** Where `--flag` starts a usage line, or -1. */
const lineOf = (usage: string, o: OptionSpec): number => usage.split('\n').findIndex((l) => new RegExp(`^  (-\\w, )?--${flagOf(o.key)}( |$)`).test(l));

/** parse() of an integer option just past its table maximum must give the reader's message with the table's range. */
function pastMax(parse: (argv: string[]) => unknown, o: OptionSpec, before: string[] = []): void {
  if (o.type !== 'integer' || o.min === undefined || o.max === undefined) throw new Error(`${o.key}: not a bounded integer`);
  const [flag, min, max] = [flagOf(o.key), o.min, o.max];
  assert.throws(() => parse([...before, `--${flag}`, String(max + 1)]), bad(`--${flag} must be a whole number in [${min}, ${max}], got '${max + 1}'`));
}

test('segment: every option of its table is in --help, in table order, the shared ones included', () => {
  const lines = segment.options.map((o) => lineOf(segment.usage, o));
  assert.equal(lines.filter((i) => i < 0).length, 0, `missing: ${segment.options.filter((o, k) => lines[k] < 0).map((o) => o.key)}`);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b), 'usage lines follow the table');
  for (const o of table(SEGMENT_OPTIONS).filter((s) => s.cli !== false)) assert.ok(segment.options.some((t) => t.key === o.key), o.key);
  // --refine keeps its longer help, one line per refiner, indented under the help column.
  const refine = spec(SEGMENT_OPTIONS, 'refine');
  assert.equal(refine.type, 'enum');
  for (const name of refine.type === 'enum' ? refine.choices.filter((c) => c !== 'none') : []) assert.match(segment.usage, new RegExp(`^ {27}${name} `, 'm'), name);
});

test('segment: the table\'s range and the "-o needed" rule give their messages', async () => {
  pastMax((argv) => segment.parse(argv), spec(SEGMENT_TABLE, 'concurrency'));
  pastMax((argv) => segment.parse(argv), spec(SEGMENT_TABLE, 'max_det'));
  // No option of segment is required by itself: -o is needed unless the input is - (a rule after parse).
  assert.deepEqual(table(segment.options).filter((o) => o.required), []);
  await assert.rejects(runSegment(['picture.png']), bad('missing -o OUT (the output folder)'));
});

test('segmentSettings reads the typed values: table defaults when nothing is given', () => {
  const { values } = segment.parse(['-o', 'out', 'a.png']);
  const { options: s, maxPixels } = segmentSettings(values);
  // Detection options stay unset until the settings resolver, so a model's recommendation can fill them;
  // for a model that recommends nothing the resolver gives the table's defaults.
  assert.deepEqual([s.conf, s.iou, s.maxDet, s.agnostic], [undefined, undefined, undefined, undefined]);
  const r = resolveDetectSettings(s, { defaultClasses: null });
  assert.deepEqual([r.conf, r.iou, r.maxDet, r.agnostic], [DETECT_DEFAULTS.conf, DETECT_DEFAULTS.iou, DETECT_DEFAULTS.maxDet, DETECT_DEFAULTS.agnostic]);
  const num = (key: string): unknown => (spec(SEGMENT_TABLE, key) as { default?: unknown }).default;
  assert.deepEqual([maxPixels, s.filter?.minArea, s.filter?.maxCovered, s.outputs?.format, s.recall?.tta], [num('max_pixels'), num('min_area'), num('max_covered'), num('format'), num('tta')]);
  assert.equal(values.concurrency, num('concurrency'));
  // Absent options the library decides stay undefined: the refiner, the box prior, SAM's point count.
  assert.deepEqual([s.refine, s.boxPrior, values['box-points'], values.threads], [undefined, undefined, undefined, undefined]);
  // Given values arrive typed.
  const given = segmentSettings(segment.parse(['-o', 'o', 'a.png', '--conf', '0.5', '--max-det', '7', '--refine', 'box', '--box-points', '5', '--crops', '512', '--crop-margin', '0.1']).values).options;
  assert.deepEqual([given.conf, given.maxDet, given.refine, (given.refineOptions?.box as { points: number }).points, given.outputs?.crops?.margin], [0.5, 7, 'box', 5, 0.1]);
});

test('queue: every option of the four tables is in --help; add takes exactly segment\'s output options', () => {
  for (const [name, cmd] of Object.entries(commands)) for (const o of cmd.options) assert.ok(lineOf(queueUsage, o) >= 0, `${name}: --${flagOf(o.key)}`);
  const addKeys: string[] = commands.add.options.map((o) => o.key);
  for (const o of SEGMENT_OUTPUT_OPTIONS) assert.ok(addKeys.includes(o.key), o.key);
  for (const k of RUN_ONLY.filter((r) => r !== 'progress')) assert.equal(addKeys.includes(k), false, `${k} is not queue add's`);
  // Everything else of segment's table (but where it writes, which add declares itself) is an output option.
  assert.deepEqual(
    SEGMENT_TABLE.filter((o) => o.key !== 'out' && !(RUN_ONLY as readonly string[]).includes(o.key)).map((o) => o.key),
    SEGMENT_OUTPUT_OPTIONS.map((o) => o.key),
  );
});

test('queue add and segment read the same flags into the same settings', () => {
  const flags = ['--conf', '0.4', '--refine', 'vote', '--sam-preset', 'sam', '--crops', 'square', '--crop-bg', '#fff', '--min-area', '0.01', '--tta', 'flip', '--instances'];
  const viaSegment = segmentSettings(segment.parse(['-o', 'out', 'a.png', ...flags]).values);
  const viaQueue = segmentSettings(commands.add.parse(['--queue', 'redis://h:1', '-o', 'out', 'a.png', ...flags]).values);
  assert.deepEqual(viaQueue, viaSegment);
});

test('queue: the required -o, a range and the worker settings give their messages', async () => {
  const out = spec(commands.add.options, 'out');
  assert.equal(out.required, true);
  assert.throws(() => commands.add.parse(['a.png']), bad(`--${flagOf(out.key)} is required`));
  pastMax((argv) => commands.status.parse(argv), spec(commands.status.options, 'failed'));
  assert.throws(() => commands.drain.parse(['--failed', '1']), bad("unknown option '--failed'"));
  // Refused by name before any connection; run() prints the message with the usage and returns 2.
  const printed: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void printed.push(a.join(' '));
  try {
    for (const o of worker.options.filter((w) => (RUN_ONLY as readonly string[]).includes(w.key))) {
      printed.length = 0;
      assert.equal(await runQueue(['add', 'a.png', '-o', 'out', '--queue', 'redis://127.0.0.1:1', `--${flagOf(o.key)}`, '1']), 2);
      assert.match(printed.join('\n'), new RegExp(`--${flagOf(o.key)} is a worker setting`));
    }
  } finally {
    console.error = error;
  }
});

test('worker: every option in --help; ranges from the table; stalled-ms follows lock-ms when absent', () => {
  for (const o of worker.options) assert.ok(lineOf(worker.usage, o) >= 0, o.key);
  pastMax((argv) => worker.parse(argv), spec(worker.options, 'lock-ms'));
  pastMax((argv) => worker.parse(argv), spec(worker.options, 'concurrency'));
  const { values } = worker.parse([]);
  assert.equal(values['lock-ms'], (spec(worker.options, 'lock-ms') as { default: number }).default);
  assert.equal(values['stalled-ms'], undefined);
  assert.deepEqual(table(worker.options).filter((o) => o.required), [], '--queue is checked by queueTarget (shared with serve)');
});
