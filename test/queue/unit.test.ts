// Queue pieces without Redis: settings hashing and job ids, the transient/permanent error split, the
// folder storage, the "already done with these settings" check, and CLI usage errors (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { AnimesegError } from '../../src/errors.js';
import { jobIdFor, settingsHash, stableJson, type JobSettings } from '../../src/queue/settings.js';
import { isTransient, jobError } from '../../src/queue/worker.js';
import { queueTarget } from '../../src/queue/connection.js';
import { FolderStorage } from '../../src/queue/storage.js';
import { isImageDone } from '../../src/queue/image-step.js';

const settings = (conf = 0.25): JobSettings => ({ refine: 'none', refineOptions: {}, detect: { conf, iou: 0.7, maxDet: 300, agnostic: false }, maxPixels: 1e8, output: { format: 'png' } });

test('stableJson sorts keys at every level (hand-written expectation); the hash follows the settings, not key order', () => {
  assert.equal(stableJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] }, u: undefined }), '{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}');
  const s = settings();
  const reordered: JobSettings = { output: s.output, maxPixels: s.maxPixels, detect: { agnostic: false, maxDet: 300, iou: 0.7, conf: 0.25 }, refineOptions: {}, refine: 'none' };
  assert.equal(settingsHash(s), settingsHash(reordered));
  assert.notEqual(settingsHash(s), settingsHash(settings(0.3)));
});

test('job ids: deterministic, BullMQ-safe (no ":", not an integer), different per source, output folder and settings', () => {
  const id = jobIdFor('/d/a.png', '/out', 'a', 'h1');
  assert.match(id, /^img-[0-9a-f]{32}$/);
  assert.equal(jobIdFor('/d/a.png', '/out', 'a', 'h1'), id);
  assert.notEqual(jobIdFor('/d/b.png', '/out', 'a', 'h1'), id);
  assert.notEqual(jobIdFor('/d/a.png', '/out2', 'a', 'h1'), id);
  assert.notEqual(jobIdFor('/d/a.png', '/out', 'a', 'h2'), id);
});

test('transient I/O errors are retried; bad images and unknown errors fail at once (UnrecoverableError) with the file named', () => {
  const job = { source: '/d/a.png' } as Parameters<typeof jobError>[1];
  const eio = Object.assign(new Error('i/o error'), { code: 'EIO' });
  assert.equal(isTransient(eio), true);
  assert.equal(isTransient(new AnimesegError('IO', 'write failed', { cause: Object.assign(new Error('busy'), { code: 'EBUSY' }) })), true);
  assert.equal(isTransient(Object.assign(new Error('nope'), { code: 'ENOENT' })), false);
  assert.equal(isTransient(new AnimesegError('BAD_INPUT', 'cannot decode image')), false);
  const retry = jobError(eio, job);
  assert.ok(!(retry instanceof UnrecoverableError));
  assert.match(retry.message, /^\/d\/a\.png: i\/o error/);
  const bad = jobError(new AnimesegError('BAD_INPUT', 'cannot decode image', { file: '/d/a.png' }), job);
  assert.ok(bad instanceof UnrecoverableError);
  assert.equal(bad.message, '/d/a.png: cannot decode image');
  assert.ok(jobError(new TypeError('x is undefined'), job) instanceof UnrecoverableError);
});

test('queue URL and name are checked before connecting', () => {
  assert.throws(() => queueTarget(undefined), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /missing --queue/.test(e.message));
  assert.throws(() => queueTarget('http://127.0.0.1:6379'), /redis:\/\/ or rediss:\/\//);
  assert.throws(() => queueTarget('redis://127.0.0.1:6379', 'a:b'), /--name must be/);
  assert.deepEqual(queueTarget('rediss://u:p@h:1/2', 'run-1'), { url: 'rediss://u:p@h:1/2', name: 'run-1' });
});

test('folder storage: atomic write, read, exists; refs outside the folder refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-storage-'));
  try {
    const s = new FolderStorage(dir);
    assert.equal(await s.exists('a/b.txt'), false);
    await s.writeAtomic('a/b.txt', 'hello');
    assert.equal(await s.exists('a/b.txt'), true);
    assert.equal(Buffer.from(await s.read(join(dir, 'a/b.txt'))).toString(), 'hello');
    assert.throws(() => s.localPath('../escape.txt'), /outside the shared folder/);
    assert.throws(() => s.localPath('/etc/passwd'), /outside the shared folder/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an image counts as done only when its outputs exist and its JSON names the same source and settings', async () => {
  const out = await mkdtemp(join(tmpdir(), 'animeseg-done-'));
  try {
    const job = { source: '/d/a.png', name: 'sub/a', outDir: out, settings: settings() };
    assert.equal(await isImageDone(job), false);
    await mkdir(join(out, 'sub'));
    await writeFile(join(out, 'sub/a.png'), '');
    await writeFile(join(out, 'sub/a.mask.png'), '');
    // The JSON as batch.ts writes it: settings = detect options + refine + imgsz.
    await writeFile(join(out, 'sub/a.json'), JSON.stringify({ image: '/d/a.png', settings: { conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false, refine: 'none', imgsz: [320, 320] } }));
    assert.equal(await isImageDone(job), true);
    assert.equal(await isImageDone({ ...job, settings: settings(0.3) }), false, 'other conf');
    assert.equal(await isImageDone({ ...job, settings: { ...settings(), refine: 'regions' } }), false, 'other refiner');
    assert.equal(await isImageDone({ ...job, source: '/e/a.png' }), false, 'other source, same name');
    assert.equal(await isImageDone({ ...job, settings: { ...settings(), output: { format: 'png', overlay: true } } }), false, 'overlay asked, not there');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('CLI usage errors exit 2 with the reason, before any connection', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [resolve('bin/animeseg.js'), ...args], { encoding: 'utf8' });
  const noQueue = cli(['queue', 'add', '.', '-o', 'x']);
  assert.equal(noQueue.status, 2);
  assert.match(noQueue.stderr, /missing --queue/);
  const device = cli(['queue', 'add', '.', '-o', 'x', '--queue', 'redis://127.0.0.1:1', '--device', 'cpu']);
  assert.equal(device.status, 2);
  assert.match(device.stderr, /--device is a worker setting/);
  const badConf = cli(['queue', 'add', '.', '-o', 'x', '--queue', 'redis://127.0.0.1:1', '--conf', '2']);
  assert.equal(badConf.status, 2);
  assert.match(badConf.stderr, /--conf must be a number in \[0, 1\]/);
  const worker = cli(['worker', '--queue', 'ftp://x']);
  assert.equal(worker.status, 2);
  assert.match(worker.stderr, /redis:\/\/ or rediss:\/\//);
  assert.equal(cli(['queue', 'frobnicate']).status, 2);
});

test('an unreachable Redis is one clear error (exit 1, password hidden), not a hang', () => {
  // Port 1 on 127.0.0.1: nothing listens there, so the connect is refused at once.
  const r = spawnSync(process.execPath, [resolve('bin/animeseg.js'), 'queue', 'status', '--queue', 'redis://:secret@127.0.0.1:1'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  assert.doesNotMatch(r.stderr, /secret|at .*\.ts:\d+/);
});
