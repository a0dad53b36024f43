/**
 * Refinement worker thread (see worker-pool.ts): builds the refiner once from workerData, then refines one
 * image per message. Errors go back as { code, message, hint, file } so only that image fails.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AnimesegError } from '../errors.js';
import { createRefiner } from './index.js';
import type { Instance, Refiner } from '../contracts.js';
import type { TimedRefiner } from './types.js';
import type { RefineJob, RefineReply, WorkerError } from './worker-pool.js';

function toWire(e: unknown): WorkerError {
  // Only AnimesegError codes travel as codes; any other error stays an unexpected one on the main side.
  if (e instanceof AnimesegError) return { code: e.code, message: e.message, hint: e.hint, file: e.file };
  return { message: e instanceof Error ? e.message : String(e) };
}

function buffersOf(instances: Instance[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const i of instances) {
    if (i.mask?.data?.buffer instanceof ArrayBuffer) set.add(i.mask.data.buffer);
    if (i.alpha?.buffer instanceof ArrayBuffer) set.add(i.alpha.buffer);
  }
  return [...set];
}

const port = parentPort!;
let refiner: Refiner | undefined;
try {
  refiner = await createRefiner(workerData.name, workerData.options ?? {});
  port.postMessage({ type: 'ready' } satisfies RefineReply);
} catch (e) {
  // The pool rejects its start with this error and terminates the thread.
  port.postMessage({ type: 'failed', error: toWire(e) } satisfies RefineReply);
}
if (refiner) {
  const r = refiner;
  port.on('message', async (job: RefineJob) => {
    let reply: RefineReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const out = await r.refine(job.image, job.instances);
      reply = { type: 'result', id: job.id, instances: out, timings: (r as TimedRefiner).lastTimings };
      transfer = buffersOf(out);
    } catch (e) {
      reply = { type: 'error', id: job.id, error: toWire(e) };
    }
    try {
      port.postMessage(reply, transfer);
    } catch (e) {
      port.postMessage({ type: 'error', id: job.id, error: toWire(e) } satisfies RefineReply);
    }
  });
}
