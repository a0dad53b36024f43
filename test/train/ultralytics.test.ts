/**
 * Finding Ultralytics: `yolo` on PATH, a Python named by option/environment, version check, and the
 * message when it is missing (library and CLI). Uses the stand-ins in test/fixtures/fake-ultralytics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { findUltralytics, compareVersions } from '../../src/train/ultralytics.js';
import { AnimesegError } from '../../src/errors.js';
import { FAKE_DIR, FAKE_PYTHON, FAKE_YOLO } from './helpers.js';

const nodeDir = dirname(process.execPath);
const withFake = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: [FAKE_DIR, nodeDir].join(delimiter),
  ANIMESEG_PYTHON: '',
  ...extra,
});

function assertMissing(e: unknown, ...mention: string[]): true {
  assert.ok(e instanceof AnimesegError, String(e));
  assert.equal(e.code, 'MISSING_TOOL');
  for (const m of mention) assert.ok(`${e.message}\n${e.hint}`.includes(m), `should mention '${m}': ${e.message} / ${e.hint}`);
  return true;
}

test('yolo on PATH is found and its version read', async () => {
  const u = await findUltralytics({ env: withFake() });
  assert.equal(u.command, FAKE_YOLO);
  assert.deepEqual(u.prefix, []);
  assert.equal(u.version, '8.3.40'); // the stand-in's default version
  assert.equal(u.via, 'yolo-on-path');
});

test('--python and ANIMESEG_PYTHON use that Python with the Ultralytics entry point', async () => {
  const u = await findUltralytics({ python: FAKE_PYTHON, env: withFake({ FAKE_YOLO_VERSION: '8.1.2' }) });
  assert.equal(u.command, FAKE_PYTHON);
  assert.equal(u.prefix[0], '-c');
  assert.match(u.prefix[1], /from ultralytics\.cfg import entrypoint/);
  assert.equal(u.version, '8.1.2');
  assert.equal(u.via, 'python-option');
  const v = await findUltralytics({ env: withFake({ ANIMESEG_PYTHON: FAKE_PYTHON }) });
  assert.equal(v.via, 'ANIMESEG_PYTHON');
});

test('a Python without the package: MISSING_TOOL naming the import error and what to install', async () => {
  await assert.rejects(findUltralytics({ python: FAKE_PYTHON, env: withFake({ FAKE_PYTHON_NO_ULTRALYTICS: '1' }) }), (e) =>
    assertMissing(e, "No module named 'ultralytics'", 'pip install ultralytics'),
  );
});

test('nothing on PATH: MISSING_TOOL listing what was tried', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'animeseg-nopath-'));
  try {
    await assert.rejects(findUltralytics({ env: { PATH: empty } }), (e) =>
      assertMissing(e, 'yolo: not on PATH', 'python3: not on PATH', 'pip install ultralytics'),
    );
  } finally {
    await rm(empty, { recursive: true });
  }
});

test('an Ultralytics older than 8.0.0 is refused with the upgrade command', async () => {
  await assert.rejects(findUltralytics({ env: withFake({ FAKE_YOLO_VERSION: '7.9.1' }) }), (e) =>
    assertMissing(e, '7.9.1', 'pip install -U ultralytics'),
  );
});

test('versions compare numerically', () => {
  assert.equal(compareVersions('8.3.40', '8.3.9'), 1);
  assert.equal(compareVersions('8.0.0', '8.0'), 0);
  assert.equal(compareVersions('7.99.99', '8.0.0'), -1);
});

test('CLI: `animeseg train` without Ultralytics prints what to install and exits non-zero', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'animeseg-nopath-'));
  try {
    const r = spawnSync(process.execPath, [resolve('bin/animeseg.js'), 'train', '--data', 'whatever.yaml'], {
      env: { ...process.env, PATH: empty, ANIMESEG_PYTHON: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Ultralytics was not found/);
    assert.match(r.stderr, /pip install ultralytics/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  } finally {
    await rm(empty, { recursive: true });
  }
});
