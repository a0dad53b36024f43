/**
 * Synthesis on worker threads (src/util/worker-pool.ts): tasks go out as workers finish, two in flight per
 * worker, so a slow image never stalls the others. Results arrive in completion order; the first worker
 * failure stops the run.
 */
import { Worker } from 'node:worker_threads';
import { AnimesegError } from '../../errors.js';
import type { RendererInit, RenderResult, RenderTask } from './render.js';
import { workerSpec } from '../../util/worker-spec.js';
import { startWorkerPool } from '../../util/worker-pool.js';

const failed = (why: string): AnimesegError => new AnimesegError('IO', `synthesis worker failed: ${why}`);

export async function runPool(
  init: RendererInit,
  tasks: readonly RenderTask[],
  workers: number,
  onResult: (r: RenderResult) => void,
): Promise<void> {
  if (tasks.length === 0) return;
  const spec = workerSpec(import.meta.url, './worker');
  const pool = await startWorkerPool<RenderTask, RenderResult>({
    workers: Math.min(workers, tasks.length),
    create: () => new Worker(spec.url, { workerData: { init, entry: spec.entry } }),
    // While one image is JPEG-encoded and written (sharp's threads, file system), the next one is composed.
    inFlight: 2,
    stopped: failed,
    answered: (e) => failed(e.message),
    closed: () => failed('the run stopped'),
  });
  try {
    await Promise.all(tasks.map((t) => pool.run(t).then(onResult)));
  } finally {
    await pool.dispose();
  }
}
