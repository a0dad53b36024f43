/** Encoding RawImage to PNG / WebP / JPEG through sharp. */
import sharp from 'sharp';
import type { RawImage } from './types.js';

export type ImageFormat = 'png' | 'webp' | 'jpeg';

export interface EncodeOptions {
  /** PNG zlib level 0-9. Default 3: nearly the size of level 6 on cutouts, roughly twice as fast. */
  pngLevel?: number;
  /** WebP/JPEG quality (default 90; WebP is lossless when quality is 100). */
  quality?: number;
}

export function isImageFormat(s: string): s is ImageFormat {
  return s === 'png' || s === 'webp' || s === 'jpeg';
}

export async function encodeImage(img: RawImage, format: ImageFormat, opts: EncodeOptions = {}): Promise<Uint8Array> {
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
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
