/**
 * The contracts every layer shares, at the bottom of the dependency graph (see docs/ARCHITECTURE.md):
 * what a detection is (`Instance`), what a refiner does (`Refiner`), and what a segment proposer gives the
 * vote. Only types and a type guard live here, so any layer may import it without pulling code upward.
 */
import type { Box, Mask } from './mask/types.js';
import type { RawImage } from './image/types.js';

/** One detected character (or object) in original-image coordinates. */
export interface Instance {
  classId: number;
  className: string;
  score: number;
  /** x1, y1, x2, y2 in original image pixels (clipped to the image). */
  box: Box;
  /** Full-image-size binary mask (native resolution). */
  mask: Mask;
  /** Which stage produced the mask: 'yolo' or the refiner's name. */
  maskSource?: string;
  /** Optional soft alpha (0..255) at full image size, set by soft-edge refinement. */
  alpha?: Uint8Array;
  /**
   * Which model and which pass found it (full image, flipped, a tile, the second pass); `maskModel` when
   * the mask was taken from another model's detection of the same character.
   */
  foundBy?: { model: string; pass: string; maskModel?: string };
}

/**
 * A refinement stage: takes the image (RGB) and the YOLO instances, returns refined instances
 * (same order and count, masks replaced). Refiners are chosen by name (src/refine/registry.ts).
 */
export interface Refiner {
  readonly name: string;
  refine(image: RawImage, instances: Instance[]): Promise<Instance[]>;
  dispose?(): Promise<void>;
}

/** Milliseconds spent per stage for one image; stages add their own keys. */
export type StageTimings = Record<string, number>;

/**
 * Proposes candidate segments for an image. `image` is RGB (channels 3); every returned mask has the
 * image's width and height. Segments may overlap (SAM) or partition the image (regions).
 */
export interface SegmentProposer {
  /** Short name for logs and timings, e.g. 'sam-amg' or 'regions'. */
  name: string;
  propose(image: RawImage): Promise<Mask[]>;
  /** What the user should know about its last propose() call (a degraded model, say), for the result JSON. */
  readonly lastNotes?: readonly string[];
  dispose?(): Promise<void>;
}

/**
 * A partition of the image into `count` segments: `labels[y*width+x]` in 0..count-1. Over-segmenters
 * (regions) produce this instead of one full-size Mask per segment: hundreds of segments as separate
 * masks would cost hundreds of megabytes, while the vote needs only one pass over a label map.
 */
export interface LabelMap {
  labels: Int32Array;
  count: number;
  width: number;
  height: number;
}

/** A proposer whose segments partition the image; the vote refiner uses `proposeLabels` when present. */
export interface PartitionProposer extends SegmentProposer {
  proposeLabels(image: RawImage): Promise<LabelMap>;
}

export function isPartitionProposer(p: SegmentProposer): p is PartitionProposer {
  return typeof (p as Partial<PartitionProposer>).proposeLabels === 'function';
}
