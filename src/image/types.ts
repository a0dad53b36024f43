/** Interleaved 8-bit pixels, row-major. channels 3 = RGB, 4 = RGBA, 1 = gray. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}
