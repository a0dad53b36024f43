// planInference: inference workers and threads for a batch; expected values by hand from its rule
// (workers = min(images in flight, cores / threads), threads 1 unless given; one worker = in-process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planInference } from '../../src/pipeline/batch.js';

test('inference workers for a batch', () => {
  assert.deepEqual(planInference(4, 40, undefined, 2), { workers: 2, threads: 1 }); // one worker per core
  assert.deepEqual(planInference(4, 1, undefined, 2), { workers: 1, threads: undefined }); // one image: all cores in one run
  assert.deepEqual(planInference(1, 40, undefined, 2), { workers: 1, threads: undefined });
  assert.deepEqual(planInference(4, 40, undefined, 16), { workers: 4, threads: 1 });
  assert.deepEqual(planInference(4, 40, 4, 16), { workers: 4, threads: 4 });
  assert.deepEqual(planInference(4, 40, 2, 2), { workers: 1, threads: 2 }); // the threads fill the cores
  assert.deepEqual(planInference(4, 40, undefined, 1), { workers: 1, threads: undefined });
});
