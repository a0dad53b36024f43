// planThreads: threads per model run and runs in flight; expected values by hand from its rule
// (threads = cores / concurrency, at least 1; runs = min(concurrency, cores / threads)).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planThreads } from '../../src/pipeline/batch.js';

test('threads and runs in flight for a batch', () => {
  assert.deepEqual(planThreads(1, undefined, 2), { threads: 2, slots: 1 }); // one image: the whole CPU
  assert.deepEqual(planThreads(2, undefined, 2), { threads: 1, slots: 2 });
  assert.deepEqual(planThreads(4, undefined, 2), { threads: 1, slots: 2 }); // never more runs than cores
  assert.deepEqual(planThreads(2, undefined, 16), { threads: 8, slots: 2 });
  assert.deepEqual(planThreads(3, undefined, 16), { threads: 5, slots: 3 });
  assert.deepEqual(planThreads(2, 2, 2), { threads: 2, slots: 1 }); // explicit threads are kept
  assert.deepEqual(planThreads(4, 1, 2), { threads: 1, slots: 2 });
});
