/**
 * The one place that says how animeseg hands pixels to sharp. sharp refuses inputs above its own default
 * of 16383 x 16383 (~268M) pixels unless told otherwise; animeseg has its own limit (`--max-pixels`),
 * checked from the file header before anything is decoded, so every later sharp stage (encoding outputs,
 * drawing overlays, rendering server answers) must not impose a second, lower one. Everything that
 * creates a sharp pipeline from pixels or bytes animeseg has already admitted goes through here.
 */
import sharp, { type Sharp } from 'sharp';

/** sharp's input option for data whose size animeseg has already checked against its own limit. */
export const ADMITTED_INPUT = { limitInputPixels: false } as const;

/** A sharp pipeline over raw pixels (already decoded, so already within `--max-pixels`). */
export function sharpRaw(data: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4): Sharp {
  return sharp(data, { raw: { width, height, channels }, ...ADMITTED_INPUT });
}
