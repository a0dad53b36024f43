import type { Box, Mask } from '../mask/types.js';
import type { RawImage } from '../image/types.js';

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
 * (same order and count, masks replaced). Stages are selected by name: none | vote | box | regions.
 */
export interface Refiner {
  readonly name: string;
  refine(image: RawImage, instances: Instance[]): Promise<Instance[]>;
  dispose?(): Promise<void>;
}

/** Milliseconds spent per stage for one image; stages add their own keys. */
export type StageTimings = Record<string, number>;
