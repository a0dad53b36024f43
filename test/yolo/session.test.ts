// The shared session loader: same file + settings = one onnxruntime session, released with its last user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireSession, checkDevice } from '../../src/models/session.js';
import { fakeYoloModel } from '../../testing/onnx/fake-models.js';
import { AnimesegError } from '../../src/errors.js';

test('one session per file and settings, shared until the last release', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-session-'));
  const path = join(dir, 'm.onnx');
  await writeFile(path, fakeYoloModel({ imgsz: 320 }));
  try {
    const a = await acquireSession(path, { threads: 1 });
    const b = await acquireSession(path, { threads: 1 });
    const c = await acquireSession(path, { threads: 2 });
    assert.equal(a.session, b.session);
    assert.notEqual(a.session, c.session);
    await a.release();
    await a.release(); // twice is harmless
    // b still works after a's release.
    assert.deepEqual(b.session.inputNames, ['images']);
    await b.release();
    await c.release();
    const d = await acquireSession(path, { threads: 1 });
    assert.notEqual(d.session, a.session); // a fresh one after everything was released
    await d.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('device names are checked', () => {
  assert.equal(checkDevice('cpu'), 'cpu');
  assert.throws(() => checkDevice('tpu'), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
});
