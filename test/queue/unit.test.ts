// Queue pieces without Redis: settings hashing and job ids, the transient/permanent error split, the
// folder storage, the "already done with these settings" check (main's run record), the per-worker
// manifest files, and CLI usage errors (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, readFile, appendFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { AnimesegError } from '../../src/errors.js';
import { jobIdFor, type JobSettings } from '../../src/queue/settings.js';
import type { DetectOptions } from '../../src/pipeline/settings.js';
import { isTransient, jobError } from '../../src/queue/worker.js';
import { queueTarget } from '../../src/queue/connection.js';
import { FolderStorage } from '../../src/queue/storage.js';
import { imageDecision, runSettingsHash, type ModelInfo } from '../../src/queue/image-step.js';
import { OutputFolder } from '../../src/pipeline/run/output-folder.js';
import { Manifest, writerManifestPath } from '../../src/pipeline/run/manifest.js';
import type { RunRecord } from '../../src/pipeline/run/run-record.js';

const settings = (conf = 0.25): JobSettings => ({ maxPixels: 1e8, options: { refine: 'none', refineOptions: {}, conf, iou: 0.7, maxDet: 300, agnostic: false, outputs: { format: 'png' } } });
/** The settings with some options changed. */
const withOptions = (s: JobSettings, o: JobSettings['options']): JobSettings => ({ ...s, options: { ...s.options, ...o } });

// What the settings hash needs of a model; the file does not exist, so no size enters the hash.
const model: ModelInfo = { info: { model: 'm', path: '/nonexistent/m.onnx', defaultClasses: [0], recommended: {}, refine: 'none', softEdge: false, recall: { tta: 'none', tiles: false, secondPass: false, addConf: 0.7 }, models: [], boxPrior: 'colour' } };

test('the settings hash is the run record one: key order does not matter; conf, soft edge and SAM options do', async () => {
  const s = settings();
  const reordered: JobSettings = { options: { outputs: s.options.outputs, agnostic: false, maxDet: 300, iou: 0.7, conf: 0.25, refineOptions: {}, refine: 'none' }, maxPixels: s.maxPixels };
  const h = (x: JobSettings, m = model) => runSettingsHash(m, { outDir: '/out', settings: x });
  assert.equal(await h(s), await h(reordered));
  assert.notEqual(await h(s), await h(settings(0.3)));
  assert.notEqual(await h(s), await h(withOptions(s, { softEdge: true }), { info: { ...model.info, softEdge: true } }), 'soft edge');
  assert.notEqual(await h(s), await h(withOptions(s, { filter: { minArea: 0.01 } })), 'min area');
  assert.notEqual(await h(s), await h(s, { info: { ...model.info, recall: { ...model.info.recall, tiles: true } } }), 'recall aid (tiles)');
  const box = (points: number) => withOptions(s, { refine: 'box', refineOptions: { box: { points } } });
  const boxModel = { info: { ...model.info, refine: 'box' as const } };
  assert.notEqual(await h(box(3), boxModel), await h(box(5), boxModel), 'SAM box points');
  // The display-only SAM progress flag is not a setting (batchSettings drops it).
  const vote = (progress: boolean) => withOptions(s, { refine: 'vote', refineOptions: { sam: { preset: 'original', progress } } });
  const voteModel = { info: { ...model.info, refine: 'vote' as const } };
  assert.equal(await h(vote(true), voteModel), await h(vote(false), voteModel));
});

