/**
 * eval, train, export, coco2yolo and fg2mask declare their options in one table each (defineCommand). For each:
 * every option of the table is a line of `animeseg CMD --help`; a value past the table's range and a missing
 * required option are usage errors (exit 2) whose message names the flag and the table's limits. Expected
 * values are read from the tables themselves (flag, min, max, required), not retyped here; the message
 * wording is the contract of src/cli/args.ts (test/cli/args.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { flagOf, type OptionSpec } from '../../src/util/option-spec.js';
import type { Command } from '../../src/cli/schema-args.js';
import { AnimesegError } from '../../src/errors.js';
import * as evalCmd from '../../src/cli/commands/eval.js';
import * as trainCmd from '../../src/cli/commands/train.js';
import * as exportCmd from '../../src/cli/commands/export.js';
import * as cocoCmd from '../../src/cli/commands/coco2yolo.js';
import * as fg2maskCmd from '../../src/cli/commands/fg2mask.js';

const BIN = resolve('bin/animeseg.js');
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ANIMESEG_OFFLINE: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const usageError = (message: string) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && e.message === message;

interface Mod {
  command: Command<readonly OptionSpec[]>;
  usage: string;
  run(argv: string[]): Promise<number>;
}
const MODULES: [string, Mod][] = [
  ['eval', evalCmd],
  ['train', trainCmd],
  ['export', exportCmd],
  ['coco2yolo', cocoCmd],
  ['fg2mask', fg2maskCmd],
];

/** A valid value for an option (its default, else its minimum, else any text), so argv passes the other checks. */
function validValue(o: OptionSpec): string {
  if ((o.type === 'integer' || o.type === 'number') && o.min !== undefined) return String(o.min);
  if (o.type === 'enum') return o.choices[0];
  return 'x';
}
/** argv giving every required option of the table, in flag form. */
const requiredArgv = (options: readonly OptionSpec[], except?: OptionSpec): string[] =>
  options.filter((o) => o.required && o !== except).flatMap((o) => [`--${flagOf(o.key)}`, validValue(o)]);

/**
 * The first option with an upper bound, given one past it; for a table without one, the first enum,
 * given a word outside its choices. The expected message takes the limits from the table.
 */
function outOfRange(options: readonly OptionSpec[]): { flag: string; given: string; message: string } {
  for (const o of options) {
    if ((o.type === 'integer' || o.type === 'number') && o.min !== undefined && o.max !== undefined) {
      const given = String(o.max + 1);
      return { flag: flagOf(o.key), given, message: `--${flagOf(o.key)} must be a ${o.type === 'integer' ? 'whole number' : 'number'} in [${o.min}, ${o.max}], got '${given}'` };
    }
  }
  const e = options.find((o): o is Extract<OptionSpec, { type: 'enum' }> => o.type === 'enum' && o.key !== 'progress');
  assert.ok(e, 'the table has a ranged option or an enum');
  const given = `not-${e.choices.join('-')}`;
  const list = e.choices.length <= 2 ? e.choices.join(' or ') : `${e.choices.slice(0, -1).join(', ')} or ${e.choices.at(-1)}`;
  return { flag: flagOf(e.key), given, message: `--${flagOf(e.key)} must be ${list}, got '${given}'` };
}

for (const [name, mod] of MODULES) {
  test(`${name}: every option of the table is a line of --help, which is the table's usage`, () => {
    const r = cli([name, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${mod.usage}\n`);
    assert.equal(mod.usage, mod.command.usage);
    for (const o of mod.command.options) {
      const head = `  ${o.short ? `-${o.short}, ` : ''}--${flagOf(o.key)}`;
      assert.match(r.stdout, new RegExp(`^${escape(head)}( |$)`, 'm'), `--${flagOf(o.key)} in ${name} --help`);
    }
  });

  test(`${name}: a value outside the table's range (or choices) is the table's usage error`, async () => {
    const { flag, given, message } = outOfRange(mod.command.options);
    // Through run(): the check happens before any model, dataset or Ultralytics is touched.
    await assert.rejects(mod.run([...requiredArgv(mod.command.options), `--${flag}`, given]), usageError(message));
    const r = cli([name, ...requiredArgv(mod.command.options), `--${flag}`, given]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(escape(message)));
  });
}

for (const [name, mod] of MODULES.filter(([, m]) => m.command.options.some((o) => o.required))) {
  test(`${name}: each required option of the table, when missing, is the table's usage error`, async () => {
    for (const o of mod.command.options.filter((x) => x.required)) {
      const message = `--${flagOf(o.key)} is required`;
      await assert.rejects(mod.run(requiredArgv(mod.command.options, o)), usageError(message), `${name} without --${flagOf(o.key)}`);
    }
    const first = mod.command.options.find((o) => o.required)!;
    const r = cli([name, ...requiredArgv(mod.command.options, first)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--${escape(flagOf(first.key))} is required`));
  });
}

test('train: --data has no required mark in the table (not needed with --resume); without both, the rule in run() says so', async () => {
  const data: OptionSpec = trainCmd.command.options.find((o) => o.key === 'data')!;
  assert.notEqual(data.required, true);
  await assert.rejects(trainCmd.run([]), usageError('train: --data data.yaml is required'));
});
