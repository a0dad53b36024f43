/** WorkQueue on its own: limits, order, timeout before start, Retry-After, idle. Hand-worked schedules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/server/work-queue.js';
import { HttpError } from '../../src/server/http-errors.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('runs at most `concurrency` jobs, queues up to maxQueued, refuses the rest with 503 BUSY', async () => {
  const q = new WorkQueue({ concurrency: 2, maxQueued: 1 });
  const gates = [deferred(), deferred(), deferred()];
  const order: number[] = [];
  const jobs = gates.map((g, i) => q.run(async () => {
    order.push(i);
    await g.promise;
    return i;
  }));
  // Hand count: 2 running (0, 1), 1 waiting (2); a 4th has no room.
  assert.deepEqual([q.stats.running, q.stats.queued], [2, 1]);
  await assert.rejects(q.run(async () => 9), (e: unknown) => e instanceof HttpError && e.status === 503 && e.code === 'BUSY' && /^\d+$/.test(e.headers['retry-after']!));
  assert.equal(q.stats.rejected, 1);
  gates[1]!.resolve();
  assert.equal(await jobs[1], 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [0, 1, 2], 'the queued job starts when a slot frees');
  gates[0]!.resolve();
  gates[2]!.resolve();
  assert.deepEqual(await Promise.all(jobs), [0, 1, 2]);
  await q.onIdle();
  assert.equal(q.stats.completed, 3);
});

test('a job still waiting at its deadline is dropped and never runs', async () => {
  const q = new WorkQueue({ concurrency: 1, maxQueued: 5 });
  const hold = deferred();
  const first = q.run(() => hold.promise);
  let ran = false;
  const second = q.run(async () => {
    ran = true;
  }, 50);
  await assert.rejects(second, (e: unknown) => e instanceof HttpError && e.code === 'TIMEOUT');
  assert.equal(q.stats.queued, 0, 'removed from the queue');
  hold.resolve();
  await first;
  await q.onIdle();
  assert.equal(ran, false);
});

test('errors from a job reach its caller and free the slot', async () => {
  const q = new WorkQueue({ concurrency: 1, maxQueued: 0 });
  await assert.rejects(q.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await q.run(async () => 'next'), 'next');
});

test('Retry-After: jobs ahead x average run time / concurrency, at least 1 s', async () => {
  const q = new WorkQueue({ concurrency: 1, maxQueued: 0 });
  // No history: 1 s per job assumed; an empty queue still says 1.
  assert.equal(q.retryAfterSec(), 1);
  await q.run(() => new Promise((r) => setTimeout(r, 30)));
  // avg ~30 ms, nothing ahead: ceil(0) → clamped to 1.
  assert.equal(q.retryAfterSec(), 1);
});
