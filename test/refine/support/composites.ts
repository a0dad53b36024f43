/**
 * KS composites built at test time: sprites with exact alpha mattes pasted on backgrounds. The truth mask is
 * the pasted alpha > 127 (what the brief defines), and the true alpha itself is kept for soft-edge checks.
 * Selection is deterministic (fixed strides through the sorted file lists), so every run sees the same set.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RawImage } from '../../../src/image/types.js';
import type { Mask } from '../../../src/mask/types.js';

export const KS = new URL('../../../../shared/data/ks/', import.meta.url).pathname;

export interface Composite {
  name: string;
  image: RawImage; // RGB
  truth: Mask; // alpha > 127
  alpha: Uint8Array; // true coverage 0..255
}

interface Placement {
  sprite: string; // path
  height: number; // sprite height after scaling
  x: number; // left edge
}

async function paste(bgPath: string, places: Placement[], name: string): Promise<Composite> {
  const bg = await sharp(bgPath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const W = bg.info.width;
  const H = bg.info.height;
  const rgb = new Uint8Array(bg.data);
  const alphaAll = new Uint8Array(W * H);
  for (const pl of places) {
    const sp = await sharp(pl.sprite).ensureAlpha().resize({ height: pl.height }).raw().toBuffer({ resolveWithObject: true });
    const sw = sp.info.width;
    const sh = sp.info.height;
    const top = H - sh; // sprites end at the thighs: stand them on the bottom edge
    for (let y = 0; y < sh; y++) {
      const ty = top + y;
      if (ty < 0 || ty >= H) continue;
      for (let x = 0; x < sw; x++) {
        const tx = pl.x + x;
        if (tx < 0 || tx >= W) continue;
        const s = (y * sw + x) * 4;
        const a = sp.data[s + 3];
        if (a === 0) continue;
        const t = ty * W + tx;
        for (let c = 0; c < 3; c++) rgb[t * 3 + c] = Math.round((sp.data[s + c] * a + rgb[t * 3 + c] * (255 - a)) / 255);
        // Coverage of stacked layers: 1 - (1-a)(1-b).
        alphaAll[t] = 255 - Math.round(((255 - a) * (255 - alphaAll[t])) / 255);
      }
    }
  }
  const truth = new Uint8Array(W * H);
  for (let i = 0; i < W * H; i++) truth[i] = alphaAll[i] > 127 ? 1 : 0;
  return { name, image: { data: rgb, width: W, height: H, channels: 3 }, truth: { data: truth, width: W, height: H }, alpha: alphaAll };
}

/** `count` composites; every third one has two characters. */
export async function buildComposites(count: number, offset = 0): Promise<Composite[]> {
  const sprites = readdirSync(join(KS, 'sprites_full')).filter((f) => f.endsWith('.png')).sort();
  const bgs = readdirSync(join(KS, 'backgrounds')).filter((f) => f.endsWith('.jpg')).sort();
  const out: Composite[] = [];
  for (let i = offset; i < offset + count; i++) {
    const s1 = sprites[(i * 37) % sprites.length];
    const s2 = sprites[(i * 53 + 11) % sprites.length];
    const bg = bgs[(i * 29) % bgs.length];
    const h1 = 480 + ((i * 47) % 120);
    const places: Placement[] = [];
    if (i % 3 === 2) {
      places.push({ sprite: join(KS, 'sprites_full', s1), height: h1, x: 120 + ((i * 31) % 120) });
      places.push({ sprite: join(KS, 'sprites_full', s2), height: 520, x: 560 + ((i * 17) % 100) });
    } else {
      places.push({ sprite: join(KS, 'sprites_full', s1), height: h1, x: 250 + ((i * 61) % 400) });
    }
    const name = `${bg.replace(/\.jpg$/, '')}+${places.map((p) => p.sprite.split('/').pop()!.replace(/\.png$/, '')).join('+')}`;
    out.push(await paste(join(KS, 'backgrounds', bg), places, name));
  }
  return out;
}
