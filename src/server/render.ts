/**
 * Turning an EngineResult into what a request asked for, with the library's own output helpers
 * (src/pipeline/outputs.ts) so the server and `animeseg segment` produce the same cutouts and JSON.
 */
import { encodeImage } from '../image/encode.js';
import { combinedAlpha, contentBounds, cutout, maskImage, resultJson, type ResultJson } from '../pipeline/outputs.js';
import { maskToPolygons } from '../mask/polygon.js';
import { CONTENT_TYPES } from '../pipeline/run/output-kinds.js';
import type { EngineResult } from './segment-engine.js';


export interface RenderedImage {
  body: Uint8Array;
  contentType: string;
  /** Size of the returned image (after crop). */
  width: number;
  height: number;
}

/** The cutout (RGBA, or RGB on bg_color) or the 8-bit mask of the chosen instances (all: undefined), encoded as the result's settings say. */
export async function renderImage(result: EngineResult, select?: number[]): Promise<RenderedImage> {
  const { width, height, image } = result;
  const opts = result.settings.outputs;
  // combinedAlpha throws BAD_OPTION for an index that does not exist.
  const alpha = combinedAlpha(result.instances, width, height, select);
  const format = opts.format; // resolved: never absent
  const contentType = CONTENT_TYPES[format];
  if (opts.onlyMask) {
    // The same 8-bit single-channel mask as the CLI's NAME.mask.png (maskImage + encodeImage).
    const m = maskImage(alpha, width, height, opts.crop ? contentBounds(alpha, width, height) ?? undefined : undefined);
    const body = await encodeImage(m, format, format === 'webp' ? { quality: 100 } : {});
    return { body, contentType, width: m.width, height: m.height };
  }
  const img = cutout(image, alpha, { bgColor: opts.bgColor, crop: opts.crop });
  const body = await encodeImage(img, format);
  return { body, contentType, width: img.width, height: img.height };
}

/** The JSON answer: the same document `animeseg segment --json` writes, plus the refinement used. */
export function renderJson(result: EngineResult, meta: { image: string; model: string; settings: Record<string, unknown> }, timings: Record<string, number>): ResultJson {
  return resultJson({ width: result.width, height: result.height, instances: result.instances, timings }, meta, maskToPolygons);
}
