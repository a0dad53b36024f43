/** Small helpers for the mask tests: masks from ASCII art and seeded random blobs (no dependence on src/). */
import type { Mask } from '../../src/mask/types.js';

/** Build a mask from rows of '#' (foreground) and '.' (background). */
export function art(...rows: string[]): Mask {
  const height = rows.length;
  const width = height ? rows[0].length : 0;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => {
    if (r.length !== width) throw new Error('ragged art');
    for (let x = 0; x < width; x++) data[y * width + x] = r[x] === '#' ? 1 : 0;
  });
  return { data, width, height };
}

/** Mask back to ASCII art, for readable assertion failures. */
export function toArt(m: Mask): string[] {
  const out: string[] = [];
  for (let y = 0; y < m.height; y++) {
    let s = '';
    for (let x = 0; x < m.width; x++) s += m.data[y * m.width + x] ? '#' : '.';
    out.push(s);
  }
  return out;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random union of ellipses: blob-like shapes as produced by segmentation models. */
export function randomBlobs(width: number, height: number, seed: number, count = 4): Mask {
  const r = rng(seed);
  const data = new Uint8Array(width * height);
  for (let k = 0; k < count; k++) {
    const cx = r() * width;
    const cy = r() * height;
    const rx = 2 + r() * width * 0.3;
    const ry = 2 + r() * height * 0.3;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const dx = (x - cx) / rx;
        const dy = (y - cy) / ry;
        if (dx * dx + dy * dy <= 1) data[y * width + x] = 1;
      }
    }
  }
  return { data, width, height };
}

/** Independent pixel-noise mask: each pixel foreground with probability p. */
export function randomNoise(width: number, height: number, seed: number, p = 0.5): Mask {
  const r = rng(seed);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = r() < p ? 1 : 0;
  return { data, width, height };
}

export const REF_ROOT = new URL('../../../shared/data/reference/yolo/dev/', import.meta.url).pathname;
