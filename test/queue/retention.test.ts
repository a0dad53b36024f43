// Retention of POST /v1/jobs (issue 21 items 7 and 9), on a real redis-server, a real server on 127.0.0.1
// and an in-process worker, with the generated one-box model (fixtures.ts) so jobs take milliseconds:
// - count: with 2 finished jobs kept, the 2 older of 4 jobs go from Redis (404), with their uploads and
//   outputs; the 2 newest stay whole;
// - age: a finished job past the age limit goes; an upload whose job is still waiting stays;
// - byte budget: an upload that would push the folder over its budget while waiting jobs fill it gets
//   503 BUSY; once a job has finished, its upload makes room;
// - what clients read of a job names no server path (a failed job's reason, the JSON's `image`).
// Expected counts follow from the settings each server is given. Before the fix nothing was ever removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { queueRoutes, type QueueRoutesOptions } from '../../src/server/queue-routes.js';
import { startWorker, type QueueWorker } from '../../src/queue/worker.js';
import { TEMP_PREFIX } from '../../src/util/atomic.js';
import type { SweepResult } from '../../src/queue/retention.js';
import { makeImages, writeModel } from './fixtures.js';
import { redisSkipReason, startRedis, type TestRedis } from './redis.js';

const skip = redisSkipReason();
let redis: TestRedis;
let root = '';
let model = '';
let images: Buffer[] = [];
/** Everything a test started, ended in after() even when an assertion failed first. */
const open: { close(): Promise<unknown> }[] = [];

before(async () => {
  if (skip) return;
  redis = await startRedis();
  root = await mkdtemp(join(tmpdir(), 'animeseg-retention-'));
  await mkdir(root, { recursive: true });
  model = await writeModel(join(root, 'one-box.onnx'));
  images = await Promise.all((await makeImages(join(root, 'in'), 6, 0)).map((p) => readFile(p)));
});

after(async () => {
  if (skip) return;
  for (const o of open.reverse()) await o.close().catch(() => undefined);
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

interface Setup {
  server: AnimesegServer;
  base: string;
  dir: string;
  sweeps: SweepResult[];
  worker(): Promise<QueueWorker>;
}

async function setup(name: string, retention: QueueRoutesOptions['retention']): Promise<Setup> {
  const dir = join(root, name);
  const sweeps: SweepResult[] = [];
  const engine = await createPipelineEngine({ model });
  const server = await createServer({ engine, web: false, routes: queueRoutes({ target: { url: redis.url, name }, dir, model, retention: { sweepEveryMs: 100, ...retention, onSweep: (r) => sweeps.push(r) } }) });
  open.push(server);
  const base = await server.listen(0);
  return {
    server,
    base,
    dir,
    sweeps,
    async worker() {
      const w = await startWorker({ url: redis.url, name, concurrency: 1 });
      open.push({ close: () => w.close(true) });
      return w;
    },
  };
}

const post = (s: Setup, img: Buffer) => fetch(`${s.base}/v1/jobs`, { method: 'POST', body: new Uint8Array(img), headers: { 'content-type': 'image/png' } });
const state = async (s: Setup, id: string) => {
  const r = await fetch(`${s.base}/v1/jobs/${id}`);
  return r.status === 404 ? 'gone' : ((await r.json()) as { state: string }).state;
};

async function until(cond: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Wait until `n` more sweeps have run (each sees what happened before it started). */
async function sweepsPass(s: Setup, n: number): Promise<void> {
  const target = s.sweeps.length + n;
  await until(async () => s.sweeps.length >= target, `${n} sweeps`);
}

const files = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith(TEMP_PREFIX)).sort();
async function outputs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of await files(join(dir, 'results'))) for (const f of await files(join(dir, 'results', h))) if (f !== 'manifest.d') out.push(f);
  return out.sort();
}

