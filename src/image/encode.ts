/** Encoding RawImage to PNG / WebP / JPEG through sharp. */
import { AnimesegError } from '../errors.js';
import { sharpRaw } from './sharp-input.js';
import type { RawImage } from './types.js';

export type ImageFormat = 'png' | 'webp' | 'jpeg';

export interface EncodeOptions {
  /** PNG zlib level 0-9. Default 3: nearly the size of level 6 on cutouts, roughly twice as fast. */
  pngLevel?: number;
  /** WebP/JPEG quality (default 90; WebP is lossless when quality is 100). */
  quality?: number;
}

/** The WebP format's own limit on each side (libwebp). */
export const WEBP_MAX_SIDE = 16383;

export function isImageFormat(s: string): s is ImageFormat {
  return s === 'png' || s === 'webp' || s === 'jpeg';
}

export async function encodeImage(img: RawImage, format: ImageFormat, opts: EncodeOptions = {}): Promise<Uint8Array> {
  if (format === 'webp' && (img.width > WEBP_MAX_SIDE || img.height > WEBP_MAX_SIDE)) {
    throw new AnimesegError('TOO_LARGE', `a ${img.width}x${img.height} image cannot be stored as WebP (at most ${WEBP_MAX_SIDE} pixels a side)`, {
      hint: 'use --format png (no size limit) or --crop',
    });
  }
  let s = sharpRaw(img.data, img.width, img.height, img.channels);
  // One channel stays one channel (an 8-bit grayscale PNG mask): sharp would widen it to sRGB unless told 'b-w'.
  if (img.channels === 1) s = s.toColourspace('b-w');
  let out: Buffer;
  if (format === 'png') out = await s.png({ compressionLevel: opts.pngLevel ?? 3, adaptiveFiltering: false }).toBuffer();
  else if (format === 'webp') {
    const q = opts.quality ?? 90;
    out = await s.webp(q >= 100 ? { lossless: true } : { quality: q, alphaQuality: 100 }).toBuffer();
  } else {
    // JPEG has no alpha: flatten on white so transparent areas do not turn black.
    out = await (img.channels === 4 ? s.flatten({ background: '#ffffff' }) : s).jpeg({ quality: opts.quality ?? 90 }).toBuffer();
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export const encodePng = (img: RawImage, opts?: EncodeOptions): Promise<Uint8Array> => encodeImage(img, 'png', opts);
