/**
 * The predictor core's backend in the page: an onnxruntime-web session (WebGPU where the browser has one,
 * WASM otherwise). The model's contract is read from its bytes exactly as in Node (contract.ts over the
 * pure-TypeScript ONNX reader), and every run's outputs go through the same shape check (checkRawOutputs).
 *
 * onnxruntime-web itself is NOT bundled: it is imported at run time from the server's /ort/ folder, which
 * also serves its .wasm files, so the bundle stays small and ort finds its binaries next to its script.
 */
import type * as Ort from 'onnxruntime-web';
import { readOnnxInfo } from '../models/onnx/proto.js';
import { checkRawOutputs, readYoloContract, type YoloContract } from '../models/yolo/contract.js';
import type { YoloBackend } from '../models/yolo/predictor.js';

export interface OrtWebBackendOptions {
  /** URL of the .onnx (the server's /models/active.onnx); or give the bytes as `model`. */
  modelUrl?: string;
  /** The .onnx bytes (an app that fetched or bundled the model itself); wins over `modelUrl`. */
  model?: ArrayBuffer | Uint8Array;
  /**
   * An onnxruntime-web module the app imported itself (`import * as ort from 'onnxruntime-web'`), so its
   * bundler resolves and serves it; else it is imported at run time from `ortBase`.
   */
  ort?: typeof Ort;
  /**
   * Folder URL serving onnxruntime-web's dist files (ort.*.mjs and *.wasm), ending in '/': where the module
   * is imported from when `ort` is not given, and where its .wasm files are fetched from when it is set.
   */
  ortBase?: string;
  /** 'auto' = WebGPU when an adapter exists, else WASM; 'wasm' / 'webgpu' force one. */
  provider?: 'auto' | 'wasm' | 'webgpu' | string;
}

export interface OrtWebBackend extends YoloBackend {
  readonly provider: 'webgpu' | 'wasm';
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

export async function createOrtWebBackend(opts: OrtWebBackendOptions): Promise<OrtWebBackend> {
  const want = opts.provider ?? 'auto';
  const useGpu = want === 'webgpu' || (want === 'auto' && (await hasWebGpu()));
  // The WebGPU build also carries the WASM backend (for ops WebGPU lacks, e.g. ConvInteger of int8 models).
  let ort = opts.ort;
  if (!ort) {
    if (!opts.ortBase) throw new Error("pass 'ort' (import * as ort from 'onnxruntime-web') or 'ortBase' (a URL serving onnxruntime-web's dist files)");
    const ortUrl = `${opts.ortBase}${useGpu ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs'}`;
    ort = (await import(/* webpackIgnore: true */ ortUrl)) as typeof Ort;
  }
  if (opts.ortBase) ort.env.wasm.wasmPaths = opts.ortBase;
  // Threads need cross-origin isolation (the server sends COOP/COEP); otherwise one thread.
  if (!globalThis.crossOriginIsolated) ort.env.wasm.numThreads = 1;
  const source = opts.modelUrl ?? 'model.onnx';
  let bytes: Uint8Array;
  if (opts.model) bytes = opts.model instanceof Uint8Array ? opts.model : new Uint8Array(opts.model);
  else if (opts.modelUrl) {
    const res = await fetch(opts.modelUrl);
    if (!res.ok) throw new Error(`cannot load the model from ${opts.modelUrl}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else throw new Error("pass the model as 'modelUrl' or as its bytes in 'model'");
  const contract: YoloContract = readYoloContract(readOnnxInfo(bytes), source);
  if (contract.task === 'detect') {
    // Detection-only exports need a box prior and the server's pipeline (docs/DETECTION.md).
    throw new Error('this model is detection-only (no mask prototypes): in-browser mode needs a YOLOv8-seg model; run it on the server instead');
  }
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: useGpu ? ['webgpu', 'wasm'] : ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const [ih, iw] = contract.imgsz;
  return {
    contract,
    provider: useGpu ? 'webgpu' : 'wasm',
    async run(tensor) {
      const out = await session.run({ [contract.inputName]: new ort.Tensor('float32', tensor, [1, 3, ih, iw]) });
      const o0 = out[contract.output0Name]!;
      const o1 = out[contract.protosName!]!;
      try {
        return checkRawOutputs(
          contract,
          { data: (await o0.getData()) as Float32Array, dims: o0.dims },
          { data: (await o1.getData()) as Float32Array, dims: o1.dims },
          source,
        );
      } finally {
        o0.dispose();
        o1.dispose();
      }
    },
    dispose: () => session.release(),
  };
}
