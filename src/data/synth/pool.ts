/**
 * A small worker_threads pool for synthesis: hands out tasks as workers finish (two in flight per worker),
 * so a slow image never stalls the others. Results arrive in completion order.
 */
import { Worker } from 'node:worker_threads';
import { AnimesegError } from '../../errors.js';
import type { RendererInit, RenderResult, RenderTask } from './render.js';
import { workerSpec } from '../../util/worker-spec.js';

export async function runPool(
  init: RendererInit,
  tasks: readonly RenderTask[],
  workers: number,
  onResult: (r: RenderResult) => void,
): Promise<void> {
  if (tasks.length === 0) return;
  const n = Math.max(1, Math.min(workers, tasks.length));
  const spec = workerSpec(import.meta.url, './worker');
  let next = 0;
  let done = 0;
  const pool: Worker[] = [];
  await new Promise<void>((resolvePool, rejectPool) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      rejectPool(new AnimesegError('IO', `synthesis worker failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    };
    const feed = (w: Worker) => {
      if (next < tasks.length) w.postMessage(tasks[next++]);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(spec.url, { workerData: { init, entry: spec.entry } });
      pool.push(w);
      w.on('message', (r: RenderResult) => {
        onResult(r);
        done++;
        if (done === tasks.length) {
          for (const x of pool) void x.terminate();
          resolvePool();
        } else feed(w);
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && done < tasks.length) fail(new Error(`worker exited with code ${code}`));
      });
      feed(w);
      feed(w);
    }
  });
}
