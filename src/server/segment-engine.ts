/**
 * The SegmentEngine interface: what the HTTP layer needs from the segmentation library. The implementation
 * (pipeline-engine.ts) wraps createSegmenter() from src/pipeline; tests may pass their own (e.g. one that
 * wraps the real engine with a gate to hold requests in flight).
 */
import type { RawImage } from '../image/types.js';
import type { Instance, StageTimings } from '../pipeline/types.js';
import type { ModelRecommendation, SegmentOptions, SegmentSettings } from '../pipeline/settings.js';

export interface EngineInfo {
  /** Manifest name or file name of the YOLO model. */
  model: string;
  /** Absolute path of the ONNX file (served to the page for in-browser mode, never shown in JSON). */
  path: string;
  licence?: string;
  classNames: string[];
  /** Network input [height, width]. */
  imgsz: [number, number];
  /** Classes kept when a request does not say (e.g. [0] = person for COCO models; null = all). */
  defaultClasses: number[] | null;
  /** Settings the model recommends where a request gives none (e.g. conf 0.45); see pipeline/settings.ts. */
  recommended: ModelRecommendation;
}

/** A refiner as this server offers it (GET /v1/refiners): the registry's summary in wire form, plus whether it can run here. */
export interface RefinerInfo {
  name: string;
  description: string;
  /** It runs in the page too (its descriptor's inBrowser); the page offers only these in in-browser mode. */
  in_browser: boolean;
  /** false once creating it failed (the reason says why, e.g. no SAM model on this machine). */
  available: boolean;
  reason?: string;
}

/** One request's settings as given: the library's one SegmentOptions (the name stays for engines written against it). */
export type SegmentParams = SegmentOptions;

export interface EngineResult {
  width: number;
  height: number;
  /** RGB image the masks belong to (EXIF-rotated as decoded). */
  image: RawImage;
  instances: Instance[];
  timings: StageTimings;
  /** The refinement actually applied. */
  refine: string;
  /** The settings actually used (detection says where each value came from; outputs as the request asked). */
  settings: SegmentSettings;
}

export interface SegmentEngine {
  readonly info: EngineInfo;
  /** Refinement modes this server offers, in display order; the first is the default. */
  refiners(): RefinerInfo[];
  defaultRefine: string;
  /** Cheap header check (no full decode): throws AnimesegError BAD_INPUT / TOO_LARGE. */
  probe(bytes: Uint8Array, maxPixels: number): Promise<{ width: number; height: number; format: string }>;
  segment(bytes: Uint8Array, params: SegmentOptions, maxPixels: number): Promise<EngineResult>;
  dispose(): Promise<void>;
}
