/**
 * Training crops (`segment --crops square|N`): one picture per character, its cutout centred on a square
 * canvas (the character's longer side plus a margin), painted transparent or with a background colour, then
 * optionally scaled to a fixed side (512, 768, 1024: what diffusion-dataset builders bucket by). The
 * geometry is pure (cropGeometry, unit-tested with hand-computed boxes); pixels go through cutout().
 */
import sharp from 'sharp';
import type { RawImage } from '../image/types.js';
import { cutout, type Rgb } from './outputs.js';

export interface CropSpec {
  /** 'square': the square canvas at its own size; a number: that canvas scaled to N x N. */
  size: 'square' | number;
  /** Margin on each side as a fraction of the character's longer side (default 0). */
  margin?: number;
  /** Background colour; undefined = transparent (RGBA output). */
  bg?: Rgb;
}

export interface CropGeometry {
  /** Square source region [x0, y0, x1, y1) in image pixels; may reach outside the image (background there). */
  region: [number, number, number, number];
  /** Side of the square region in source pixels. */
  side: number;
  /** Side of the output picture. */
  out: number;
}

/**
 * The square around a character's pixel bounds [x0, y0, x1, y1): side = longer side + 2 * round(margin *
 * longer side); centred on the bounds (an odd leftover pixel goes right/below).
 */
export function cropGeometry(bounds: readonly [number, number, number, number], spec: Pick<CropSpec, 'size' | 'margin'>): CropGeometry {
  const g = frameGeometry(bounds, 1, spec.margin ?? 0);
  return { region: g.region, side: g.width, out: spec.size === 'square' ? g.width : spec.size };
}

/**
 * The region of aspect `aspect` (width / height) around pixel bounds: the bounds plus round(margin x longer
 * side) on each edge, widened along one axis to the aspect, centred (an odd leftover pixel goes right/below).
 * Aspect 1 is the square of cropGeometry; dataset framing (src/curate) asks for aspect buckets.
 */
export function frameGeometry(bounds: readonly [number, number, number, number], aspect: number, margin: number): { region: [number, number, number, number]; width: number; height: number } {
  const [x0, y0, x1, y1] = bounds;
  const w = x1 - x0;
  const h = y1 - y0;
  const m = Math.round(margin * Math.max(w, h));
  let fw = w + 2 * m;
  let fh = h + 2 * m;
  if (fw / fh > aspect) fh = Math.max(fh, Math.round(fw / aspect));
  else fw = Math.max(fw, Math.round(fh * aspect));
  const sx = x0 - Math.floor((fw - w) / 2);
  const sy = y0 - Math.floor((fh - h) / 2);
  return { region: [sx, sy, sx + fw, sy + fh], width: fw, height: fh };
}

/** Part of region inside a width x height image, or null. */
function clipRegion(r: readonly number[], width: number, height: number): [number, number, number, number] | null {
  const x0 = Math.max(0, r[0]);
  const y0 = Math.max(0, r[1]);
  const x1 = Math.min(width, r[2]);
  const y1 = Math.min(height, r[3]);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1, y1] : null;
}

/** The crop picture of one character: `alpha` is its alpha plane (full image size), `bounds` its pixel bounds. */
export async function renderCrop(image: RawImage, alpha: Uint8Array, bounds: readonly [number, number, number, number], spec: CropSpec): Promise<RawImage> {
  const g = cropGeometry(bounds, spec);
  return renderRegion(image, alpha, g.region, g.out, g.out, spec.bg);
}

/**
 * The pixels of a source region (which may reach outside the image: background there) with the cutout of
 * `alpha` in it, scaled to outW x outH; `bg` undefined = transparent (RGBA), else RGB on that colour.
 */
export async function renderRegion(image: RawImage, alpha: Uint8Array, region: readonly [number, number, number, number], outW: number, outH: number, bg?: Rgb): Promise<RawImage> {
  const rw = region[2] - region[0];
  const rh = region[3] - region[1];
  const cn = bg ? 3 : 4;
  const canvas = new Uint8Array(rw * rh * cn);
  if (bg) for (let p = 0; p < canvas.length; p += 3) canvas.set(bg, p);
  const inside = clipRegion(region, image.width, image.height);
  if (inside) {
    const part = cutout(image, alpha, { region: inside, bgColor: bg });
    const ox = inside[0] - region[0];
    const oy = inside[1] - region[1];
    for (let y = 0; y < part.height; y++) {
      canvas.set(part.data.subarray(y * part.width * cn, (y + 1) * part.width * cn), ((oy + y) * rw + ox) * cn);
    }
  }
  if (outW === rw && outH === rh) return { data: canvas, width: rw, height: rh, channels: cn };
  // Lanczos scaling; sharp premultiplies alpha for RGBA so transparent pixels do not bleed dark fringes.
  const { data } = await sharp(canvas, { raw: { width: rw, height: rh, channels: cn } })
    .resize(outW, outH, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: outW, height: outH, channels: cn };
}
