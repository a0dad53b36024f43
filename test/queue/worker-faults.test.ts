// Workers facing a lost Redis or a model that is not the producer's (issue 21 items 3 and 8), on a real
// redis-server this file starts:
// - `animeseg worker` with its Redis stopped: it logs the outage once (not per reconnect attempt) and a
//   SIGTERM ends it within seconds, exit 1 (before the fix it ignored SIGTERM and SIGINT and logged
//   "queue error" twice a second for ever);
// - a job added with one model file and run by a worker that has another file under the same path fails
//   at once with a reason naming the model and the two settings hashes, and writes nothing (before the fix
//   it completed with the other model).
// Everything started here is ended in finally/after, bounded, so a failing assertion cannot hang the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { reconnectDelayMs } from '../../src/queue/connection.js';
import { onePerInterval, startWorker } from '../../src/queue/worker.js';
import { makeImages, writeModel } from './fixtures.js';
import { redisSkipReason, startRedis, type TestRedis } from './redis.js';

const BIN = resolve('bin/animeseg.js');
const skip = redisSkipReason();
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-worker-faults-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Resolves with the exit code, or null if the process is still running after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((res) => {
    const t = setTimeout(() => res(null), ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      res(code);
    });
  });
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('reconnect back-off: 0.5 s doubling to at most 10 s (hand-computed)', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map(reconnectDelayMs), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
});

test('onePerInterval: the same message once per interval, with the count held back', () => {
  let now = 0;
  const lines: string[] = [];
  const report = onePerInterval((l) => lines.push(l), 30_000, () => now);
  for (let t = 0; t <= 60_000; t += 500) {
    now = t;
    report('queue error: down');
  }
  report('queue error: other');
  // t = 0 and t = 30000 and t = 60000 are logged; 59 calls are held back between each pair.
  assert.deepEqual(lines, ['queue error: down', 'queue error: down (59 more like it in the last 30 s)', 'queue error: down (59 more like it in the last 30 s)', 'queue error: other']);
});

test('a worker whose Redis is gone logs it once per interval and stops on SIGTERM within seconds, exit 1', { skip, timeout: 60_000 }, async () => {
  let redis: TestRedis | undefined = await startRedis();
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--name', 'gone', '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (d) => (out += d));
    const c = child;
    await until(() => /ready on queue 'gone'/.test(out) || c.exitCode !== null, 30_000, 'the worker to start');
    assert.match(out, /ready on queue/, out);
    await redis.stop();
    redis = undefined;
    // About 4 s without Redis: 0.5 + 1 + 2 s of back-off, so a few attempts on each of its connections.
    await until(() => /queue error/.test(out), 15_000, 'the outage to be logged');
    await new Promise((r) => setTimeout(r, 4000));
    const errors = out.split('\n').filter((l) => /queue error/.test(l));
    assert.equal(errors.length, 1, `one report per 30 s interval, got:\n${errors.join('\n')}`);
    assert.match(errors[0]!, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? \(ECONNREFUSED\); reconnecting/);

    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exitWithin(child, 15_000);
    assert.equal(code, 1, `SIGTERM without Redis: exit code ${code} after ${Date.now() - t0} ms\n${out}`);
    assert.match(out, /unreachable: stopping now; active jobs are left to stalled-job recovery/);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exitWithin(child, 5000);
    }
    await redis?.stop();
  }
});

test('a job added with one model file and run by a worker with another under that name fails with the reason, writing nothing', { skip, timeout: 90_000 }, async () => {
  const redis = await startRedis();
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const queue = new Queue('models', { connection: { url: redis.url } });
  try {
    const dir = join(root, 'mismatch');
    await mkdir(dir, { recursive: true });
    const model = await writeModel(join(dir, 'same-name.onnx'));
    await makeImages(join(dir, 'in'), 1, 0);
    const out = join(dir, 'out');
    const added = spawnSync(process.execPath, [BIN, 'queue', 'add', join(dir, 'in'), '-o', out, '--model', model, '--queue', redis.url, '--name', 'models'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(added.status, 0, added.stderr);
    assert.equal(added.stdout.trim(), '1');
    // Another file under the same path: same model name, different bytes (two classes instead of one).
    await writeModel(model, ['character', 'prop']);

    worker = await startWorker({ url: redis.url, name: 'models', concurrency: 1 });
    await until(async () => (await queue.getJobCounts('completed', 'failed')).failed + (await queue.getJobCounts('completed')).completed > 0, 60_000, 'the job to finish');
    const counts = await queue.getJobCounts('completed', 'failed');
    assert.deepEqual(counts, { completed: 0, failed: 1 });
    const [job] = await queue.getFailed(0, 0);
    assert.match(job!.failedReason, /settings differ from those the job was added with \(settings hash [0-9a-f]{16}, the job's [0-9a-f]{16}\): its model (file is|'[^']+' is) .*same-name\.onnx \(\d+ bytes\); a different model file under the same name/);
    assert.equal(job!.attemptsMade, 1, 'not retried: another attempt with this model would fail the same way');
    const written = await readdir(out).catch(() => [] as string[]);
    assert.deepEqual(written.filter((f) => f.endsWith('.png')), [], 'no output from the other model');
  } finally {
    await worker?.close(true);
    await queue.close();
    await redis.stop();
  }
});
