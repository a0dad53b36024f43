// The worker-pool primitive (src/util/worker-pool.ts) with small eval'd workers that follow its protocol.
// Expected values: the workers' own arithmetic (x * 2), the pool's rules as documented in its header
// (at most `inFlight` tasks per worker, a dead worker rejects its tasks, dispose rejects what is queued).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { AnimesegError } from '../../src/errors.js';
import { startWorkerPool } from '../../src/util/worker-pool.js';

// Doubles x after `ms`; reports how many tasks it holds at once; x < 0 kills the thread, x === 0 fails the task.
const DOUBLER = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.failStart) parentPort.postMessage({ type: 'failed', error: { code: 'BAD_OPTION', message: 'cannot start' } });
else {
  let held = 0;
  parentPort.on('message', ({ id, task }) => {
    if (task.x < 0) process.exit(3);
    held++;
    const most = held;
    setTimeout(() => {
      held--;
      if (task.x === 0) parentPort.postMessage({ type: 'error', id, error: { code: 'BAD_INPUT', message: 'zero', hint: 'not zero' } });
      else parentPort.postMessage({ type: 'result', id, value: { y: task.x * 2, most } });
    }, task.ms ?? 5);
  });
  parentPort.postMessage({ type: 'ready' });
}`;

function options(workers: number, extra: { inFlight?: number; failStart?: boolean; respawns?: number } = {}) {
  return {
    workers,
    inFlight: extra.inFlight,
    respawns: extra.respawns,
    create: () => new Worker(DOUBLER, { eval: true, workerData: { failStart: extra.failStart ?? false } }),
    stopped: (why: string) => new AnimesegError('IO', `test worker stopped: ${why}`),
    closed: () => new Error('test pool is closed'),
  };
}

type Task = { x: number; ms?: number };
type Answer = { y: number; most: number };

test('results by task id, at most inFlight tasks per worker', async () => {
  const pool = await startWorkerPool<Task, Answer>(options(2, { inFlight: 2 }));
  try {
    const xs = Array.from({ length: 12 }, (_, i) => i + 1);
    const out = await Promise.all(xs.map((x) => pool.run({ x, ms: 10 })));
    assert.deepEqual(out.map((o) => o.y), xs.map((x) => x * 2));
    const most = Math.max(...out.map((o) => o.most));
    assert.equal(most, 2, 'two in flight per worker, never more');
  } finally {
    await pool.dispose();
  }
});

test("a task's error comes back as the worker's AnimesegError, the others succeed", async () => {
  const pool = await startWorkerPool<Task, Answer>(options(1));
  try {
    const [a, b, c] = await Promise.allSettled([pool.run({ x: 1 }), pool.run({ x: 0 }), pool.run({ x: 3 })]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(c.status, 'fulfilled');
    const e = (b as PromiseRejectedResult).reason;
    assert.ok(e instanceof AnimesegError && e.code === 'BAD_INPUT' && e.hint === 'not zero', String(e));
  } finally {
    await pool.dispose();
  }
});

test('a start that fails rejects with the reason the worker gave', async () => {
  await assert.rejects(startWorkerPool(options(2, { failStart: true })), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /cannot start/.test(e.message));
});

test('a worker that exits rejects its task with the stopped error; without replacements the queue fails too', async () => {
  const pool = await startWorkerPool<Task, Answer>(options(1));
  try {
    const dying = pool.run({ x: -1 });
    const queued = pool.run({ x: 2 });
    await assert.rejects(dying, (e: unknown) => e instanceof AnimesegError && /test worker stopped: exited with code 3/.test(e.message));
    await assert.rejects(queued, (e: unknown) => e instanceof AnimesegError && /no worker left/.test(e.message));
    assert.equal(pool.alive, 0);
  } finally {
    await pool.dispose();
  }
});

test('a dead worker is replaced while respawns last', async () => {
  const pool = await startWorkerPool<Task, Answer>(options(1, { respawns: 1 }));
  try {
    await assert.rejects(pool.run({ x: -1 }), AnimesegError);
    assert.equal((await pool.run({ x: 21 })).y, 42);
  } finally {
    await pool.dispose();
  }
});

test('dispose rejects queued and running tasks with the closed error', async () => {
  const pool = await startWorkerPool<Task, Answer>(options(1));
  const running = assert.rejects(pool.run({ x: 1, ms: 200 }), /test pool is closed/);
  const queued = assert.rejects(pool.run({ x: 2 }), /test pool is closed/);
  await pool.dispose();
  await running;
  await queued;
  await assert.rejects(pool.run({ x: 3 }), /test pool is closed/);
});
