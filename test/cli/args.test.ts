// The shared option readers (src/cli/args.ts) and the CLI's usage-error contract: every usage error, in any
// command, is one line of our own text and exit code 2 (the README's promise). Expected values are the
// options' documented ranges (README / --help), not outputs of the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { enumOption, intOption, listOption, numberOption, parseCommandArgs, suggestOption } from '../../src/cli/args.js';
import { AnimesegError } from '../../src/errors.js';

const BIN = resolve('bin/animeseg.js');
const IMAGE = resolve('../shared/data/illustrations/images/eren_1.jpg');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models'), ANIMESEG_OFFLINE: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const badOption = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && re.test(e.message));

test('numberOption: decimal numbers only, in range; empty, hex and Infinity refused', () => {
  assert.equal(numberOption('conf', '0.5', 0.25, 0, 1), 0.5);
  assert.equal(numberOption('conf', '1e-3', 0.25, 0, 1), 0.001);
  assert.equal(numberOption('conf', undefined, 0.25, 0, 1), 0.25);
  badOption(() => numberOption('conf', '', 0.25, 0, 1), /--conf must be a number in \[0, 1\], got ''/);
  badOption(() => numberOption('x', '0x10', 1, 0), /--x must be a number >= 0, got '0x10'/);
  badOption(() => numberOption('x', 'Infinity', 1, 0), /got 'Infinity'/);
  badOption(() => numberOption('conf', '1.5', 0.25, 0, 1), /in \[0, 1\]/);
});

test('intOption: whole numbers only (1.5, 0x10, 1e3, empty refused)', () => {
  assert.equal(intOption('max-det', '12', 300, 1), 12);
  for (const bad of ['1.5', '0x10', '1e3', '', ' ', 'ten']) badOption(() => intOption('max-det', bad, 300, 1), /--max-det must be a whole number >= 1/);
  badOption(() => intOption('concurrency', '0', 4, 1, 64), /in \[1, 64\], got '0'/);
});

test('enumOption and listOption', () => {
  assert.equal(enumOption('format', undefined, ['png', 'webp'], 'png'), 'png');
  assert.equal(enumOption('format', 'webp', ['png', 'webp'], 'png'), 'webp');
  badOption(() => enumOption('refine', 'sam', ['none', 'regions', 'vote', 'box'], 'none'), /--refine must be none, regions, vote or box, got 'sam'/);
  assert.deepEqual(listOption('classes', '0, 1'), ['0', '1']);
  badOption(() => listOption('classes', '0,,1'), /comma-separated/);
  badOption(() => listOption('classes', ''), /comma-separated/);
});

test('parseArgs errors become our own messages (no "To specify a positional argument" text)', () => {
  const opts = { overlay: { type: 'boolean' }, out: { type: 'string', short: 'o' } } as const;
  assert.throws(() => parseCommandArgs('segment', ['--ovrlay'], opts), (e: AnimesegError) => e.code === 'BAD_OPTION' && e.message === "unknown option '--ovrlay'" && /did you mean --overlay\?/.test(e.hint ?? ''));
  assert.throws(() => parseCommandArgs('segment', ['-o'], opts), (e: AnimesegError) => e.message === '--out needs a value');
  assert.throws(() => parseCommandArgs('segment', ['--overlay=yes'], opts), (e: AnimesegError) => e.message === '--overlay is a switch and takes no value');
  assert.throws(() => parseCommandArgs('eval', ['x.yaml'], opts, false), (e: AnimesegError) => e.message === "unexpected argument 'x.yaml'");
  assert.equal(suggestOption('--zzzzzz', opts), undefined);
});

test('usage errors exit 2 with one clear line, in segment and other commands', () => {
  const cases: [string[], RegExp][] = [
    [['segment', IMAGE, '-o', '/tmp/never', '--conf='], /--conf must be a number in \[0, 1\], got ''/],
    [['segment', IMAGE, '-o', '/tmp/never', '--max-det', '1.5'], /--max-det must be a whole number/],
    [['segment', IMAGE, '-o', '/tmp/never', '--concurrency', '2.5'], /--concurrency must be a whole number/],
    [['segment', IMAGE, '-o', '/tmp/never', '--max-pixels', '0x10'], /--max-pixels must be a whole number/],
    [['segment', IMAGE, '-o', '/tmp/never', '--bogus'], /unknown option '--bogus'/],
    [['segment', '/no/such/picture.jpg', '-o', '/tmp/never'], /no such file or folder: \/no\/such\/picture\.jpg/],
    [['eval', '--data', 'd.yaml', '--model', 'm', '--worst', '2.5'], /--worst must be a whole number/],
    [['dataset', 'preview', 'd.yaml', '--out', 's.png', '--count', '0x10'], /--count must be a whole number/],
    [['serve', '--port', '80.5'], /--port must be a whole number/],
    [['dataset', 'check', '/no/such/data.yaml'], /no such file or folder: \/no\/such\/data\.yaml/],
    [['dataset', 'frobnicate'], /unknown dataset sub-command 'frobnicate'/],
    [['coco2yolo', '--annotations', 'a.json', '--out', 'o', '--frobnicate'], /unknown option '--frobnicate'/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /To specify a positional argument|at .*\.ts:\d+|ERR_PARSE_ARGS/, args.join(' '));
  }
});

test('--classes naming no class of the model exits 2 (names and ids)', () => {
  for (const c of ['human', '999', 'dragon']) {
    const r = cli(['segment', IMAGE, '-o', '/tmp/animeseg-never-written', '--classes', c, '--progress', 'silent']);
    assert.equal(r.code, 2, `${c}: ${r.stderr}`);
    assert.match(r.stderr, /this model has no class/);
  }
});

test('--version and -V print the package version', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = cli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  }
});
