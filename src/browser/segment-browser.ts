/**
 * In-browser YOLOv8-seg: the project's predictor core (src/models/yolo/predictor.ts, pure TypeScript) over an
 * onnxruntime-web backend (ort-web-backend.ts), so results match the server and the image never leaves the
 * machine. Bundled by esbuild into web/dist/animeseg-browser.js (src/server/build-web.ts).
 */
import type { RawImage } from '../image/types.js';
import { toRgb } from '../image/pixels.js';
import { predict } from '../models/yolo/predictor.js';
import { findRefiner, REFINERS } from '../refine/registry.js';
import { applyRefiner } from '../refine/apply.js';
import type { Refiner, Instance } from '../contracts.js';
import { detectionToInstance } from '../pipeline/instances.js';
import { createOrtWebBackend, type OrtWebBackendOptions } from './ort-web-backend.js';
import { modelRecommendation, nmsThresholdsOf, resolveDetectSettings, type ModelRecommendation } from '../pipeline/detect-settings.js';

/** Refiners that are pure TypeScript and so run in the page too (descriptor `inBrowser`; SAM ones need the server). */
// Written out (not derived in the exported type) so the published declarations of 'animeseg/browser'
// never reach the registry's SAM option types, which pull in onnxruntime-node's; the check below fails the
// build if this list and the registry's `inBrowser` refiners ever differ.
export type BrowserRefine = 'none' | 'regions';
type RegistryBrowserRefine = Extract<(typeof REFINERS)[number], { inBrowser: true }>['name'];
const browserRefineMatchesRegistry: [BrowserRefine] extends [RegistryBrowserRefine] ? ([RegistryBrowserRefine] extends [BrowserRefine] ? true : never) : never = true;
void browserRefineMatchesRegistry;
export const BROWSER_REFINERS: readonly BrowserRefine[] = REFINERS.filter((r) => r.inBrowser).map((r) => r.name as BrowserRefine);

export interface BrowserSegmenterOptions extends OrtWebBackendOptions {
  /** Class names by id; default: the names the model file declares. */
  classNames?: string[];
  /** Classes kept by default (e.g. [0] = person for COCO); undefined = all. */
  defaultClasses?: number[];
  /** The model's recommended settings (the server's /v1/models says them); default: the ONNX metadata's. */
  recommended?: ModelRecommendation;
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
  const refiners = new Map<string, Promise<Refiner>>(); // created on first use, then reused
  const recommended = opts.recommended ?? modelRecommendation(model.contract.metadata);
  const classNames = opts.classNames ?? model.contract.names;

  return {
    backend,
    inputSize: model.contract.imgsz,
    async segment(img, so = {}) {
      const raw: RawImage = { data: img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length), width: img.width, height: img.height, channels: img.channels };
      const timings: Record<string, number> = {};
      // The server's resolver: explicit options, then the model's recommendation, then the table's defaults.
      const { refine: requested, ...detect } = so;
      const s = resolveDetectSettings(detect, { recommended, defaultClasses: opts.defaultClasses ?? null });
      const { detections } = await predict(model, raw, { ...nmsThresholdsOf(s), classes: s.classes, masks: 'native' }, timings);
      let instances: Instance[] = detections.map((d) => detectionToInstance(d, classNames));
      const refine = requested ?? 'none';
      const refiner = findRefiner(refine);
      if (!refiner?.inBrowser) throw new Error(`refinement '${refine}' needs the server`);
      if (refine !== 'none' && instances.length > 0) {
        // The same code as the server's refiner of that name, so the page's cutout matches it without an upload.
        const t = performance.now();
        if (!refiners.has(refine)) refiners.set(refine, refiner.create({}));
        instances = await applyRefiner(await refiners.get(refine)!, toRgb(raw), instances);
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
