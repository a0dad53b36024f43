/**
 * Synthesis inputs: checking foreground cut-outs and backgrounds up front (main thread), and the decoded,
 * size-bounded caches the workers sample from.
 */
import sharp from 'sharp';
import { decodeImageFile } from '../../image/decode.js';
import { describeError } from '../../errors.js';

export interface SkippedInput {
  file: string;
  reason: string;
}

async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** Decoded inputs in shared memory: decoded once by the main thread, read by every worker without copies. */
export interface SharedFg {
  data: SharedArrayBuffer; // premultiplied RGBA, cropped to the alpha bounding box
  width: number;
  height: number;
  meanGray: number;
}
export interface SharedBg {
  data: SharedArrayBuffer; // RGB
  width: number;
  height: number;
}
export interface SharedInputs {
  /** Per usable foreground/background (same order as the file lists); null = not preloaded. */
  fg: (SharedFg | null)[];
  bg: (SharedBg | null)[];
}

function toShared(src: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(src.length);
  new Uint8Array(sab).set(src);
  return sab;
}

/**
 * Check every foreground (decoding it: an alpha that is missing, empty, or fully opaque - a rectangle, not a
 * character - is reported and the file skipped) and keep the decoded pixels in shared memory while the
 * budget lasts, so workers never decode them again.
 */
export async function checkForegrounds(files: readonly string[], budgetBytes = 0, onChecked: () => void = () => {}): Promise<{ ok: string[]; skipped: SkippedInput[]; shared: (SharedFg | null)[] }> {
  let used = 0;
  const results = await mapPool(files, 4, async (file): Promise<SharedFg | null | SkippedInput> => {
    try {
      const { image } = await decodeImageFile(file);
      if (image.channels !== 4) return { file, reason: 'no alpha channel (foregrounds must be RGBA cut-outs)' };
      let opaque = true;
      for (let i = 3; i < image.data.length; i += 4) {
        if (image.data[i] !== 255) {
          opaque = false;
          break;
        }
      }
      if (opaque) return { file, reason: 'alpha is fully opaque (not a cut-out)' };
      const fg = prepareForeground(image.data, image.width, image.height);
      if (!fg) return { file, reason: 'alpha is empty (fully transparent)' };
      const lv = fg.levels[0];
      if (used + lv.data.length > budgetBytes) return null;
      used += lv.data.length;
      return { data: toShared(lv.data), width: lv.width, height: lv.height, meanGray: fg.meanGray };
    } catch (e) {
      return { file, reason: `not a readable image (${describeError(e).split('\n')[0]})` };
    } finally {
      onChecked();
    }
  });
  return splitChecked(files, results);
}

/** Keep backgrounds that decode and are at least 32 px per side; preload them into shared memory within the budget. */
export async function checkBackgrounds(files: readonly string[], budgetBytes = 0, onChecked: () => void = () => {}): Promise<{ ok: string[]; skipped: SkippedInput[]; shared: (SharedBg | null)[] }> {
  let used = 0;
  const results = await mapPool(files, 4, async (file): Promise<SharedBg | null | SkippedInput> => {
    try {
      const meta = await sharp(file).metadata();
      if (!meta.width || !meta.height) return { file, reason: 'no image size in header' };
      if (meta.width < 32 || meta.height < 32) return { file, reason: `too small (${meta.width}x${meta.height})` };
      if (used + meta.width * meta.height * 3 > budgetBytes) return null;
      const bg = await loadBackground(file);
      used += bg.rgb.length;
      return { data: toShared(bg.rgb), width: bg.width, height: bg.height };
    } catch (e) {
      return { file, reason: `not a readable image (${describeError(e).split('\n')[0]})` };
    } finally {
      onChecked();
    }
  });
  return splitChecked(files, results);
}

/** Split per-file check results into the usable files (with their preloaded data, or null) and the skipped ones. */
function splitChecked<T extends object>(files: readonly string[], results: (T | null | SkippedInput)[]): { ok: string[]; skipped: SkippedInput[]; shared: (T | null)[] } {
  const ok: string[] = [];
  const skipped: SkippedInput[] = [];
  const shared: (T | null)[] = [];
  results.forEach((r, i) => {
    if (r && 'reason' in r) skipped.push(r as SkippedInput);
    else {
      ok.push(files[i]);
      shared.push(r as T | null);
    }
  });
  return { ok, skipped, shared };
}