test('count: 2 finished jobs kept; the older ones go with their uploads and outputs', { skip, timeout: 120_000 }, async () => {
  const s = await setup('count', { maxJobs: 2 });
  await s.worker();
  const ids: string[] = [];
  for (const img of images.slice(0, 4)) {
    const r = await post(s, img);
    const text = await r.text();
    assert.equal(r.status, 202, text);
    const { id } = JSON.parse(text) as { id: string };
    ids.push(id);
    // One after another, so "finished first" is the posting order.
    await until(async () => ['completed', 'gone'].includes(await state(s, id)), `job ${id}`);
  }
  await until(async () => (await state(s, ids[0]!)) === 'gone' && (await state(s, ids[1]!)) === 'gone', 'the two older jobs to go', 15_000);
  await sweepsPass(s, 1); // the sweep that removed them has also removed their files
  assert.deepEqual(await Promise.all(ids.map((id) => state(s, id))), ['gone', 'gone', 'completed', 'completed']);
  assert.equal((await fetch(`${s.base}/v1/jobs/${ids[0]}/result`)).status, 404);
  // Uploads are named by content hash (24 hex digits); 2 left. Outputs: NAME.png, NAME.mask.png, NAME.json for 2 names.
  const uploads = await files(join(s.dir, 'uploads'));
  assert.equal(uploads.length, 2, uploads.join(', '));
  const kept = await outputs(s.dir);
  assert.deepEqual(kept, uploads.flatMap((n) => [`${n}.json`, `${n}.mask.png`, `${n}.png`]).sort());
  for (const id of ids.slice(2)) {
    const json = await fetch(`${s.base}/v1/jobs/${id}/result?file=json`);
    assert.equal(json.status, 200);
    const image = ((await json.json()) as { image: string }).image;
    assert.ok(uploads.includes(image), `the JSON names the image by its upload name, got '${image}'`);
  }
});

test('age: a finished job past the limit goes; the upload of a waiting job stays; failures name no path', { skip, timeout: 120_000 }, async () => {
  const s = await setup('age', { maxAgeMs: 1500 });
  const w = await s.worker();
  const bad = images[4]!.subarray(0, images[4]!.length >> 1); // half a PNG: the job fails
  const failed = (await (await post(s, bad)).json()) as { id: string };
  const done = (await (await post(s, images[0]!)).json()) as { id: string };
  await until(async () => (await state(s, failed.id)) === 'failed', 'the failed job');
  const reason = ((await (await fetch(`${s.base}/v1/jobs/${failed.id}`)).json()) as { reason: string }).reason;
  assert.match(reason, /cannot decode image/);
  assert.ok(!reason.includes(root), `the reason shows the server path: ${reason}`);
  const result = await (await fetch(`${s.base}/v1/jobs/${failed.id}/result`)).text();
  assert.ok(!result.includes(root), `the result error shows the server path: ${result}`);
  await until(async () => (await state(s, done.id)) === 'completed', 'the good job');
  await w.close();
  const waiting = (await (await post(s, images[1]!)).json()) as { id: string };
  assert.equal(await state(s, waiting.id), 'waiting');
  await until(async () => (await state(s, done.id)) === 'gone' && (await state(s, failed.id)) === 'gone', 'both finished jobs to age out', 20_000);
  await sweepsPass(s, 1);
  assert.equal(await state(s, waiting.id), 'waiting');
  assert.equal((await files(join(s.dir, 'uploads'))).length, 1, 'only the waiting job\'s upload is left');
  assert.deepEqual(await outputs(s.dir), []);
});

test('byte budget: no room while waiting jobs fill it (503 BUSY); a finished job\'s upload makes room', { skip, timeout: 120_000 }, async () => {
  // A budget one byte short of a + b (and of a + c when c is the smaller): a and either of the others do
  // not fit together, c alone does (the generated PNGs are within a few percent of each other in size).
  const [a, b, c] = [images[0]!, images[1]!, images[2]!];
  const budget = a.length + Math.min(b.length, c.length) - 1;
  assert.ok(c.length <= budget);
  const s = await setup('budget', { uploadBytes: budget, sweepEveryMs: 60_000 });
  const first = await post(s, a);
  assert.equal(first.status, 202);
  const full = await post(s, b);
  const fullText = await full.text();
  assert.equal(full.status, 503, fullText);
  const body = JSON.parse(fullText) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'BUSY');
  assert.match(body.error.message, /upload folder is full/);
  assert.ok(full.headers.get('retry-after'));
  await s.worker();
  const id = ((await first.json()) as { id: string }).id;
  await until(async () => (await state(s, id)) === 'completed', 'the first job');
  const later = await post(s, c);
  assert.equal(later.status, 202, (await later.text()).slice(0, 300));
  assert.equal(await state(s, id), 'gone', 'the finished job made room');
  assert.equal((await files(join(s.dir, 'uploads'))).length, 1);
});
