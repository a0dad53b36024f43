/**
 * 200 bad image files for the fuzz test, generated from a seed with the project's test PRNG
 * (mulberry32 in test/mask/helpers.ts) so any failure reproduces. Kinds: truncated real encodings,
 * random bytes, a real signature followed by garbage, headers declaring huge or zero dimensions (PNG with
 * valid CRCs, JPEG SOF, GIF, WebP VP8X, BMP), crafted BMP headers (bit depths, compressions, masks,
 * offsets, palette sizes), and byte flips inside real images (some of which still decode).
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { rng } from '../mask/helpers.js';

export interface BadFile {
  name: string;
  bytes: Uint8Array;
  kind: string;
}

const EXT = ['png', 'jpg', 'webp', 'gif', 'tif', 'bmp', 'avif'] as const;

function pngChunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export function pngWithSize(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width >>> 0, 0);
  ihdr.writeUInt32BE(height >>> 0, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(64))), pngChunk('IEND', Buffer.alloc(0))]);
}

function jpegWithSize(width: number, height: number): Buffer {
  // SOI, SOF0 (8-bit, 3 components), then EOI: dimensions on paper only.
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

function gifWithSize(width: number, height: number): Buffer {
  const b = Buffer.from('GIF89a\0\0\0\0\x00\x00\x00;', 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

function webpVp8xWithSize(width: number, height: number): Buffer {
  const chunk = Buffer.alloc(18);
  chunk.write('VP8X', 0, 'latin1');
  chunk.writeUInt32LE(10, 4);
  chunk.writeUIntLE(width - 1, 12, 3);
  chunk.writeUIntLE(height - 1, 15, 3);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(4 + chunk.length, 4);
  riff.write('WEBP', 8, 'latin1');
  return Buffer.concat([riff, chunk]);
}

/** A BMP file with the given header fields and `payload` bytes after a 40-byte info header. */
export function bmp(f: { width: number; height: number; bpp: number; compression: number; offset?: number; colors?: number; headerSize?: number; masks?: number[] }, payload: Uint8Array): Buffer {
  const headerSize = f.headerSize ?? 40;
  const masks = Buffer.alloc((f.masks?.length ?? 0) * 4);
  f.masks?.forEach((m, i) => masks.writeUInt32LE(m >>> 0, i * 4));
  const h = Buffer.alloc(14 + Math.max(40, headerSize));
  h.write('BM', 0, 'latin1');
  const total = h.length + masks.length + payload.length;
  h.writeUInt32LE(total, 2);
  h.writeUInt32LE(f.offset ?? h.length + masks.length, 10);
  h.writeUInt32LE(headerSize, 14);
  h.writeInt32LE(f.width | 0, 18);
  h.writeInt32LE(f.height | 0, 22);
  h.writeUInt16LE(1, 26);
  h.writeUInt16LE(f.bpp & 0xffff, 28);
  h.writeUInt32LE(f.compression >>> 0, 30);
  h.writeUInt32LE(f.colors ?? 0, 46);
  return Buffer.concat([h, masks, payload]);
}

/** Small real encodings of one picture, the material for truncation and byte flips. */
async function bases(): Promise<Record<string, Buffer>> {
  const w = 48;
  const h = 32;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    px[i * 3] = (i * 7) & 255;
    px[i * 3 + 1] = (i * 3) & 255;
    px[i * 3 + 2] = (i >> 3) & 255;
  }
  const s = () => sharp(px, { raw: { width: w, height: h, channels: 3 } });
  const row = Math.ceil((w * 24) / 32) * 4;
  const bmpPixels = Buffer.alloc(row * h);
  return {
    png: await s().png().toBuffer(),
    jpg: await s().jpeg().toBuffer(),
    webp: await s().webp().toBuffer(),
    gif: await s().gif().toBuffer(),
    tif: await s().tiff().toBuffer(),
    avif: await s().avif({ effort: 0 }).toBuffer(),
    bmp: bmp({ width: w, height: h, bpp: 24, compression: 0 }, bmpPixels),
  };
}

export async function generateBadFiles(seed: number, count = 200): Promise<BadFile[]> {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(0, 255));
  const base = await bases();
  const out: BadFile[] = [];
  for (let i = 0; i < count; i++) {
    const kind = ['truncated', 'random', 'magic+garbage', 'huge-png', 'huge-other', 'crafted-bmp', 'flipped', 'zero-size'][i % 8]!;
    let ext: string = pick(EXT);
    let bytes: Uint8Array;
    switch (kind) {
      case 'truncated': {
        const b = base[ext]!;
        bytes = b.subarray(0, int(1, b.length - 1));
        break;
      }
      case 'random':
        bytes = randomBytes(int(0, 2048));
        break;
      case 'magic+garbage':
        bytes = Buffer.concat([base[ext]!.subarray(0, int(2, 16)), randomBytes(int(0, 1024))]);
        break;
      case 'huge-png':
        ext = 'png';
        bytes = pngWithSize(int(65_536, 2 ** 31 - 1), int(65_536, 2 ** 31 - 1));
        break;
      case 'huge-other': {
        const which = pick(['jpg', 'gif', 'webp', 'bmp'] as const);
        ext = which;
        bytes =
          which === 'jpg' ? jpegWithSize(int(30_000, 65_535), int(30_000, 65_535))
          : which === 'gif' ? gifWithSize(int(30_000, 65_535), int(30_000, 65_535))
          : which === 'webp' ? webpVp8xWithSize(int(100_000, 2 ** 24), int(100_000, 2 ** 24))
          : bmp({ width: int(100_000, 2 ** 31 - 1), height: pick([1, -1]) * int(100_000, 2 ** 31 - 1), bpp: 24, compression: 0 }, randomBytes(64));
        break;
      }
      case 'crafted-bmp': {
        ext = 'bmp';
        const bpp = pick([0, 1, 2, 4, 8, 15, 16, 24, 32, 64, 65535]);
        const compression = pick([0, 0, 3, 3, 6, 1, 2, 4, 5, 0xffffffff]);
        const masks = compression === 3 || compression === 6 ? Array.from({ length: 4 }, () => pick([0, 0xffffffff, 0x80000001, 0xff, 0xff00, 0x7c00, int(0, 2 ** 32 - 1)])) : undefined;
        bytes = bmp(
          {
            width: pick([1, 2, 3, 17, int(1, 64), 0, -5]),
            height: pick([1, -1, 16, -16, int(-64, 64), 0]),
            bpp,
            compression,
            offset: pick([undefined, 0, 13, 2 ** 31, int(0, 300)]),
            colors: pick([0, 1, 2, 256, 2 ** 30, 0xffffffff]),
            headerSize: pick([40, 40, 12, 56, 108, 124, 0xffff]),
            masks,
          },
          randomBytes(int(0, 600)),
        );
        break;
      }
      case 'flipped': {
        const b = Buffer.from(base[ext]!);
        for (let k = int(1, 24); k > 0; k--) b[int(Math.min(16, b.length - 1), b.length - 1)] ^= int(1, 255);
        bytes = b;
        break;
      }
      default: {
        const which = pick(['png', 'gif', 'bmp'] as const);
        ext = which;
        bytes = which === 'png' ? pngWithSize(int(0, 1) * 10, 0) : which === 'gif' ? gifWithSize(0, int(0, 10)) : bmp({ width: 0, height: int(-3, 3), bpp: 24, compression: 0 }, randomBytes(16));
      }
    }
    out.push({ name: `${String(i).padStart(3, '0')}-${kind}.${ext}`, bytes: new Uint8Array(bytes), kind });
  }
  return out;
}
