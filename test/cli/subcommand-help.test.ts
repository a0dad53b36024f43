/**
 * `animeseg CMD SUB --help` prints that sub-command's own usage (its table only); `CMD --help` all of them.
 * Expected text: the `usage` each sub-command's table generates (src/cli/commands/*.ts `commands`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as dataset from '../../src/cli/commands/dataset.js';
import * as models from '../../src/cli/commands/models.js';
import * as queue from '../../src/cli/commands/queue.js';

const BIN = resolve('bin/animeseg.js');
const help = (args: string[]): string => {
  const r = spawnSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8', env: { ...process.env, ANIMESEG_OFFLINE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trimEnd();
};

test('each sub-command prints its own usage; the command alone prints the whole usage', () => {
  for (const [name, mod] of [['dataset', dataset], ['models', models], ['queue', queue]] as const) {
    assert.equal(help([name]), mod.usage.trimEnd(), name);
    for (const [sub, cmd] of Object.entries(mod.commands)) {
      const text = help([name, sub]);
      assert.equal(text, cmd.usage.trimEnd(), `${name} ${sub}`);
      assert.notEqual(text, mod.usage.trimEnd(), `${name} ${sub} is not the whole usage`);
    }
  }
  // Positional arguments before --help still find the sub-command.
  assert.equal(help(['dataset', 'check', 'data.yaml']), dataset.commands.check.usage.trimEnd());
});
