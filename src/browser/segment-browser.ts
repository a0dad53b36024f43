/**
 * In-browser YOLOv8-seg: the project's predictor core (src/models/yolo/predictor.ts, pure TypeScript) over an
 * onnxruntime-web backend (ort-web-backend.ts), so results match the server and the image never leaves the
 * machine. Bundled by esbuild into web/dist/animeseg-browser.js (src/server/build-web.ts).
 */
import type { RawImage } from '../image/types.js';
import { toRgb } from '../image/pixels.js';
import { predict } from '../models/yolo/predictor.js';
import { createRegionsRefiner } from '../refine/regions/refiner.js';
import { applyRefiner } from '../refine/apply.js';
import type { Refiner, Instance } from '../contracts.js';
import { detectionToInstance } from '../pipeline/instances.js';
import { createOrtWebBackend, type OrtWebBackendOptions } from './ort-web-backend.js';
import { DETECT_DEFAULTS } from '../pipeline/options.js';

/** Refiners that are pure TypeScript and so run in the page too (SAM ones need the server). */
export const BROWSER_REFINERS = ['none', 'regions'] as const;
export type BrowserRefine = (typeof BROWSER_REFINERS)[number];

export interface BrowserSegmenterOptions extends OrtWebBackendOptions {
  /** Class names by id; default: the names the model file declares. */
  classNames?: string[];
  /** Classes kept by default (e.g. [0] = person for COCO); undefined = all. */
  defaultClasses?: number[];
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

export async function createBrowserSegmenter(opts: BrowserSegmenterOptions): Promise<BrowserSegmenter> {
  const model = await createOrtWebBackend(opts);
  const backend = model.provider;
  const classNames = opts.classNames ?? model.contract.names;
  let regions: Refiner | undefined; // created on first use, then reused

  return {
    backend,
    inputSize: model.contract.imgsz,
    async segment(img, so = {}) {
      const raw: RawImage = { data: img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length), width: img.width, height: img.height, channels: img.channels };
      const timings: Record<string, number> = {};
      const classes = so.classes === 'all' ? null : (so.classes ?? opts.defaultClasses ?? null);
      const { detections } = await predict(model, raw, { conf: so.conf ?? DETECT_DEFAULTS.conf, iou: so.iou ?? DETECT_DEFAULTS.iou, maxDet: DETECT_DEFAULTS.maxDet, classes, masks: 'native' }, timings);
      let instances: Instance[] = detections.map((d) => detectionToInstance(d, classNames));
      const refine = so.refine ?? 'none';
      if (!(BROWSER_REFINERS as readonly string[]).includes(refine)) throw new Error(`refinement '${refine}' needs the server`);
      if (refine === 'regions' && instances.length > 0) {
        // The same code as the server's `regions`, so the page's cutout matches it without an upload.
        const t = performance.now();
        regions ??= createRegionsRefiner();
        instances = await applyRefiner(regions, toRgb(raw), instances);
        timings.refine = performance.now() - t;
      }
      return {
        backend,
        timings,
        instances: instances.map((i) => ({ classId: i.classId, className: i.className, score: i.score, box: i.box, mask: i.mask.data })),
      };
    },
    release: () => model.dispose(),
  };
}
