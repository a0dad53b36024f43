import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as datasetRun } from '../../src/cli/commands/dataset.js';
import { run as synthRun } from '../../src/cli/commands/synth.js';
import { rangeOption } from '../../src/cli/args.js';
import { run as cocoRun } from '../../src/cli/commands/coco2yolo.js';
import { AnimesegError } from '../../src/errors.js';

test('dataset check exits 1 on a set with errors and 0 once fixed', async (t) => {
  const logs: string[] = [];
  t.mock.method(console, 'log', (s: string) => logs.push(s));
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-cli-'));
  try {
    await mkdir(join(dir, 'images/train'), { recursive: true });
    await mkdir(join(dir, 'labels/train'), { recursive: true });
    // A 1x1 PNG is too small for Ultralytics (> 9 px per side): an error.
    const tiny = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082', 'hex');
    await writeFile(join(dir, 'images/train/a.png'), tiny);
    await writeFile(join(dir, 'labels/train/a.txt'), '0 0.1 0.1 0.9 0.1 0.5 0.9\n');
    await writeFile(join(dir, 'data.yaml'), `path: ${dir}\ntrain: images/train\nval: images/train\nnames: [character]\n`);
    assert.equal(await datasetRun(['check', join(dir, 'data.yaml'), '--progress', 'silent']), 1);
    assert.match(logs.join('\n'), /images too small/);
    assert.equal(await datasetRun(['check', join(dir, 'data.yaml'), '--no-open', '--progress', 'silent']), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('CLI option errors are AnimesegError BAD_OPTION with a clear message', async () => {
  const isBadOption = (re: RegExp) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && re.test(e.message);
  await assert.rejects(synthRun(['--fg', 'a', '--bg', 'b', '--out', 'c']), isBadOption(/--count is required/));
  await assert.rejects(synthRun(['--fg', 'a', '--bg', 'b', '--out', 'c', '--count', '5', '--mode', 'fancy']), isBadOption(/--mode must be simple or enhanced/));
  await assert.rejects(synthRun(['--fg', 'a', '--bg', 'b', '--out', 'c', '--count', '5', '--epsilon', '3']), isBadOption(/--epsilon/));
  await assert.rejects(synthRun(['--bogus']), isBadOption(/^unknown option '--bogus'$/));
  await assert.rejects(cocoRun(['--annotations', 'x.json', '--out', 'o', '--link', 'teleport']), isBadOption(/--link must be/));
  assert.deepEqual(rangeOption('scale', '0.5-1.5', [1, 1]), [0.5, 1.5]);
  assert.deepEqual(rangeOption('jpeg-quality', '90', [95, 95]), [90, 90]);
  assert.throws(() => rangeOption('scale', '2-1', [1, 1]), isBadOption(/range/));
});