test("a job that gives no conf is hashed with the model's recommended conf (no 0.25 filled in by the producer)", async () => {
  // Only the detection options given here (none of the fixture's).
  const h = (detect: DetectOptions, m: ModelInfo) => runSettingsHash(m, { outDir: '/out', settings: { ...settings(), options: { refine: 'none', refineOptions: {}, outputs: { format: 'png' }, ...detect } } });
  const anime: ModelInfo = { info: { ...model.info, defaultClasses: null, recommended: { conf: 0.45 } } };
  // The same outputs as giving the recommended value by hand, and other ones than the table's 0.25.
  assert.equal(await h({}, anime), await h({ conf: 0.45 }, anime));
  assert.notEqual(await h({}, anime), await h({ conf: 0.25 }, anime));
  // A model that recommends nothing: absent means the table's default.
  assert.equal(await h({}, model), await h({ conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false }, model));
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

const record = (over: Partial<RunRecord>): RunRecord => ({ input: '/d/a.png', name: 'sub/a', status: 'ok', outputs: ['sub/a.png', 'sub/a.mask.png', 'sub/a.json'], instances: 1, scores: [0.9], areas: [10], settings_hash: 'h', finished: '2026-01-01T00:00:00.000Z', ...over });

test('an image counts as done only when its latest record (a worker\'s manifest file included) has the same source and settings hash and its outputs exist', async () => {
  const out = await mkdtemp(join(tmpdir(), 'animeseg-done-'));
  try {
    const job = { source: '/d/a.png', name: 'sub/a', outDir: out, settings: settings() };
    const decide = async (hash: string, j = job) => (await imageDecision(await OutputFolder.open(out), j, hash)).decision;
    assert.deepEqual(await decide('h'), { action: 'redo', reason: 'new' });
    // A worker's line, in its own file.
    const worker = await Manifest.open(out, { appendTo: writerManifestPath(out) });
    await worker.append(record({}));
    assert.deepEqual(await decide('h'), { action: 'redo', reason: 'missing-output' });
    await mkdir(join(out, 'sub'));
    for (const f of ['sub/a.png', 'sub/a.mask.png', 'sub/a.json']) await writeFile(join(out, f), '');
    assert.deepEqual(await decide('h'), { action: 'skip' });
    assert.deepEqual(await decide('other'), { action: 'redo', reason: 'settings' });
    assert.deepEqual(await decide('h', { ...job, source: '/e/a.png' }), { action: 'redo', reason: 'source' });
    assert.equal(await readFile(join(out, 'manifest.jsonl'), 'utf8').catch(() => 'absent'), 'absent', 'workers never write manifest.jsonl');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('manifest files of several writers: latest finish time wins across files, the last line within one; torn tails ignored, never cut; compaction keeps to manifest.jsonl', async () => {
  const out = await mkdtemp(join(tmpdir(), 'animeseg-manifest-d-'));
  try {
    const a = await Manifest.open(out, { appendTo: join(out, 'manifest.d', 'hostA-1-x.jsonl') });
    const b = await Manifest.open(out, { appendTo: join(out, 'manifest.d', 'hostB-2-y.jsonl') });
    await a.append(record({ name: 'x', status: 'writing', finished: '2026-01-01T00:00:01.000Z' }));
    await b.append(record({ name: 'x', status: 'ok', finished: '2026-01-01T00:00:02.000Z' }));
    await a.append(record({ name: 'y', status: 'failed', reason: 'bad', finished: '2026-01-01T00:00:05.000Z' }));
    await a.append(record({ name: 'y', status: 'ok', finished: '2026-01-01T00:00:04.000Z' })); // later line, earlier clock: the file's order wins
    // A torn tail (a worker killed mid-append; its file is never appended to again): ignored, left in place.
    await appendFile(join(out, 'manifest.d', 'hostC-3-z.jsonl'), JSON.stringify(record({ name: 'v' })) + '\n{"input":"/d/z.png","na');
    const main = await Manifest.open(out);
    assert.equal(main.latest('x')?.status, 'ok', 'b finished x after a claimed it');
    assert.equal(main.latest('y')?.status, 'ok');
    assert.equal(main.latest('z'), undefined);
    assert.equal(main.latest('v')?.status, 'ok', 'the complete line before the torn one counts');
    assert.match(await readFile(join(out, 'manifest.d', 'hostC-3-z.jsonl'), 'utf8'), /"na$/, 'torn tail not cut');
    // segment appends to manifest.jsonl and compacts it: its own lines only, the workers' files untouched.
    await main.append(record({ name: 'w', status: 'writing' }));
    await main.append(record({ name: 'w', status: 'ok', finished: '2026-01-01T00:00:09.000Z' }));
    await main.compact();
    const lines = (await readFile(join(out, 'manifest.jsonl'), 'utf8')).trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).name), ['w']);
    assert.deepEqual((await readdir(join(out, 'manifest.d'))).sort(), ['hostA-1-x.jsonl', 'hostB-2-y.jsonl', 'hostC-3-z.jsonl']);
    // refresh() picks up another writer's later line.
    await b.append(record({ name: 'y', status: 'empty', finished: '2026-01-01T00:00:06.000Z' }));
    assert.equal(a.latest('y')?.status, 'ok');
    await a.refresh();
    assert.equal(a.latest('y')?.status, 'empty');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('CLI usage errors exit 2 with the reason, before any connection', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [resolve('bin/animeseg.js'), ...args], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
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
