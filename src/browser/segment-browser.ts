/**
 * In-browser YOLOv8-seg: onnxruntime-web (WebGPU where the browser has it, WASM otherwise) plus the
 * project's own pure-TypeScript pre/post-processing (src/models/yolo), so results match the server and the
 * image never leaves the machine. Bundled by esbuild into web/dist/animeseg-browser.js (src/server/build-web.ts).
 *
 * onnxruntime-web itself is NOT bundled: it is imported at run time from the server's /ort/ folder, which
 * also serves its .wasm files, so the bundle stays small and ort finds its binaries next to its script.
 */
import type * as Ort from 'onnxruntime-web';
import type { RawImage } from '../image/types.js';
import { letterboxTensor } from '../models/yolo/letterbox.js';
import { postprocess } from '../models/yolo/postprocess.js';
import { toRgb } from '../image/pixels.js';
import { createRegionsRefiner } from '../refine/regions/refiner.js';
import type { Refiner, Instance } from '../pipeline/types.js';
import { detectionToInstance } from '../pipeline/instances.js';

/** Refiners that are pure TypeScript and so run in the page too (SAM ones need the server). */
export const BROWSER_REFINERS = ['none', 'regions'] as const;
export type BrowserRefine = (typeof BROWSER_REFINERS)[number];

export interface BrowserSegmenterOptions {
  /** URL of the .onnx (the server's /models/active.onnx). */
  modelUrl: string;
  /** Folder URL serving onnxruntime-web's dist files (ort.*.mjs and *.wasm), ending in '/'. */
  ortBase: string;
  classNames: string[];
  /** Classes kept by default (e.g. [0] = person for COCO); undefined = all. */
  defaultClasses?: number[];
  /** 'auto' = WebGPU when an adapter exists, else WASM; 'wasm' / 'webgpu' force one. */
  provider?: 'auto' | 'wasm' | 'webgpu' | string;
}

export interface BrowserInstance {
  classId: number;
  className: string;
  score: number;
  box: [number, number, number, number];
  /** Row-major 0/1, full image size. */
  mask: Uint8Array;
}

export interface BrowserResult {
  instances: BrowserInstance[];
  timings: Record<string, number>;
  backend: 'webgpu' | 'wasm';
}

export interface BrowserSegmenter {
  backend: 'webgpu' | 'wasm';
  inputSize: [number, number];
  segment(
    img: { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels: 3 | 4 },
    opts?: { conf?: number; iou?: number; classes?: number[] | 'all'; refine?: BrowserRefine },
  ): Promise<BrowserResult>;
  release(): Promise<void>;
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

/** The static input size from the model's first input dims [1, 3, H, W]; dynamic dims fall back to 640. */
function inputSizeOf(session: Ort.InferenceSession): [number, number] {
  const meta = (session as unknown as { inputMetadata?: { shape?: (number | string)[] }[] }).inputMetadata?.[0];
  const dims = meta?.shape;
  const h = typeof dims?.[2] === 'number' && dims[2] > 0 ? dims[2] : 640;
  const w = typeof dims?.[3] === 'number' && dims[3] > 0 ? dims[3] : 640;
  return [h, w];
}

export async function createBrowserSegmenter(opts: BrowserSegmenterOptions): Promise<BrowserSegmenter> {
  const want = opts.provider ?? 'auto';
  const useGpu = want === 'webgpu' || (want === 'auto' && (await hasWebGpu()));
  // The WebGPU build also carries the WASM backend (for ops WebGPU lacks, e.g. ConvInteger of int8 models).
  const ortUrl = `${opts.ortBase}${useGpu ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs'}`;
  const ort = (await import(/* webpackIgnore: true */ ortUrl)) as typeof Ort;
  ort.env.wasm.wasmPaths = opts.ortBase;
  // Threads need cross-origin isolation (the server sends COOP/COEP); otherwise one thread.
  if (!globalThis.crossOriginIsolated) ort.env.wasm.numThreads = 1;
  const model = new Uint8Array(await (await fetch(opts.modelUrl)).arrayBuffer());
  const session = await ort.InferenceSession.create(model, {
    executionProviders: useGpu ? ['webgpu', 'wasm'] : ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const [inH, inW] = inputSizeOf(session);
  const inputName = session.inputNames[0]!;
  const [out0Name, out1Name] = session.outputNames;
  if (!out1Name) {
    await session.release();
    // Detection-only exports need a box prior and the server's pipeline (docs/DETECTION.md).
    throw new Error('this model is detection-only (no mask prototypes): in-browser mode needs a YOLOv8-seg model; run it on the server instead');
  }
  const backend: 'webgpu' | 'wasm' = useGpu ? 'webgpu' : 'wasm';
  const nc = opts.classNames.length;
  let regions: Refiner | undefined; // created on first use, then reused

  return {
    backend,
    inputSize: [inH, inW],
    async segment(img, so = {}) {
      const t0 = performance.now();
      const raw: RawImage = { data: img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length), width: img.width, height: img.height, channels: img.channels };
      const { tensor, geometry } = letterboxTensor(raw, inW, inH);
      const t1 = performance.now();
      const feeds = { [inputName]: new ort.Tensor('float32', tensor, [1, 3, inH, inW]) };
      const out = await session.run(feeds);
      const o0 = out[out0Name!]!;
      const o1 = out[out1Name!]!;
      const output0 = (await o0.getData()) as Float32Array;
      const protosData = (await o1.getData()) as Float32Array;
      const t2 = performance.now();
      const [, nm, mh, mw] = o1.dims as number[];
      const anchors = (o0.dims as number[])[2]!;
      const classes = so.classes === 'all' ? null : (so.classes ?? opts.defaultClasses ?? null);
      const dets = postprocess(
        { output0, anchors, nc, protos: { data: protosData, nm: nm!, mh: mh!, mw: mw! } },
        geometry,
        { conf: so.conf ?? 0.25, iou: so.iou ?? 0.7, maxDet: 300, classes, masks: 'native' },
      );
      o0.dispose();
      o1.dispose();
      const t3 = performance.now();
      let instances: Instance[] = dets.map((d) => detectionToInstance(d, opts.classNames));
      const timings: Record<string, number> = { preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2 };
      const refine = so.refine ?? 'none';
      if (!(BROWSER_REFINERS as readonly string[]).includes(refine)) throw new Error(`refinement '${refine}' needs the server`);
      if (refine === 'regions' && instances.length > 0) {
        // The same code as the server's `regions`, so the page's cutout matches it without an upload.
        regions ??= createRegionsRefiner();
        instances = await regions.refine(toRgb(raw), instances);
        timings.refine = performance.now() - t3;
      }
      return {
        backend,
        timings,
        instances: instances.map((i) => ({ classId: i.classId, className: i.className, score: i.score, box: i.box, mask: i.mask.data })),
      };
    },
    async release() {
      await session.release();
    },
  };
}
