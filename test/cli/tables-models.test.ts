/**
 * `animeseg models`: each sub-command's switches come from its table and are what --help lists. The tables
 * have only switches (no ranges, no required options: NAME is positional), so the checks are that every
 * switch is listed once and that a switch of one sub-command is refused by another.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { commands, run, usage } from '../../src/cli/commands/models.js';
import { flagOf, type OptionSpec } from '../../src/util/option-spec.js';

test('models --help lists every switch of every sub-command once, with its help', () => {
  const lines = usage.split('\n');
  for (const [name, command] of Object.entries(commands)) {
    for (const o of command.options) {
      const hits = lines.filter((l) => l.startsWith(`  --${flagOf(o.key)} `));
      assert.equal(hits.length, 1, `${name} --${o.key}`);
      assert.ok(hits[0].endsWith(o.help), `${name} --${o.key} help`);
    }
  }
});

test('models: a switch of another sub-command is a usage error naming it', async () => {
  const force = commands.pull.options.find((o) => o.key === 'force')!;
  assert.ok(!(commands.list.options as readonly OptionSpec[]).some((o) => o.key === force.key));
  await assert.rejects(run(['list', `--${force.key}`]), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && e.message === `unknown option '--${force.key}'`);
  await assert.rejects(run(['pull']), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /a model NAME is required/.test(e.message));
});
