/**
 * `animeseg serve`: its option table is what --help shows and what run() checks, before anything loads.
 * Ranges and choices are read from the table (src/cli/commands/serve.ts), not retyped. serve has no
 * required option, so the missing-option case is the cross-option rule --queue redis:// needs --queue-dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { command, QUEUE_WAITING, run } from '../../src/cli/commands/serve.js';
import { flagOf, type OptionSpec } from '../../src/util/option-spec.js';

const bad = (re: RegExp) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && re.test(e.message);

test('serve --help lists every option once, with its help text', () => {
  const lines = command.usage.split('\n');
  assert.ok(!(command.options as readonly OptionSpec[]).some((o) => o.required), 'serve has no required option');
  for (const o of command.options) {
    const hits = lines.filter((l) => l.startsWith(`  --${flagOf(o.key)} `));
    assert.equal(hits.length, 1, `--${o.key}`);
    assert.ok(command.usage.includes(o.help.split('\n')[0]), `--${o.key} help`);
  }
});

test('serve: values out of the table ranges and choices give the table messages', async () => {
  const port = command.options.find((o) => o.key === 'port')!;
  assert.ok(port.type === 'integer' && port.max !== undefined);
  await assert.rejects(run(['--port', String(port.max + 1)]), bad(new RegExp(`^--port must be a whole number in \\[${port.min}, ${port.max}\\], got '${port.max + 1}'$`)));
  // --queue N (not a redis:// URL) is read with its own range.
  await assert.rejects(run(['--queue', String(QUEUE_WAITING.max + 1)]), bad(new RegExp(`^--queue must be a whole number in \\[${QUEUE_WAITING.min}, ${QUEUE_WAITING.max}\\]`)));
  const device = command.options.find((o) => o.key === 'device')!;
  assert.ok(device.type === 'enum');
  await assert.rejects(run(['--device', 'tpu']), bad(new RegExp(`^--device must be ${device.choices.join(' or ')}, got 'tpu'$`)));
  await assert.rejects(run(['--queue', 'redis://127.0.0.1:1']), bad(/^--queue redis:\/\/\.\.\. needs --queue-dir DIR/));
});

test('serve: --allow-host and --cors are repeatable and each value may be a comma list', () => {
  const { values } = command.parse(['--cors', 'https://a.example,https://b.example', '--cors', 'https://c.example', '--allow-host', 'x']);
  assert.deepEqual(values.cors, ['https://a.example,https://b.example', 'https://c.example']);
  assert.deepEqual(values['allow-host'], ['x']);
});
