/**
 * Finding Ultralytics: `yolo` on PATH, a Python named by option/environment, version check, and the
 * message when it is missing (library and CLI). Uses the stand-ins in test/fixtures/fake-ultralytics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { findUltralytics, compareVersions, PY_TRAIN_THREADS } from '../../src/train/ultralytics.js';
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
  assert.ok(u.prefix[1].startsWith(PY_TRAIN_THREADS), 'the CPU thread setting runs before the entry point');
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

// Real Ultralytics and Debian's torch (as in recipe.test.ts): select_device('cpu') is where Ultralytics sets torch's
// threads to cpu_count - 1; after our prefix it sets every core (or ANIMESEG_TRAIN_THREADS), and a bad value stops
// with one line naming the variable. Expected counts: os.cpus().length, and the values given.
test('training threads: every CPU core by default, ANIMESEG_TRAIN_THREADS when set, a clear error when bad', { timeout: 300_000 }, (t) => {
  const vendor = resolve('../shared/vendor/ultralytics-8.2.103');
  const python = '/usr/bin/python3';
  const hasTorch = existsSync(vendor) && spawnSync(python, ['-c', 'import torch'], { timeout: 120_000 }).status === 0;
  if (!hasTorch) {
    t.skip(`needs ${vendor} and ${python} with torch (apt-get install python3-torch; see ../shared/vendor/README.md)`);
    return;
  }
  const dir = join(tmpdir(), `animeseg-threads-${process.pid}`);
  const threadsAfterSelect = (value: string) =>
    spawnSync(python, ['-c', `${PY_TRAIN_THREADS}; import torch; from ultralytics.utils.torch_utils import select_device; select_device("cpu", verbose=False); print(torch.get_num_threads())`], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PYTHONPATH: vendor, YOLO_OFFLINE: 'True', YOLO_CONFIG_DIR: dir, ANIMESEG_TRAIN_THREADS: value },
    });
  try {
    const all = threadsAfterSelect('');
    assert.equal(all.status, 0, all.stderr);
    assert.equal(Number(all.stdout.trim().split("\n").pop()), cpus().length, all.stdout);
    const one = threadsAfterSelect('1');
    assert.equal(Number(one.stdout.trim().split("\n").pop()), 1, one.stderr);
    const bad = threadsAfterSelect('two');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "animeseg: ANIMESEG_TRAIN_THREADS must be a whole number above 0, got 'two'");
  } finally {
    spawnSync('rm', ['-rf', dir]);
  }
});
