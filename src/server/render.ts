/**
 * Turning an EngineResult into what a request asked for, with the library's own output helpers
 * (src/pipeline/outputs.ts) so the server and `animeseg segment` produce the same cutouts and JSON.
 */
import { encodeImage, WEBP_MAX_SIDE } from '../image/encode.js';
import { sharpRaw } from '../image/sharp-input.js';
import { AnimesegError } from '../errors.js';
import { combinedAlpha, contentBounds, cutout, resultJson, type ResultJson } from '../pipeline/outputs.js';
import { maskToPolygons } from '../mask/polygon.js';
import type { EngineResult } from './engine.js';
import type { SegmentRequestOptions } from './request-options.js';

export interface RenderedImage {
  body: Uint8Array;
  contentType: string;
  /** Size of the returned image (after crop). */
  width: number;
  height: number;
}

/** The cutout (RGBA, or RGB on bg_color) or the 8-bit mask of the chosen instances, encoded. */
export async function renderImage(result: EngineResult, opts: SegmentRequestOptions): Promise<RenderedImage> {
  const { width, height, image } = result;
  // combinedAlpha throws BAD_OPTION for an index that does not exist.
  const alpha = combinedAlpha(result.instances, width, height, opts.instances);
  const format = opts.format === 'webp' ? 'webp' : 'png';
  const contentType = format === 'webp' ? 'image/webp' : 'image/png';
  if (opts.onlyMask) {
    const b = opts.crop ? contentBounds(alpha, width, height) : null;
    const [x0, y0, x1, y1] = b ?? [0, 0, width, height];
    // Single-channel output: sharp would widen a 1-channel raw input to sRGB unless told 'b-w'.
    if (format === 'webp' && (x1 - x0 > WEBP_MAX_SIDE || y1 - y0 > WEBP_MAX_SIDE)) {
      throw new AnimesegError('TOO_LARGE', `a ${x1 - x0}x${y1 - y0} mask cannot be sent as WebP (at most ${WEBP_MAX_SIDE} pixels a side)`, { hint: 'ask for format=png' });
    }
    let s = sharpRaw(alpha, width, height, 1);
    if (b) s = s.extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 });
    s = s.toColourspace('b-w');
    const body = format === 'webp' ? await s.webp({ lossless: true }).toBuffer() : await s.png({ compressionLevel: 3, adaptiveFiltering: false }).toBuffer();
    return { body, contentType, width: x1 - x0, height: y1 - y0 };
  }
  const img = cutout(image, alpha, { bgColor: opts.bgColor, crop: opts.crop });
  const body = await encodeImage(img, format);
  return { body, contentType, width: img.width, height: img.height };
}

/** The JSON answer: the same document `animeseg segment --json` writes, plus the refinement used. */
export function renderJson(result: EngineResult, meta: { image: string; model: string; settings: Record<string, unknown> }, timings: Record<string, number>): ResultJson {
  return resultJson({ width: result.width, height: result.height, instances: result.instances, timings }, meta, maskToPolygons);
}
