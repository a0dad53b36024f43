// `serve --queue`: POST /v1/jobs stores the upload on the shared folder and queues it; a worker (in this
// process, on a real redis-server) runs it; the result route returns the same bytes as `animeseg segment`
// on the same image with the real model (the independent reference). Bad uploads: 400 at once, or a
// failed job with its reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { queueRoutes } from '../../src/server/queue-routes.js';
import { startWorker, type QueueWorker } from '../../src/queue/worker.js';
import { ILLUSTRATIONS } from './fixtures.js';
import { redisSkipReason, startRedis, type TestRedis } from './redis.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const skip = redisSkipReason();
let redis: TestRedis;
let root = '';
let server: AnimesegServer;
let worker: QueueWorker | undefined;
let image: Buffer;

before(async () => {
  if (skip) return;
  redis = await startRedis();
  root = await mkdtemp(join(tmpdir(), 'animeseg-jobs-'));
  image = await sharp(join(ILLUSTRATIONS, 'cirno_1.png')).resize({ width: 320 }).png().toBuffer();
  await writeFile(join(root, 'cirno.png'), image);
  const engine = await createPipelineEngine({ model: MODEL });
  server = await createServer({ engine, web: false, routes: queueRoutes({ target: { url: redis.url, name: 'jobs' }, dir: join(root, 'shared'), model: MODEL }) });
});

after(async () => {
  if (skip) return;
  await worker?.close(true); // force: a job stuck by a failed test must not hold the file open
  await server?.close();
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

async function until(id: string, states: string[]) {
  for (;;) {
    const r = await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}` });
    assert.equal(r.statusCode, 200, r.body);
    if (states.includes(r.json().state)) return r.json();
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('POST /v1/jobs -> worker -> result: the bytes of `segment` on the same image', { skip, timeout: 60_000 }, async () => {
  const post = () => server.app.inject({ method: 'POST', url: '/v1/jobs?refine=regions', headers: { 'content-type': 'image/png' }, payload: image });
  const r = await post();
  assert.equal(r.statusCode, 202, r.body);
  const { id } = r.json();
  assert.equal(r.headers.location, `/v1/jobs/${id}`);
  assert.equal((await post()).json().id, id, 'the same image and options are the same job');

  // No worker yet: the result is not ready.
  const early = await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}/result` });
  assert.equal(early.statusCode, 409);
  assert.equal(early.json().error.code, 'NOT_READY');

  worker = await startWorker({ url: redis.url, name: 'jobs', concurrency: 1 });
  const done = await until(id, ['completed', 'failed']);
  assert.equal(done.state, 'completed', JSON.stringify(done));

  const seg = spawnSync(process.execPath, [resolve('bin/animeseg.js'), 'segment', join(root, 'cirno.png'), '-o', join(root, 'ref'), '--model', MODEL, '--refine', 'regions', '--progress', 'silent'], { encoding: 'utf8' });
  assert.equal(seg.status, 0, seg.stderr);
  const cut = await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}/result` });
  assert.equal(cut.statusCode, 200);
  assert.equal(cut.headers['content-type'], 'image/png');
  assert.ok(cut.rawPayload.equals(await readFile(join(root, 'ref', 'cirno.png'))), 'cutout differs from segment');
  const mask = await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}/result?file=mask` });
  assert.ok(mask.rawPayload.equals(await readFile(join(root, 'ref', 'cirno.mask.png'))), 'mask differs from segment');
  const json = (await server.app.inject({ method: 'GET', url: `/v1/jobs/${id}/result?file=json` })).json();
  const ref = JSON.parse(await readFile(join(root, 'ref', 'cirno.json'), 'utf8'));
  assert.deepEqual(json.instances, ref.instances);
  assert.equal(done.instances, ref.instances.length);
});

test('bad uploads: not an image -> 400 at once; a truncated image -> failed job with its reason; unknown id -> 404', { skip, timeout: 60_000 }, async () => {
  const junk = await server.app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from('not an image') });
  assert.equal(junk.statusCode, 400, junk.body);
  assert.equal(junk.json().error.code, 'BAD_INPUT');

  const half = image.subarray(0, image.length >> 1);
  const r = await server.app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'image/png' }, payload: half });
  assert.equal(r.statusCode, 202, r.body);
  worker ??= await startWorker({ url: redis.url, name: 'jobs', concurrency: 1 });
  const st = await until(r.json().id, ['completed', 'failed']);
  assert.equal(st.state, 'failed');
  assert.match(st.reason, /cannot decode image/);
  assert.equal(st.attempts, 1);
  const res = await server.app.inject({ method: 'GET', url: `/v1/jobs/${r.json().id}/result` });
  assert.equal(res.statusCode, 422);

  const missing = await server.app.inject({ method: 'GET', url: '/v1/jobs/img-00000000000000000000000000000000' });
  assert.equal(missing.statusCode, 404);
});
