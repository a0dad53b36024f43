/**
 * YOLO inference on a pool of worker threads, each with its own single- (or few-) threaded onnxruntime
 * session. Why: onnxruntime-node runs the inferences of one process one at a time (measured with 1.30: two
 * sessions in the same thread take turns), while sessions in separate worker threads run side by side.
 * On 2 cores, two 1-thread workers give ~48 ms/image against ~58 ms/image for one 2-thread session, and
 * a single-threaded run leaves the other images' decoding and encoding fewer stragglers to wait for.
 *
 * The worker is a small CommonJS script passed as a string (`eval: true`), so it needs no TypeScript loader
 * and works the same from the sources (tsx) and from the build; it speaks src/util/worker-pool.ts's protocol.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { AnimesegError } from '../../errors.js';
import { startWorkerPool } from '../../util/worker-pool.js';
import { checkRawOutputs, type YoloContract } from './contract.js';
import type { YoloRawOutputs } from './postprocess.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: workerData.threads,
      extra: { session: { intra_op: { allow_spinning: workerData.spin ? '1' : '0' } } },
    });
  } catch (e) {
    parentPort.postMessage({ type: 'failed', error: { message: String(e && e.message || e) } });
    return;
  }
  parentPort.on('message', async ({ id, task }) => {
    const t0 = performance.now();
    try {
      const res = await session.run({ [workerData.inputName]: new ort.Tensor('float32', task.tensor, task.dims) });
      const o0 = res[workerData.output0Name];
      const o1 = workerData.protosName ? res[workerData.protosName] : undefined;
      parentPort.postMessage({ type: 'result', id, value: { o0: o0.data, d0: o0.dims, o1: o1 && o1.data, d1: o1 && o1.dims, ms: performance.now() - t0 } });
    } catch (e) {
      parentPort.postMessage({ type: 'error', id, error: { message: String(e && e.message || e) } });
    }
  });
  parentPort.postMessage({ type: 'ready' });
})();
`;

interface RunTask {
  tensor: Float32Array;
  dims: number[];
}

interface RunAnswer {
  o0: Float32Array;
  d0: number[];
  o1?: Float32Array;
  d1?: number[];
  ms: number;
}

export interface InferencePool {
  run(tensor: Float32Array): Promise<YoloRawOutputs>;
  close(): Promise<void>;
}

/** Start `workers` threads, each loading the model with `threads` intra-op threads. */
export async function startInferencePool(
  path: string,
  contract: YoloContract,
  opts: { workers: number; threads: number; spin?: boolean },
): Promise<InferencePool> {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const data = {
    ortPath,
    path,
    threads: Math.max(1, opts.threads),
    spin: opts.spin ?? false,
    inputName: contract.inputName,
    output0Name: contract.output0Name,
    protosName: contract.protosName,
  };
  const [ih, iw] = contract.imgsz;
  const fail = (message: string): AnimesegError =>
    new AnimesegError('BAD_MODEL', `inference worker failed: ${message}`, { file: path, hint: 'try --concurrency 1 to run the model in the main thread' });
  const pool = await startWorkerPool<RunTask, RunAnswer>({
    workers: opts.workers,
    create: () => new Worker(WORKER_SOURCE, { eval: true, workerData: data }),
    stopped: fail,
    answered: (e) => fail(e.message),
    closed: () => new Error('inference pool is closed'),
  });

  return {
    async run(tensor: Float32Array): Promise<YoloRawOutputs> {
      // Copy into a buffer we can hand over (the caller's tensor may be a view it keeps using).
      const copy = tensor.slice();
      const m = await pool.run({ tensor: copy, dims: [1, 3, ih, iw] }, [copy.buffer]);
      return checkRawOutputs(contract, { data: m.o0, dims: m.d0 }, m.o1 && { data: m.o1, dims: m.d1! }, path, m.ms);
    },
    close: () => pool.dispose(),
  };
}
