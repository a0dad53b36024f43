/**
 * What a segmentation result turns into: RGBA cutouts (all or chosen instances, optional crop to content
 * and background colour), the binary mask, per-instance cutouts cropped to their box, the instances JSON
 * (class, score, box, polygon, COCO RLE, area) and the overlay picture. Pure pixel work on typed arrays;
 * encoding is in src/image/encode.ts.
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Box, Mask, Polygon, Rle } from '../mask/types.js';
import { encodeRle } from '../mask/rle.js';
import { maskToPolygons } from '../mask/polygon.js';
import { maskBox } from '../mask/ops.js';
import { boxRegion } from '../mask/box-region.js';
import { drawOverlay } from '../image/draw.js';
import { toRgb } from '../image/pixels.js';
import type { Instance } from './types.js';

export type Rgb = [number, number, number];

/** Parse '#fff', '#ffffff', 'r,g,b' or a few names; `name` is the option as the user wrote it, for the error. */
export function parseColor(s: string, name = 'colour'): Rgb {
  const t = s.trim().toLowerCase();
  const named: Record<string, Rgb> = { white: [255, 255, 255], black: [0, 0, 0], green: [0, 255, 0], blue: [0, 0, 255], red: [255, 0, 0] };
  if (named[t]) return named[t];
  let m = /^#?([0-9a-f]{6})$/.exec(t);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^#?([0-9a-f]{3})$/.exec(t);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as Rgb;
  const parts = t.split(',').map((p) => p.trim());
  if (parts.length === 3 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return parts.map(Number) as Rgb;
  throw invalidParameterError(name, "a colour: '#rrggbb', '#rgb', 'r,g,b' (0-255) or white/black", s);
}

/**
 * Alpha (0..255) of the union of the chosen instances: a refiner's soft alpha where present, else the
 * binary mask. `indices` = which instances (default all).
 */
export function combinedAlpha(instances: readonly Instance[], width: number, height: number, indices?: readonly number[]): Uint8Array {
  const a = new Uint8Array(width * height);
  const chosen = indices ?? instances.map((_, i) => i);
  for (const i of chosen) {
    const inst = instances[i];
    if (!inst) throw new AnimesegError('BAD_OPTION', `instance ${i} does not exist (0..${instances.length - 1})`);
    if (inst.alpha) {
      const s = inst.alpha;
      for (let p = 0; p < a.length; p++) if (s[p] > a[p]) a[p] = s[p];
    } else orMaskInto(a, inst.mask.data);
  }
  return a;
}

/**
 * a[p] = 255 wherever m[p] is set. Background is read four bytes at a time (most of a picture is not
 * under any one character): the same result as the byte loop, in about a third of the time.
 */
function orMaskInto(a: Uint8Array, m: Uint8Array): void {
  const n = Math.min(a.length, m.length);
  let p = 0;
  if ((m.byteOffset & 3) === 0) {
    const words = new Uint32Array(m.buffer, m.byteOffset, n >> 2);
    for (let k = 0; k < words.length; k++) {
      if (words[k] === 0) continue;
      p = k << 2;
      if (m[p] !== 0) a[p] = 255;
      if (m[p + 1] !== 0) a[p + 1] = 255;
      if (m[p + 2] !== 0) a[p + 2] = 255;
      if (m[p + 3] !== 0) a[p + 3] = 255;
    }
    p = words.length << 2;
  }
  for (; p < n; p++) if (m[p] !== 0) a[p] = 255;
}

/**
 * Alpha of a segmentation result's cutout: the union of its instances, limited by the input's own alpha
 * when the input was already transparent (a cutout never makes hidden pixels visible).
 */
export function resultAlpha(r: { instances: readonly Instance[]; width: number; height: number; inputAlpha?: Uint8Array }, indices?: readonly number[]): Uint8Array {
  const a = combinedAlpha(r.instances, r.width, r.height, indices);
  const ia = r.inputAlpha;
  if (ia) for (let p = 0; p < a.length; p++) if (ia[p] < a[p]) a[p] = ia[p];
  return a;
}

/** Smallest integer box [x0, y0, x1, y1) holding every non-zero alpha; null when empty. */
export function contentBounds(alpha: Uint8Array, width: number, height: number): [number, number, number, number] | null {
  return maskBox({ data: alpha, width, height });
}

export interface CutoutOptions {
  /** Paint the background with this colour (RGB output) instead of transparency (RGBA output). */
  bgColor?: Rgb;
  /** Crop to the bounding box of the alpha (an empty result stays full size). */
  crop?: boolean;
  /** Integer region [x0, y0, x1, y1) to cut (overrides crop). */
  region?: [number, number, number, number];
}

/**
 * RGBA cutout (or RGB on a background colour) of an RGB image with an alpha plane.
 * Fully transparent pixels get RGB 0 (as rembg and most matting tools write them): the hidden colours are
 * meaningless, and zeros make the PNG several times faster to compress and smaller.
 */
export function cutout(image: RawImage, alpha: Uint8Array, opts: CutoutOptions = {}): RawImage {
  const rgb = toRgb(image);
  const { width, height } = rgb;
  let [x0, y0, x1, y1] = [0, 0, width, height];
  if (opts.region) [x0, y0, x1, y1] = opts.region;
  else if (opts.crop) {
    const b = contentBounds(alpha, width, height);
    if (b) [x0, y0, x1, y1] = b;
  }
  const w = x1 - x0;
  const h = y1 - y0;
  const src = rgb.data;
  const bg = opts.bgColor;
  const outCn = bg ? 3 : 4;
  const out = new Uint8Array(w * h * outCn);
  if (!bg && w === width && (alpha.byteOffset & 3) === 0) {
    // Whole rows (no horizontal crop): one pass over the plane, skipping transparent pixels four at a time.
    const p0 = y0 * width;
    copyVisible(src, alpha, out, p0, p0 + w * h);
    return { data: out, width: w, height: h, channels: outCn };
  }
  for (let y = 0; y < h; y++) {
    let si = ((y + y0) * width + x0) * 3;
    let ai = (y + y0) * width + x0;
    let o = y * w * outCn;
    if (bg) {
      const [br, bgG, bb] = bg;
      for (let x = 0; x < w; x++, si += 3, ai++, o += 3) {
        const a = alpha[ai];
        if (a === 255) {
          out[o] = src[si];
          out[o + 1] = src[si + 1];
          out[o + 2] = src[si + 2];
        } else if (a === 0) {
          out[o] = br;
          out[o + 1] = bgG;
          out[o + 2] = bb;
        } else {
          // Blend on the colour, rounded to nearest (Uint8Array stores truncate).
          const na = 255 - a;
          out[o] = (src[si] * a + br * na + 127) / 255;
          out[o + 1] = (src[si + 1] * a + bgG * na + 127) / 255;
          out[o + 2] = (src[si + 2] * a + bb * na + 127) / 255;
        }
      }
    } else {
      for (let x = 0; x < w; x++, si += 3, ai++, o += 4) {
        const a = alpha[ai];
        if (a === 0) continue; // stays 0,0,0,0
        out[o] = src[si];
        out[o + 1] = src[si + 1];
        out[o + 2] = src[si + 2];
        out[o + 3] = a;
      }
    }
  }
  return { data: out, width: w, height: h, channels: outCn };
}

/** Whether this machine stores the first byte of a 32-bit word lowest (true on every platform Node runs on today). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * RGBA of pixels [p0, p1) where alpha > 0 (RGB from `src`, 3 bytes a pixel); `out` starts at pixel p0, zeroed.
 * Transparent pixels are skipped four at a time and each visible pixel is one 32-bit store: the same bytes
 * as four byte stores.
 */
function copyVisible(src: Uint8Array, alpha: Uint8Array, out: Uint8Array, p0: number, p1: number): void {
  if (!LITTLE_ENDIAN || (out.byteOffset & 3) !== 0) {
    for (let p = p0; p < p1; p++) visitBytes(src, alpha, out, p0, p);
    return;
  }
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
  let p = p0;
  // Word reads need 4-byte alignment of the alpha index: single steps up to it.
  for (; p < p1 && ((alpha.byteOffset + p) & 3) !== 0; p++) visitWord(src, alpha, out32, p0, p);
  const words = new Uint32Array(alpha.buffer, alpha.byteOffset + p, (p1 - p) >> 2);
  for (let k = 0; k < words.length; k++, p += 4) {
    if (words[k] === 0) continue;
    visitWord(src, alpha, out32, p0, p);
    visitWord(src, alpha, out32, p0, p + 1);
    visitWord(src, alpha, out32, p0, p + 2);
    visitWord(src, alpha, out32, p0, p + 3);
  }
  for (; p < p1; p++) visitWord(src, alpha, out32, p0, p);
}

function visitWord(src: Uint8Array, alpha: Uint8Array, out32: Uint32Array, p0: number, p: number): void {
  const a = alpha[p];
  if (a === 0) return; // stays 0,0,0,0
  const si = p * 3;
  out32[p - p0] = (src[si] | (src[si + 1] << 8) | (src[si + 2] << 16) | (a << 24)) >>> 0;
}

function visitBytes(src: Uint8Array, alpha: Uint8Array, out: Uint8Array, p0: number, p: number): void {
  const a = alpha[p];
  if (a === 0) return;
  const si = p * 3;
  const o = (p - p0) * 4;
  out[o] = src[si];
  out[o + 1] = src[si + 1];
  out[o + 2] = src[si + 2];
  out[o + 3] = a;
}

/**
 * The one mask format of every surface (CLI NAME.mask.png and NAME.instNN.mask.png, the API's only_mask, the
 * web page's download): an 8-bit single-channel image, 0 / 255 for binary masks or the alpha values of a
 * soft edge; `region` [x0, y0, x1, y1) crops it. encodeImage keeps one channel one channel (grayscale PNG).
 */
export function maskImage(alpha: Uint8Array, width: number, height: number, region?: readonly [number, number, number, number]): RawImage {
  if (!region || (region[0] === 0 && region[1] === 0 && region[2] === width && region[3] === height)) return { data: alpha, width, height, channels: 1 };
  const [x0, y0, x1, y1] = region;
  const w = x1 - x0;
  const out = new Uint8Array(w * (y1 - y0));
  for (let y = y0; y < y1; y++) out.set(alpha.subarray(y * width + x0, y * width + x1), (y - y0) * w);
  return { data: out, width: w, height: y1 - y0, channels: 1 };
}

/** The alpha plane as a gray image (0 / 255 for binary masks): maskImage of the whole picture. */
export function alphaImage(alpha: Uint8Array, width: number, height: number): RawImage {
  return maskImage(alpha, width, height);
}

/**
 * One full-size mask per instance (maskImage format, aligned with the input so it overlays it directly),
 * limited by a transparent input's own alpha like resultAlpha: what `--only-mask --instances` writes.
 */
export function instanceMasks(r: { instances: readonly Instance[]; width: number; height: number; inputAlpha?: Uint8Array }): RawImage[] {
  return r.instances.map((_, i) => instanceMask(r, i));
}

/** The mask of instance `i` alone (one entry of instanceMasks). */
export function instanceMask(r: { instances: readonly Instance[]; width: number; height: number; inputAlpha?: Uint8Array }, i: number): RawImage {
  return maskImage(resultAlpha(r, [i]), r.width, r.height);
}

/**
 * Per-character file name part: `instNN`, NN = the instance's 0-based id in NAME.json (at least two digits,
 * so a folder listing sorts in id order up to 99). The CLI, the web page and the docs use this one scheme.
 */
export function instanceTag(id: number): string {
  return `inst${String(id).padStart(2, '0')}`;
}

/** Integer pixel region of a float box: floor of the start, ceil of the end, clipped to the image. */
export { boxRegion } from '../mask/box-region.js';

/**
 * One RGBA cutout per instance, cropped to its box (the mask may reach slightly past the box).
 * `inputAlpha` (a transparent input's own alpha) limits the result like resultAlpha does.
 */
export function instanceCutouts(
  image: RawImage,
  instances: readonly Instance[],
  opts: Omit<CutoutOptions, 'region' | 'crop'> & { inputAlpha?: Uint8Array } = {},
): RawImage[] {
  return instances.map((_, i) => instanceCutout(image, instances, i, opts));
}

/** The cutout of instance `i` alone, cropped to its box (one entry of instanceCutouts). */
export function instanceCutout(image: RawImage, instances: readonly Instance[], i: number, opts: Omit<CutoutOptions, 'region' | 'crop'> & { inputAlpha?: Uint8Array } = {}): RawImage {
  const alpha = resultAlpha({ instances, width: image.width, height: image.height, inputAlpha: opts.inputAlpha }, [i]);
  return cutout(image, alpha, { bgColor: opts.bgColor, region: boxRegion(instances[i].box, image.width, image.height) });
}

export type PolygonFn = (m: Mask, opts?: { epsilon?: number }) => Polygon[];

/**
 * The polygons of NAME.json: maskToPolygons, which reads only the mask's bounding box (a character covers a
 * fraction of a large picture). Kept as the JSON's named polygon function for its callers.
 */
export function polygonsInBox(m: Mask, opts: { epsilon?: number } = {}): Polygon[] {
  return maskToPolygons(m, opts);
}

export interface InstanceJson {
  id: number;
  class_id: number;
  class_name: string;
  score: number;
  /** x1, y1, x2, y2 in original pixels. */
  box: Box;
  /** Foreground pixels of the mask. */
  area: number;
  /** Outer contours as flat [x0, y0, x1, y1, ...] lists (empty when no polygon tracer is available). */
  polygons: Polygon[];
  /** COCO uncompressed RLE (column-major, pycocotools-compatible). */
  rle: Rle;
  mask_source?: string;
  /** Which model and pass (full, flip, tile, second-pass) found it; mask_model when the mask is another model's. */
  found_by?: { model: string; pass: string; mask_model?: string };
}

export interface ResultJson {
  image: string;
  width: number;
  height: number;
  model: string;
  settings: Record<string, unknown>;
  timings_ms: Record<string, number>;
  /** What the user should know about this result (e.g. the vote's SAM decoder ran degraded); absent when none. */
  notes?: string[];
  instances: InstanceJson[];
}

/** A stored NAME.json as a reader sees it: the outline, with the instance fields that reader uses (I). */
export interface StoredResultJson<I> {
  image: string;
  width: number;
  height: number;
  instances: I[];
}

/**
 * Whether a parsed JSON document has the outline of a stored result (NAME.json): the check every reader of
 * result folders makes before it reads instances (each reader still reads instance fields defensively).
 */
export function isResultJsonShape<I>(doc: unknown): doc is StoredResultJson<I> {
  const d = doc as Partial<StoredResultJson<I>> | null;
  return !!d && typeof d.image === 'string' && Number.isInteger(d.width) && Number.isInteger(d.height) && Array.isArray(d.instances);
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

/** The JSON document of a result. Polygons are traced with src/mask/polygon.ts (epsilon 1 px) unless null. */
export function resultJson(
  r: { width: number; height: number; instances: readonly Instance[]; timings: Record<string, number>; notes?: readonly string[] },
  meta: { image: string; model: string; settings: Record<string, unknown> },
  polygonFn: PolygonFn | null = polygonsInBox,
): ResultJson {
  return {
    image: meta.image,
    width: r.width,
    height: r.height,
    model: meta.model,
    settings: meta.settings,
    timings_ms: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, round(v, 2)])),
    ...(r.notes?.length ? { notes: [...r.notes] } : {}),
    instances: r.instances.map((inst, id) => {
      const rle = encodeRle(inst.mask);
      let area = 0;
      for (let k = 1; k < rle.counts.length; k += 2) area += rle.counts[k];
      return {
        id,
        class_id: inst.classId,
        class_name: inst.className,
        score: round(inst.score, 6),
        box: inst.box.map((v) => round(v, 3)) as Box,
        area,
        polygons: polygonFn ? polygonFn(inst.mask, { epsilon: 1 }) : [],
        rle,
        ...(inst.maskSource ? { mask_source: inst.maskSource } : {}),
        ...(inst.foundBy ? { found_by: { model: inst.foundBy.model, pass: inst.foundBy.pass, ...(inst.foundBy.maskModel ? { mask_model: inst.foundBy.maskModel } : {}) } } : {}),
      };
    }),
  };
}

/** Overlay picture: masks tinted, boxes and "class score" labels. */
export function overlayImage(image: RawImage, instances: readonly Instance[]): Promise<RawImage> {
  return drawOverlay(image, instances.map((i) => ({ mask: i.mask, box: i.box, label: `${i.className} ${i.score.toFixed(2)}` })));
}
