/**
 * defineCommand: one option table gives the parser, the usage text and typed, checked values. Expected
 * values are the table's own defaults and the ranges written in it; messages are those of src/cli/args.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { defineCommand } from '../../src/cli/schema-args.js';
import { command as synth } from '../../src/cli/commands/synth.js';

const bad = (re: RegExp) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && re.test(e.message);

const cmd = defineCommand({
  name: 'demo',
  head: 'Usage: demo [options]',
  positionals: true,
  options: [
    { key: 'out', short: 'o', type: 'string', required: true, metavar: 'DIR', help: 'output folder' },
    { key: 'conf', type: 'number', default: 0.25, min: 0, max: 1, metavar: 'X', help: 'confidence' },
    { key: 'limit', type: 'integer', min: 1, metavar: 'N', help: 'most images' },
    { key: 'mode', type: 'enum', choices: ['a', 'b'], default: 'a', help: 'mode' },
    { key: 'scale', type: 'range', default: [0.5, 1.5], help: 'scale range' },
    { key: 'names', type: 'list', example: 'x,y', help: 'names' },
    { key: 'cors', type: 'strings', metavar: 'ORIGIN', help: 'origins (repeat)' },
    { key: 'dry_run', type: 'boolean', help: 'do nothing' },
  ],
  foot: 'Exit: 0 ok.',
});

test('values come typed with the table defaults', () => {
  const { values, positionals } = cmd.parse(['-o', 'x', 'in.png']);
  assert.deepEqual(values, { out: 'x', conf: 0.25, limit: undefined, mode: 'a', scale: [0.5, 1.5], names: undefined, cors: [], 'dry-run': false });
  assert.deepEqual(positionals, ['in.png']);
  const v = cmd.parse(['--out=y', '--conf', '1', '--limit', '3', '--mode', 'b', '--scale', '2', '--names', 'p,q', '--cors', 'a', '--cors', 'b', '--dry-run']).values;
  assert.deepEqual(v, { out: 'y', conf: 1, limit: 3, mode: 'b', scale: [2, 2], names: ['p', 'q'], cors: ['a', 'b'], 'dry-run': true });
});

test('ranges, choices, lists and required options are checked', () => {
  assert.throws(() => cmd.parse([]), bad(/^--out is required$/));
  assert.throws(() => cmd.parse(['-o', 'x', '--conf', '1.5']), bad(/^--conf must be a number in \[0, 1\], got '1.5'$/));
  assert.throws(() => cmd.parse(['-o', 'x', '--limit', '0']), bad(/^--limit must be a whole number >= 1, got '0'$/));
  assert.throws(() => cmd.parse(['-o', 'x', '--mode', 'c']), bad(/^--mode must be a or b, got 'c'$/));
  assert.throws(() => cmd.parse(['-o', 'x', '--scale', '2-1']), bad(/--scale must be a number or a range/));
  assert.throws(() => cmd.parse(['-o', 'x', '--names', 'p,,q']), bad(/--names must be a comma-separated list like x,y/));
  assert.throws(() => cmd.parse(['-o', 'x', '--dry-run=1']), bad(/--dry-run is a switch/));
  assert.throws(() => cmd.parse(['-o', 'x', '--conff', '1']), (e: unknown) => e instanceof AnimesegError && /did you mean --conf/.test(e.hint ?? ''));
});

test('the usage text lists every option once, with its default, from the same table', () => {
  const lines = cmd.usage.split('\n');
  assert.equal(lines[0], 'Usage: demo [options]');
  assert.ok(lines.includes('Options:'));
  assert.equal(lines.at(-1), 'Exit: 0 ok.');
  assert.ok(lines.includes(`${'  -o, --out DIR'.padEnd(25)}output folder`));
  assert.ok(lines.includes(`${'  --conf X'.padEnd(25)}confidence (default 0.25)`));
  assert.ok(lines.includes(`${'  --scale A-B'.padEnd(25)}scale range (default 0.5-1.5)`));
  assert.ok(lines.includes(`${'  --dry-run'.padEnd(25)}do nothing`));
  for (const o of cmd.options) assert.equal(lines.filter((l) => l.includes(`--${o.key.replace(/_/g, '-')} `) || l.endsWith(`--${o.key.replace(/_/g, '-')}`) || l.includes(`--${o.key.replace(/_/g, '-')}  `)).length, 1, o.key);
});

test('a table that declares a flag twice is refused when the command loads', () => {
  assert.throws(
    () => defineCommand({ name: 'x', head: '', options: [{ key: 'a_b', type: 'boolean', help: '' }, { key: 'a-b', type: 'boolean', help: '' }] }),
    /--a-b is declared twice/,
  );
});

test('a real command: synth parses its own usage text flags', () => {
  for (const o of synth.options) assert.match(synth.usage, new RegExp(`--${o.key}\\b`), o.key);
  assert.throws(() => synth.parse(['--fg', 'a', '--bg', 'b', '-o', 'c', '-n', '0']), bad(/--count must be a whole number >= 1/));
  assert.equal(synth.parse(['--fg', 'a', '--bg', 'b', '-o', 'c', '-n', '4']).values.count, 4);
});
