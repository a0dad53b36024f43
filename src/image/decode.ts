/**
 * Image decoding to RawImage through sharp (libvips), with the checks a batch tool needs: a pixel limit
 * checked from the header before any pixel is decoded, and one clear AnimesegError per bad file.
 *
 * Decoding follows OpenCV's imread (what Ultralytics uses) where it matters for exact results:
 * EXIF orientation applied, ICC profiles ignored (no colour conversion), alpha kept separately.
 */
import sharp, { type Metadata } from 'sharp';
import { readFile, stat } from 'node:fs/promises';
import { AnimesegError } from '../errors.js';
import type { RawImage } from './types.js';
import { decodeBmp, isBmp, readBmpHeader } from './bmp.js';
import { ADMITTED_INPUT } from './sharp-input.js';

/** Default pixel limit: large enough for any illustration, small enough to refuse decompression bombs. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (checked from the header). */
  maxPixels?: number;
  /** Used in error messages. */
  file?: string;
}

export interface DecodedImage {
  /** RGB (3 channels), or RGBA (4) when the file has an alpha channel. */
  image: RawImage;
  /** Container format as sharp names it ('jpeg', 'png', ..., 'bmp'). */
  format: string;
  hasAlpha: boolean;
}

function badInput(reason: string, file: string | undefined, cause?: unknown): AnimesegError {
  return new AnimesegError('BAD_INPUT', reason, {
    file,
    hint: 'check that the file is a complete jpg, png, webp, avif, gif, tiff or bmp image',
    cause,
  });
}

function checkPixels(width: number, height: number, maxPixels: number, file?: string): void {
  if (!(width > 0 && height > 0)) throw badInput(`image has no pixels (${width}x${height})`, file);
  if (width * height > maxPixels) {
    throw new AnimesegError('TOO_LARGE', `image is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`, {
      file,
      hint: 'raise the limit with --max-pixels (or maxPixels) if the image is trusted',
    });
  }
}

/** Decode encoded image bytes. Throws AnimesegError BAD_INPUT / TOO_LARGE. */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const file = opts.file;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) throw badInput('file is empty (0 bytes)', file);
  if (isBmp(bytes)) {
    // sharp's prebuilt libvips has no BMP loader: decoded by hand (src/image/bmp.ts).
    const h = readBmpHeader(bytes, file);
    checkPixels(h.width, h.height, maxPixels, file);
    const image = decodeBmp(bytes, file);
    return { image, format: 'bmp', hasAlpha: image.channels === 4 };
  }
  let meta: Metadata;
  try {
    // Header only: our own limit is checked below, from these dimensions.
    meta = await sharp(bytes, ADMITTED_INPUT).metadata();
  } catch (e) {
    throw badInput(`not a readable image (${shortSharpMessage(e)})`, file, e);
  }
  const w = meta.autoOrient?.width ?? meta.width ?? 0;
  const h = meta.autoOrient?.height ?? meta.height ?? 0;
  checkPixels(w, h, maxPixels, file);
  try {
    const pipeline = sharp(bytes, {
      autoOrient: true,
      ignoreIcc: true,
      failOn: 'error',
      ...ADMITTED_INPUT,
      pages: 1,
      page: 0,
      // One top-to-bottom pass (libvips switches to random access itself when orientation needs it).
      sequentialRead: true,
    });
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.length);
    return { image: normaliseChannels(u8, info.width, info.height, info.channels), format: meta.format ?? 'unknown', hasAlpha: info.channels === 4 || info.channels === 2 };
  } catch (e) {
    throw badInput(`cannot decode image (${shortSharpMessage(e)})`, file, e);
  }
}

/** Read and decode a file; a missing or unreadable file is BAD_INPUT with the path. */
export async function decodeImageFile(path: string, opts: Omit<DecodeOptions, 'file'> = {}): Promise<DecodedImage> {
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw badInput('not a regular file', path);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof AnimesegError) throw e;
    throw badInput(`cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path, e);
  }
  return decodeImage(bytes, { ...opts, file: path });
}

/** sharp returns 1 (gray), 2 (gray+alpha), 3 or 4 channels: map to RGB or RGBA. */
function normaliseChannels(d: Uint8Array, width: number, height: number, channels: number): RawImage {
  if (channels === 3 || channels === 4) return { data: d, width, height, channels };
  const n = width * height;
  if (channels === 1) {
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = d[i];
    return { data: out, width, height, channels: 3 };
  }
  if (channels === 2) {
    const out = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = d[i * 2];
      out[i * 4 + 3] = d[i * 2 + 1];
    }
    return { data: out, width, height, channels: 4 };
  }
  throw badInput(`unsupported channel count ${channels}`, undefined);
}

function shortSharpMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // libvips sometimes ends the first line with a bare 'header:' and no detail.
  return m.split('\n')[0].replace(/^Input (buffer|file) /, '').replace(/:\s*$/, '').trim();
}
