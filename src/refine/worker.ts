/**
 * Refinement worker thread (see worker-pool.ts): builds the refiner once from workerData, then runs the
 * refinement stage (stage.ts) on one image per task. Errors go back as { code, message, hint, file } so only that image fails.
 */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../util/worker-serve.js';
import { createRefiner } from './registry.js';
import type { Instance } from '../contracts.js';
import { runRefineStage } from './stage.js';
import type { RefineAnswer, RefineJob } from './worker-pool.js';

function buffersOf(instances: Instance[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const i of instances) {
    if (i.mask?.data?.buffer instanceof ArrayBuffer) set.add(i.mask.data.buffer);
    if (i.alpha?.buffer instanceof ArrayBuffer) set.add(i.alpha.buffer);
  }
  return [...set];
}

await serveTasks<RefineJob, RefineAnswer>(async () => {
  const refiner = await createRefiner(workerData.name, workerData.options ?? {});
  return async (job) => {
    const answer = await runRefineStage(refiner, job.image, job.instances, job.soft);
    return { value: answer, transfer: buffersOf(answer.instances) };
  };
});
