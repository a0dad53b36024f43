/**
 * A binary mask: one byte per pixel, 0 or 1, row-major (index = y * width + x).
 * Every module (YOLO, refinement, data, evaluation) exchanges masks in this form.
 */
export interface Mask {
  data: Uint8Array;
  width: number;
  height: number;
}

/** COCO "uncompressed" RLE: column-major runs, starting with a background run. */
export interface Rle {
  size: [height: number, width: number];
  counts: number[];
}

export type Box = [x1: number, y1: number, x2: number, y2: number];

/** A closed polygon as flat [x0, y0, x1, y1, ...] pixel coordinates. */
export type Polygon = number[];

export function createMask(width: number, height: number): Mask {
  return { data: new Uint8Array(width * height), width, height };
}
