// planInference: inference workers and threads for a batch; expected values by hand from its rule
// (workers = min(images in flight, cores / threads), threads 1 unless given; one worker = in-process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planInference, planRefine } from '../../src/pipeline/run/batch.js';

test('inference workers for a batch', () => {
  assert.deepEqual(planInference(4, 40, undefined, 2), { workers: 2, threads: 1 }); // one worker per core
  assert.deepEqual(planInference(4, 1, undefined, 2), { workers: 1, threads: undefined }); // one image: all cores in one run
  assert.deepEqual(planInference(1, 40, undefined, 2), { workers: 1, threads: undefined });
  assert.deepEqual(planInference(4, 40, undefined, 16), { workers: 4, threads: 1 });
  assert.deepEqual(planInference(4, 40, 4, 16), { workers: 4, threads: 4 });
  assert.deepEqual(planInference(4, 40, 2, 2), { workers: 1, threads: 2 }); // the threads fill the cores
  assert.deepEqual(planInference(4, 40, undefined, 1), { workers: 1, threads: undefined });
});

// planRefine: refine workers = min(images in flight, cores / 2) for the pure-CPU refiners, else 0 (in-process).
test('refine workers for a batch', () => {
  assert.equal(planRefine('regions', false, 4, 40, 2), 1);
  assert.equal(planRefine('regions', true, 4, 40, 16), 4);
  assert.equal(planRefine('regions', false, 2, 40, 16), 2);
  assert.equal(planRefine('none', true, 4, 40, 8), 4);
  assert.equal(planRefine('none', false, 4, 40, 8), 0); // nothing to refine
  assert.equal(planRefine('vote', false, 4, 40, 8), 0); // SAM stays in-process
  assert.equal(planRefine('box', true, 4, 40, 8), 0);
  assert.equal(planRefine('regions', false, 4, 1, 8), 0); // one image: in-process
  assert.equal(planRefine('regions', false, 1, 40, 8), 0);
  assert.equal(planRefine('regions', false, 4, 40, 1), 0); // one core
});