/** One level of a foreground pyramid: premultiplied RGBA, cropped to the alpha's bounding box. */
export interface FgLevel {
  data: Uint8Array; // premultiplied RGBA
  width: number;
  height: number;
}

export interface Foreground {
  levels: FgLevel[]; // levels[k] is 2^k times smaller; built lazily
  /** Alpha-weighted mean gray of the straight colours (PIL contrast uses the image mean). */
  meanGray: number;
  bytes: number;
}

export interface Background {
  rgb: Uint8Array;
  width: number;
  height: number;
  bytes: number;
}

/** Premultiply, crop to the alpha bounding box, and measure the mean gray. */
export function prepareForeground(rgba: Uint8Array, w: number, h: number): Foreground | null {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w * 4;
    for (let x = 0; x < w; x++) {
      if (rgba[row + x * 4 + 3] !== 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const data = new Uint8Array(cw * ch * 4);
  let grayA = 0;
  let sumA = 0;
  for (let y = 0; y < ch; y++) {
    let s = ((y + y0) * w + x0) * 4;
    let d = y * cw * 4;
    for (let x = 0; x < cw; x++, s += 4, d += 4) {
      const a = rgba[s + 3];
      const r = rgba[s];
      const g = rgba[s + 1];
      const b = rgba[s + 2];
      data[d] = (r * a + 127) / 255;
      data[d + 1] = (g * a + 127) / 255;
      data[d + 2] = (b * a + 127) / 255;
      data[d + 3] = a;
      grayA += (0.299 * r + 0.587 * g + 0.114 * b) * a;
      sumA += a;
    }
  }
  return { levels: [{ data, width: cw, height: ch }], meanGray: sumA > 0 ? grayA / sumA : 0, bytes: data.length };
}

/** Level k of the pyramid (2x2 box filter per step: cheap anti-aliasing for strong downscales). */
export function foregroundLevel(fg: Foreground, k: number): FgLevel {
  while (fg.levels.length <= k) {
    const prev = fg.levels[fg.levels.length - 1];
    if (prev.width < 2 || prev.height < 2) return prev;
    const w = prev.width >> 1;
    const h = prev.height >> 1;
    const out = new Uint8Array(w * h * 4);
    const s = prev.data;
    const sw = prev.width * 4;
    for (let y = 0; y < h; y++) {
      let a = 2 * y * sw;
      let d = y * w * 4;
      for (let x = 0; x < w; x++, a += 8, d += 4) {
        for (let c = 0; c < 4; c++) out[d + c] = (s[a + c] + s[a + 4 + c] + s[a + sw + c] + s[a + sw + 4 + c] + 2) >> 2;
      }
    }
    fg.levels.push({ data: out, width: w, height: h });
    fg.bytes += out.length;
  }
  return fg.levels[k];
}

/** A least-recently-used cache bounded by bytes (decoded images are large; inputs can be thousands). */
export class ByteLru<V extends { bytes: number }> {
  private readonly map = new Map<number, V>();
  private total = 0;
  constructor(private readonly budget: number) {}
  get(key: number): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: number, v: V): void {
    this.map.set(key, v);
    this.total += v.bytes;
    for (const [k, old] of this.map) {
      if (this.total <= this.budget || this.map.size <= 1) break;
      this.map.delete(k);
      this.total -= old.bytes;
    }
  }
}

export async function loadForeground(file: string): Promise<Foreground> {
  const { image } = await decodeImageFile(file);
  if (image.channels !== 4) throw new Error(`${file}: no alpha channel`);
  const fg = prepareForeground(image.data, image.width, image.height);
  if (!fg) throw new Error(`${file}: empty alpha`);
  return fg;
}

export async function loadBackground(file: string): Promise<Background> {
  const { image } = await decodeImageFile(file);
  let rgb = image.data;
  if (image.channels === 4) {
    // Backgrounds with alpha: flatten on white would invent content; drop the alpha instead.
    rgb = new Uint8Array(image.width * image.height * 3);
    for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
      rgb[j] = image.data[i];
      rgb[j + 1] = image.data[i + 1];
      rgb[j + 2] = image.data[i + 2];
    }
  }
  return { rgb, width: image.width, height: image.height, bytes: rgb.length };
}
