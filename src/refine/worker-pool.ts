/**
 * Refinement on worker threads. The pure-JS refiners ('regions', and 'none' with a soft edge) otherwise run
 * on the main thread, which then becomes the bottleneck of a batch while the YOLO workers wait. Each worker
 * builds the refiner once (createRefiner) and refines one image at a time; images queue for a free worker.
 * Results are the refiner's own output (structured clone), so they are the same bytes as in-process.
 * 'vote' and 'box' (SAM on onnxruntime) stay in-process: they have their own threads and large models.
 */
import { Worker } from 'node:worker_threads';
import { AnimesegError, type ErrorCode } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Instance, Refiner } from '../contracts.js';
import { workerSpec } from '../util/worker-spec.js';
import type { RefinerOptions } from './index.js';
import type { RefineTimings, TimedRefiner } from './types.js';

export interface RefineJob {
  id: number;
  image: RawImage;
  instances: Instance[];
}

/** An error as it crosses the thread boundary: `code` only for AnimesegError. */
export interface WorkerError {
  code?: string;
  message: string;
  hint?: string;
  file?: string;
}

export type RefineReply =
  | { type: 'ready' }
  | { type: 'failed'; error: WorkerError }
  | { type: 'result'; id: number; instances: Instance[]; timings?: RefineTimings }
  | { type: 'error'; id: number; error: WorkerError };

/** Refiners that are plain CPU code and may run in refine workers. */
export function refinerRunsInWorkers(name: string): boolean {
  return name === 'regions' || name === 'none';
}

export interface RefinerPool extends Refiner, TimedRefiner {
  /** Terminates the workers; images still queued fail. */
  dispose(): Promise<void>;
}

interface Pending {
  job: RefineJob;
  transfer: ArrayBuffer[];
  resolve: (r: Instance[]) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  current?: Pending;
}

function fromWire(e: WorkerError): Error {
  if (e.code) return new AnimesegError(e.code as ErrorCode, e.message, { hint: e.hint, file: e.file });
  return new Error(e.message);
}

/** A copy in a buffer of its own, so it can be transferred without detaching the caller's data. */
function own(src: Uint8Array): Uint8Array {
  const c = new Uint8Array(src.length);
  c.set(src);
  return c;
}

/**
 * Start `workers` threads running refiner `name` with `options` (plain data: it is cloned to each thread).
 * Resolves once every worker has built its refiner; a bad option rejects here, as createRefiner would.
 */
export async function startRefinerPool(name: string, options: RefinerOptions, opts: { workers: number }): Promise<RefinerPool> {
  if (!refinerRunsInWorkers(name)) {
    throw new AnimesegError('BAD_OPTION', `refiner '${name}' cannot run in refine workers`, { hint: 'only regions and none run in workers; use refineWorkers: 0' });
  }
  const n = Math.max(1, Math.floor(opts.workers));
  const spec = workerSpec(import.meta.url, './worker');
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let closed = false;
  let nextId = 0;
  // A worker that dies (out of memory, a crash) fails its image and is replaced; a limit stops a crash loop.
  let respawns = 4 * n;

  const dispatch = (): void => {
    for (const s of slots) {
      if (queue.length === 0) return;
      if (!s.ready || s.dead || s.current) continue;
      const p = queue.shift()!;
      s.current = p;
      s.worker.ref(); // busy workers keep the process alive; idle ones do not (see done()).
      s.worker.postMessage(p.job, p.transfer);
    }
    if (queue.length > 0 && !slots.some((s) => !s.dead)) {
      for (const p of queue.splice(0)) p.reject(new Error('refine workers stopped'));
    }
  };

  const done = (s: Slot): Pending | undefined => {
    const p = s.current;
    s.current = undefined;
    s.worker.unref();
    return p;
  };

  const spawn = (): { slot: Slot; started: Promise<void> } => {
    let worker: Worker;
    try {
      worker = new Worker(spec.url, { workerData: { entry: spec.entry, name, options } });
    } catch (e) {
      throw new AnimesegError('BAD_OPTION', `refine options cannot be sent to a worker: ${(e as Error).message}`, { hint: 'options must be plain data', cause: e });
    }
    const slot: Slot = { worker, ready: false, dead: false };
    slots.push(slot);
    const started = new Promise<void>((resolve, reject) => {
      const died = (why: string): void => {
        if (slot.dead) return;
        slot.dead = true;
        slots.splice(slots.indexOf(slot), 1);
        reject(new Error(`refine worker stopped: ${why}`));
        const p = done(slot);
        p?.reject(new Error(`refine worker stopped: ${why}`));
        if (closed) return;
        if (slot.ready && respawns > 0) {
          respawns--;
          try {
            spawn().started.catch(() => undefined);
          } catch {
            // No replacement: the remaining workers take the queue (or it fails in dispatch).
          }
        }
        dispatch();
      };
      worker.on('message', (m: RefineReply) => {
        if (m.type === 'ready') {
          slot.ready = true;
          worker.unref();
          resolve();
          dispatch();
        } else if (m.type === 'failed') {
          reject(fromWire(m.error));
          slot.dead = true;
          slots.splice(slots.indexOf(slot), 1);
          void worker.terminate();
          dispatch();
        } else {
          const p = done(slot);
          if (p && p.job.id === m.id) {
            if (m.type === 'result') {
              self.lastTimings = m.timings;
              p.resolve(m.instances);
            } else p.reject(fromWire(m.error));
          }
          dispatch();
        }
      });
      worker.on('error', (e) => died(e.message));
      worker.on('exit', (code) => {
        if (!closed) died(`exited with code ${code}`);
      });
    });
    return { slot, started };
  };

  const self = {
    name,
    lastTimings: undefined as RefineTimings | undefined,
    async refine(image: RawImage, instances: Instance[]): Promise<Instance[]> {
      if (closed) throw new Error('refine workers are closed');
      if (instances.length === 0) return [];
      // Copies, transferred: the caller keeps its image (cutouts are cut from it) and its instances.
      const data = own(image.data);
      const transfer: ArrayBuffer[] = [data.buffer as ArrayBuffer];
      const sent = instances.map((inst) => {
        const mask = { ...inst.mask, data: own(inst.mask.data) };
        transfer.push(mask.data.buffer as ArrayBuffer);
        const copy: Instance = { ...inst, mask };
        if (inst.alpha) {
          copy.alpha = own(inst.alpha);
          transfer.push(copy.alpha.buffer as ArrayBuffer);
        }
        return copy;
      });
      const job: RefineJob = { id: nextId++, image: { ...image, data }, instances: sent };
      return new Promise<Instance[]>((resolve, reject) => {
        queue.push({ job, transfer, resolve, reject });
        dispatch();
      });
    },
    async dispose(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const p of queue.splice(0)) p.reject(new Error('refine workers are closed'));
      for (const s of slots) done(s)?.reject(new Error('refine workers are closed'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };

  const starts = Array.from({ length: n }, () => spawn().started);
  try {
    await Promise.all(starts);
  } catch (e) {
    await self.dispose();
    throw e;
  }
  return self;
}
