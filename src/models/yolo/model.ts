/**
 * Loading a YOLOv8 (segment or detect) ONNX model in Node: read the file, validate its contract
 * (contract.ts), create the onnxruntime session, and run the network on a letterboxed tensor.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { readOnnxInfo } from '../onnx/proto.js';
import { acquireSession, ort, type SessionOptions, type SharedSession } from '../session.js';
import { asDetector, checkRawOutputs, readYoloContract, type YoloContract } from './contract.js';
import type { YoloRawOutputs } from './postprocess.js';
import { startInferencePool } from './worker-pool.js';

export interface YoloModel {
  path: string;
  contract: YoloContract;
  /** Run the network on a [1, 3, H, W] tensor (H, W = contract.imgsz). */
  run(tensor: Float32Array): Promise<YoloRawOutputs>;
  dispose(): Promise<void>;
}

export interface LoadYoloOptions extends SessionOptions {
  /** Input size for dynamic models (default: metadata imgsz, else 640). */
  imgsz?: number;
  /**
   * How many runs may be in flight at once (default 1). onnxruntime-node 1.30 executes runs one after the
   * other even across sessions (measured: two 1-thread runs side by side take as long as in sequence), so
   * more only helps with other providers.
   */
  slots?: number;
  /**
   * Run the model on this many worker threads (CPU only), each with its own session of `threads` threads,
   * instead of in this thread: inferences then really run side by side (see worker-pool.ts).
   */
  workers?: number;
  /** Use a segmentation model as a detector: boxes only, prototypes ignored (see asDetector). */
  detectOnly?: boolean;
}

export async function loadYoloModel(path: string, opts: LoadYoloOptions = {}): Promise<YoloModel> {
  const abs = resolvePath(path);
  let bytes: Uint8Array;
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw new Error('not a regular file');
    bytes = await readFile(abs);
  } catch (e) {
    throw new AnimesegError('MODEL_NOT_FOUND', `cannot read model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      file: abs,
      hint: "give a path to a .onnx file or a model name from 'animeseg models list'",
      cause: e,
    });
  }
  let contract: YoloContract;
  try {
    contract = readYoloContract(readOnnxInfo(bytes), abs, { imgsz: opts.imgsz });
    if (opts.detectOnly) contract = asDetector(contract);
  } catch (e) {
    if (e instanceof AnimesegError) throw e;
    throw new AnimesegError('BAD_MODEL', `not a readable ONNX model (${(e as Error).message})`, {
      file: abs,
      hint: 'the file may be truncated or not an ONNX model; download it again',
      cause: e,
    });
  }
  if ((opts.workers ?? 0) > 1 && (opts.device ?? 'cpu') === 'cpu') {
    const pool = await startInferencePool(abs, contract, { workers: opts.workers!, threads: opts.threads ?? 1, spin: opts.spin });
    return { path: abs, contract, run: (tensor) => pool.run(tensor), dispose: () => pool.close() };
  }
  const shared: SharedSession = await acquireSession(abs, opts);
  const [ih, iw] = contract.imgsz;
  // At most `slots` runs at a time (default 1): one run already spreads over the intra-op threads, and
  // queueing here keeps the waiting time out of the run's own timing.
  const slots = Math.max(1, Math.floor(opts.slots ?? 1));
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    path: abs,
    contract,
    async run(tensor: Float32Array): Promise<YoloRawOutputs> {
      if (active >= slots) await new Promise<void>((res) => waiting.push(res));
      active++;
      try {
        return await runOnce(tensor);
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
    dispose: () => shared.release(),
  };

  async function runOnce(tensor: Float32Array): Promise<YoloRawOutputs> {
    const t0 = performance.now();
    const feeds = { [contract.inputName]: new ort.Tensor('float32', tensor, [1, 3, ih, iw]) };
    const res = await shared.session.run(feeds);
    const o0 = res[contract.output0Name];
    const o1 = contract.protosName ? res[contract.protosName] : undefined;
    return checkRawOutputs(
      contract,
      { data: o0.data as Float32Array, dims: o0.dims },
      o1 && { data: o1.data as Float32Array, dims: o1.dims },
      abs,
      performance.now() - t0,
    );
  }
}
