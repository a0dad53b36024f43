/**
 * ANIMESEG_OFFLINE=1 means no network call at all: `segment`, `serve`, `models pull` (with and without
 * --force) and the library calls that pass `download: true` must all stop before contacting the model's
 * URL. The URL is a local HTTP server on 127.0.0.1 that counts every request it gets; the expected count
 * is 0 (with downloads allowed the same entry is fetched, which the last test checks so the counter is live).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { servedEntry, startServer, type TestServer } from './helpers.js';
import { resolveModel, downloadFile, type ManifestEntry } from '../../src/models/resolver/index.js';
import { resolveYoloPath } from '../../src/pipeline/model-path.js';
import { AnimesegError } from '../../src/errors.js';

let srv: TestServer;
let root: string;
let env: NodeJS.ProcessEnv;
let entry: ManifestEntry;
const IMAGE = resolve('../shared/data/illustrations/images/luffy_1.jpg');

const totalHits = () => [...srv.hits.values()].reduce((a, b) => a + b, 0);

before(async () => {
  srv = await startServer(30_000);
  root = await mkdtemp(join(tmpdir(), 'animeseg-offline-'));
  await mkdir(join(root, 'config'));
  entry = servedEntry(srv, 'tiny-test');
  await writeFile(join(root, 'config', 'models.json'), JSON.stringify({ version: 1, models: [entry] }));
  env = { ...process.env, ANIMESEG_CONFIG_DIR: join(root, 'config'), ANIMESEG_CACHE: join(root, 'cache'), ANIMESEG_MODELS: join(root, 'models'), ANIMESEG_OFFLINE: '1' };
});
after(async () => {
  await srv.close();
  await rm(root, { recursive: true, force: true });
});

function cli(args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve('bin/animeseg.js'), ...args], { env, timeout }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The message names the file expected and both folders searched. */
function assertSaysWhere(text: string) {
  assert.match(text, /tiny-test\.onnx/);
  assert.ok(text.includes(join(root, 'models')), `names $ANIMESEG_MODELS folder:\n${text}`);
  assert.ok(text.includes(join(root, 'cache')), `names the cache folder:\n${text}`);
  assert.match(text, /ANIMESEG_OFFLINE/);
}

test('segment --model NAME offline: exit 1, says where to put the file, 0 requests', async () => {
  const out = join(root, 'out');
  const r = await cli(['segment', IMAGE, '-o', out, '--model', 'tiny-test', '--progress', 'silent']);
  assert.equal(r.code, 1, r.stderr);
  assertSaysWhere(r.stderr);
  assert.equal(totalHits(), 0);
});

test('models pull NAME and pull --force offline: exit 1, 0 requests', async () => {
  for (const args of [['models', 'pull', 'tiny-test'], ['models', 'pull', 'tiny-test', '--force']]) {
    const r = await cli(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assertSaysWhere(r.stderr);
  }
  assert.equal(totalHits(), 0);
  assert.deepEqual(await readdir(join(root, 'cache')).catch(() => []), []);
});

test('serve --model NAME offline: refuses to start, 0 requests', async () => {
  const r = await cli(['serve', '--model', 'tiny-test', '--port', '0', '--quiet']);
  assert.equal(r.code, 1, r.stderr);
  assertSaysWhere(r.stderr);
  assert.equal(totalHits(), 0);
});

test('library: download: true does not override ANIMESEG_OFFLINE (resolver, YOLO path, downloader)', async () => {
  const e = { ...process.env, ...env };
  await assert.rejects(resolveModel('tiny-test', { entries: [entry], env: e, download: true }), (err) => err instanceof AnimesegError && err.code === 'MODEL_NOT_FOUND');
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await assert.rejects(resolveYoloPath('tiny-test', { download: true }), (err) => err instanceof AnimesegError && /ANIMESEG_OFFLINE/.test(err.message));
    await assert.rejects(downloadFile({ url: entry.url!, dest: join(root, 'cache', 'x.onnx'), progress: 'silent' }), (err) => err instanceof AnimesegError && err.code === 'DOWNLOAD_FAILED');
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
  assert.equal(totalHits(), 0);
});

test('control: with ANIMESEG_OFFLINE unset the same entry is fetched (the counter sees requests)', async () => {
  const r = await resolveModel('tiny-test', { entries: [entry], env: { ...env, ANIMESEG_OFFLINE: '' }, progress: 'silent' });
  assert.equal(r.from, 'download');
  assert.equal(totalHits(), 1);
});

test('train: the Ultralytics child is told to stay offline too (YOLO_OFFLINE, HF_HUB_OFFLINE)', async () => {
  const { ultralyticsEnv } = await import('../../src/train/ultralytics.js');
  const off = ultralyticsEnv({ PATH: '/bin', ANIMESEG_OFFLINE: '1' });
  assert.equal(off.YOLO_OFFLINE, 'true'); // Ultralytics' is_online() returns False for YOLO_OFFLINE=true
  assert.equal(off.HF_HUB_OFFLINE, '1');
  assert.equal(ultralyticsEnv({ PATH: '/bin' }).YOLO_OFFLINE, undefined);
});
