/**
 * BMP decoder written by hand: sharp's prebuilt libvips has no BMP loader (it would need ImageMagick),
 * and BMP is simple. Supports the common kinds: BITMAPINFOHEADER and later (V4/V5) headers,
 * 1/4/8-bit palettes, 16/24/32-bit BI_RGB and BI_BITFIELDS, bottom-up and top-down rows.
 * RLE-compressed and OS/2 core-header files are refused with a clear BAD_INPUT.
 */
import { AnimesegError } from '../errors.js';
import type { RawImage } from './types.js';

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d; // 'BM'
}

export interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  compression: number;
  dataOffset: number;
  headerSize: number;
  colorsUsed: number;
}

function bad(reason: string, file?: string): AnimesegError {
  return new AnimesegError('BAD_INPUT', `bad BMP file: ${reason}`, { file, hint: 'convert the image to PNG' });
}

export function readBmpHeader(b: Uint8Array, file?: string): BmpHeader {
  if (b.length < 26) throw bad('truncated header', file);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  if (headerSize < 40) throw bad(`unsupported header size ${headerSize} (OS/2 bitmaps are not supported)`, file);
  if (b.length < 14 + headerSize) throw bad('truncated header', file);
  const width = dv.getInt32(18, true);
  const rawH = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  const colorsUsed = dv.getUint32(46, true);
  if (width <= 0 || rawH === 0) throw bad(`invalid size ${width}x${rawH}`, file);
  return { width, height: Math.abs(rawH), topDown: rawH < 0, bpp, compression, dataOffset, headerSize, colorsUsed };
}

/** Shift and width of a contiguous bit mask, to scale a channel to 8 bits. */
function maskInfo(mask: number): { shift: number; bits: number } {
  if (mask === 0) return { shift: 0, bits: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  // Bounded by the word: JS shifts are mod 32, so `mask >>> 32` is `mask` again and an all-ones mask
  // would loop forever.
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  return { shift, bits };
}

export function decodeBmp(b: Uint8Array, file?: string): RawImage {
  const h = readBmpHeader(b, file);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const { width, height, bpp, compression } = h;
  const BI_RGB = 0;
  const BI_BITFIELDS = 3;
  const BI_ALPHABITFIELDS = 6;
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw bad(`compression ${compression} (RLE/JPEG/PNG inside BMP) is not supported`, file);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw bad(`unsupported bit depth ${bpp}`, file);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (h.dataOffset + stride * height > b.length) throw bad('truncated pixel data', file);

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    const n = h.colorsUsed || 1 << bpp;
    const start = 14 + h.headerSize;
    if (start + n * 4 > b.length) throw bad('truncated palette', file);
    palette = b.subarray(start, start + n * 4); // B, G, R, reserved
  }
  let masks: number[] | null = null;
  let hasAlpha = false;
  if (bpp === 16 || bpp === 32) {
    if (compression === BI_RGB) {
      masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0x00ff00, 0x0000ff, 0];
    } else {
      // Masks follow a 40-byte header, or sit inside a V4/V5 header at the same offset.
      const m = 14 + 40;
      if (b.length < m + 12) throw bad('truncated bit masks', file);
      const alpha = h.headerSize >= 56 || compression === BI_ALPHABITFIELDS ? dv.getUint32(m + 12, true) : 0;
      masks = [dv.getUint32(m, true), dv.getUint32(m + 4, true), dv.getUint32(m + 8, true), alpha];
    }
    hasAlpha = masks[3] !== 0;
  }
  const cn = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * cn);
  const infos = masks?.map(maskInfo);
  for (let y = 0; y < height; y++) {
    const srcRow = h.topDown ? y : height - 1 - y;
    const rowStart = h.dataOffset + srcRow * stride;
    let o = y * width * cn;
    for (let x = 0; x < width; x++, o += cn) {
      if (palette) {
        const bitPos = x * bpp;
        const byte = b[rowStart + (bitPos >> 3)];
        const idx = (byte >> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1);
        const p = Math.min(idx, palette.length / 4 - 1) * 4;
        out[o] = palette[p + 2];
        out[o + 1] = palette[p + 1];
        out[o + 2] = palette[p];
      } else if (bpp === 24) {
        const p = rowStart + x * 3;
        out[o] = b[p + 2];
        out[o + 1] = b[p + 1];
        out[o + 2] = b[p];
      } else {
        const v = bpp === 16 ? dv.getUint16(rowStart + x * 2, true) : dv.getUint32(rowStart + x * 4, true);
        for (let c = 0; c < cn; c++) {
          const { shift, bits } = infos![c];
          const raw = bits >= 32 ? v >>> shift : (v >>> shift) & ((1 << bits) - 1);
          out[o + c] = bits >= 8 ? raw >>> (bits - 8) : Math.round((raw * 255) / ((1 << bits) - 1));
        }
      }
    }
  }
  return { data: out, width, height, channels: cn };
}
