/**
 * `animeseg dataset`: each sub-command's option table is what --help shows and what run() checks. Expected
 * flags, ranges and required options are read from the tables (src/cli/commands/dataset.ts), not retyped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { commands, run, usage } from '../../src/cli/commands/dataset.js';
import { flagOf, type OptionSpec } from '../../src/util/option-spec.js';

const bad = (re: RegExp) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && re.test(e.message);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The usage line of an option starts with its flag (and short alias), then its metavar or the help column. */
const flagLine = (o: OptionSpec) => new RegExp(`^  ${o.short ? `-${o.short}, ` : ''}--${esc(flagOf(o.key))}(?= )`, 'm');

test('dataset --help: every option of every sub-command, under that sub-command, with its help text', () => {
  for (const [name, command] of Object.entries(commands)) {
    const section = usage.split(`\n${name} options:\n`)[1]?.split('\n\n')[0];
    assert.ok(section, `a '${name} options:' section`);
    for (const o of command.options) {
      assert.match(section, flagLine(o), `${name} --${o.key}`);
      assert.ok(section.includes(o.help.split('\n')[0]), `${name} --${o.key} help`);
    }
    assert.equal(section.split('\n').filter((l) => /^ {2}-/.test(l)).length, command.options.length, `${name}: one line per option`);
  }
});

test('dataset: a value out of the table range and a missing required option give the table message', async () => {
  const count = commands.preview.options.find((o) => o.key === 'count')!;
  assert.ok(count.type === 'integer' && count.max !== undefined);
  const over = String(count.max + 1);
  await assert.rejects(run(['preview', 'd.yaml', '--out', 's.png', '--count', over]), bad(new RegExp(`^--count must be a whole number in \\[${count.min}, ${count.max}\\], got '${over}'$`)));
  const out = commands.merge.options.find((o) => o.key === 'out')!;
  assert.equal(out.required, true);
  await assert.rejects(run(['merge', 'a/data.yaml']), (e: unknown) => bad(/^--out is required$/)(e) && (e as AnimesegError).hint === `--out ${out.metavar}: ${out.help}`);
});

test("dataset: one sub-command's options are refused by another", async () => {
  const tile = commands.preview.options.find((o) => o.key === 'tile')!;
  assert.ok(!(commands.check.options as readonly OptionSpec[]).some((o) => o.key === tile.key));
  await assert.rejects(run(['check', 'd.yaml', `--${tile.key}`, '64']), bad(new RegExp(`^unknown option '--${tile.key}'$`)));
});
