/**
 * The refinement stage (stage.ts) on worker threads. The pure-JS refiners (descriptor `inWorkers`: 'regions',
 * and 'none' with a soft edge) otherwise run on the main thread, which then becomes the bottleneck of a batch while the YOLO workers
 * wait. Each worker builds the refiner once (createRefiner) and runs runRefineStage on one image at a time;
 * images queue for a free worker. Results are the stage's own output (structured clone), so they are the
 * same bytes as in-process.
 * 'vote' and 'box' (SAM on onnxruntime) stay in-process: they have their own threads and large models.
 */
import { Worker } from 'node:worker_threads';
import { AnimesegError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Instance } from '../contracts.js';
import { workerSpec } from '../util/worker-spec.js';
import { startWorkerPool, type WorkerPool } from '../util/worker-pool.js';
import type { RefinerOptions } from './descriptor.js';
import { REFINERS, refinerRunsInWorkers } from './registry.js';
import type { RefineStage, StageResult } from './stage.js';
import type { SoftEdgeOptions } from './types.js';

/** One image to refine, as it goes to a worker, with the soft edge asked for it (null: none). */
export interface RefineJob {
  image: RawImage;
  instances: Instance[];
  soft: SoftEdgeOptions | null;
}

/** A worker's answer: the stage's output and its timings. */
export type RefineAnswer = StageResult;

// Which refiners may run here is their descriptor's `inWorkers` (registry.ts).
export { refinerRunsInWorkers };

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
export async function startRefinerPool(name: string, options: RefinerOptions, opts: { workers: number }): Promise<RefineStage> {
  if (!refinerRunsInWorkers(name)) {
    throw new AnimesegError('BAD_OPTION', `refiner '${name}' cannot run in refine workers`, { hint: `only ${REFINERS.filter((r) => r.inWorkers).map((r) => r.name).join(' and ')} run in workers; use refineWorkers: 0` });
  }
  const spec = workerSpec(import.meta.url, './worker');
  const closed = (): Error => new Error('refine workers are closed');
  const pool: WorkerPool<RefineJob, RefineAnswer> = await startWorkerPool<RefineJob, RefineAnswer>({
      workers: opts.workers,
      create: () => {
        try {
          return new Worker(spec.url, { workerData: { entry: spec.entry, name, options } });
        } catch (e) {
          throw new AnimesegError('BAD_OPTION', `refine options cannot be sent to a worker: ${(e as Error).message}`, { hint: 'options must be plain data', cause: e });
        }
      },
      // A worker that dies (out of memory, a crash) fails its image and is replaced; a limit stops a crash loop.
      respawns: 4 * Math.max(1, Math.floor(opts.workers)),
      stopped: (why) => new AnimesegError('IO', `refine worker stopped: ${why}`, { hint: 'refineWorkers: 0 refines in the main thread' }),
      closed,
    });
  let disposed = false;

  return {
    name,
    async run<T extends Instance>(image: RawImage, instances: T[], soft: SoftEdgeOptions | null): Promise<StageResult<T>> {
      if (disposed) throw closed();
      if (instances.length === 0) return { instances, timings: {} };
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
      return (await pool.run({ image: { ...image, data }, instances: sent, soft }, transfer)) as StageResult<T>;
    },
    async dispose(): Promise<void> {
      disposed = true;
      await pool.dispose();
    },
  };
}
