/**
 * Generated backgrounds: the plain, gradient, colour-block and patterned backdrops that real illustrations
 * (and about half of SkyTNT's generated training set) use, which photographs and painted scenes lack.
 * Each image depends only on (seed, index): a rerun writes the same files and skips those present.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../../util/atomic.js';
import { pathExists } from '../../util/exists.js';
import { Rng } from './rng.js';

export const BACKGROUND_KINDS = ['white', 'flat', 'gradient', 'blocks', 'pattern', 'busy'] as const;
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

type Rgb = [number, number, number];

function colour(rng: Rng, pale = false): Rgb {
  const lo = pale ? 170 : 0;
  return [rng.int(lo, 255), rng.int(lo, 255), rng.int(lo, 255)];
}

function fill(rgb: Uint8Array, c: Rgb): void {
  for (let i = 0; i < rgb.length; i += 3) {
    rgb[i] = c[0];
    rgb[i + 1] = c[1];
    rgb[i + 2] = c[2];
  }
}

function rect(rgb: Uint8Array, W: number, H: number, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  for (let y = Math.max(0, y0); y < Math.min(H, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(W, x1); x++) {
      const o = (y * W + x) * 3;
      rgb[o] = c[0];
      rgb[o + 1] = c[1];
      rgb[o + 2] = c[2];
    }
  }
}

function disc(rgb: Uint8Array, W: number, H: number, cx: number, cy: number, r: number, c: Rgb): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(H, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(W, Math.ceil(cx + r)); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
      const o = (y * W + x) * 3;
      rgb[o] = c[0];
      rgb[o + 1] = c[1];
      rgb[o + 2] = c[2];
    }
  }
}

/** A thick straight stroke from (x0, y0) to (x1, y1). */
function stroke(rgb: Uint8Array, W: number, H: number, x0: number, y0: number, x1: number, y1: number, width: number, c: Rgb): void {
  const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(1, width / 2));
  for (let s = 0; s <= steps; s++) {
    const t = steps ? s / steps : 0;
    disc(rgb, W, H, x0 + t * (x1 - x0), y0 + t * (y1 - y0), width / 2, c);
  }
}

/** One background of the given kind, RGB bytes (W x H x 3). */
export function generateBackground(kind: BackgroundKind, rng: Rng, W: number, H: number): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  switch (kind) {
    case 'white': {
      const v = rng.int(235, 255); // paper white to pure white
      fill(rgb, [v, v, rng.int(Math.max(225, v - 10), v)]);
      break;
    }
    case 'flat':
      fill(rgb, colour(rng, rng.chance(0.6)));
      break;
    case 'gradient': {
      const a = colour(rng, rng.chance(0.5));
      const b = colour(rng, rng.chance(0.5));
      const angle = rng.uniform(0, Math.PI * 2);
      const dx = Math.cos(angle);
      const dy = Math.sin(angle);
      const span = Math.abs(dx) * W + Math.abs(dy) * H;
      const base = Math.min(0, dx * W) + Math.min(0, dy * H);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const t = (dx * x + dy * y - base) / span;
          const o = (y * W + x) * 3;
          for (let ch = 0; ch < 3; ch++) rgb[o + ch] = a[ch] + t * (b[ch] - a[ch]);
        }
      }
      break;
    }
    case 'blocks': {
      // Split the canvas into a few axis-aligned colour blocks (manga panels, posters, split backdrops).
      fill(rgb, colour(rng, true));
      const n = rng.int(2, 6);
      for (let k = 0; k < n; k++) {
        const x0 = rng.int(0, W - 1);
        const y0 = rng.int(0, H - 1);
        rect(rgb, W, H, x0, y0, x0 + rng.int(W >> 3, W), y0 + rng.int(H >> 3, H), colour(rng, rng.chance(0.5)));
      }
      break;
    }
    case 'pattern': {
      // A repeated motif (dots, stripes, checks) on a pale ground, as in chibi and poster art.
      const ground = colour(rng, true);
      const ink = colour(rng, rng.chance(0.5));
      fill(rgb, ground);
      const step = rng.int(Math.max(8, Math.round(Math.min(W, H) / 30)), Math.max(16, Math.round(Math.min(W, H) / 6)));
      const motif = rng.int(0, 2);
      for (let y = 0; y < H + step; y += step) {
        for (let x = 0; x < W + step; x += step) {
          if (motif === 0) disc(rgb, W, H, x + ((y / step) % 2 ? step / 2 : 0), y, step * 0.3, ink);
          else if (motif === 1 && (x / step) % 2 === 0) rect(rgb, W, H, x, 0, x + (step >> 1), H, ink);
          else if (motif === 2 && ((x + y) / step) % 2 === 0) rect(rgb, W, H, x, y, x + step, y + step, ink);
        }
      }
      break;
    }
    case 'busy': {
      // Many saturated shapes and strokes: the dense, colourful backdrops where models find false characters.
      fill(rgb, colour(rng));
      const n = rng.int(20, 60);
      const m = Math.min(W, H);
      for (let k = 0; k < n; k++) {
        const c = colour(rng);
        const r = rng.int(0, 2);
        if (r === 0) disc(rgb, W, H, rng.uniform(0, W), rng.uniform(0, H), rng.uniform(m / 40, m / 5), c);
        else if (r === 1) {
          const x0 = rng.int(0, W - 1);
          const y0 = rng.int(0, H - 1);
          rect(rgb, W, H, x0, y0, x0 + rng.int(4, W >> 2), y0 + rng.int(4, H >> 2), c);
        } else stroke(rgb, W, H, rng.uniform(0, W), rng.uniform(0, H), rng.uniform(0, W), rng.uniform(0, H), rng.uniform(2, m / 30), c);
      }
      break;
    }
  }
  return rgb;
}

export interface GenerateBackgroundsOptions {
  out: string;
  count: number;
  seed?: number;
  /** Kinds drawn in turn (default all). */
  kinds?: readonly BackgroundKind[];
  /** Sizes are drawn from these (width, height) pairs; default landscape, portrait and square around 800 px. */
  sizes?: readonly [number, number][];
}

const DEFAULT_SIZES: [number, number][] = [
  [1000, 600],
  [800, 800],
  [640, 900],
  [900, 640],
];

/** Write `count` generated backgrounds as PNG files (bg_KIND_NNNN.png) into `out`; returns their paths. */
export async function writeGeneratedBackgrounds(opts: GenerateBackgroundsOptions): Promise<string[]> {
  const kinds = opts.kinds ?? BACKGROUND_KINDS;
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  const files: string[] = [];
  await mkdir(opts.out, { recursive: true });
  for (let i = 0; i < opts.count; i++) {
    const kind = kinds[i % kinds.length];
    const file = join(opts.out, `bg_${kind}_${String(i).padStart(4, '0')}.png`);
    files.push(file);
    if (await pathExists(file)) continue;
    const rng = new Rng(opts.seed ?? 0, 0x6b67 + i);
    const [W, H] = sizes[rng.int(0, sizes.length - 1)];
    const rgb = generateBackground(kind, rng, W, H);
    const png = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 3 }).toBuffer();
    await writeFileAtomic(file, png);
  }
  return files;
}
