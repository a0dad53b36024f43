/**
 * Builds a small YOLO-seg validation set for evaluation tests and the benchmark: Katawa Shoujo sprites
 * (../shared/data/ks, exact alpha mattes) pasted on backgrounds, later sprites occluding earlier ones. Each
 * instance's label is the outer contour of its VISIBLE pixels (alpha >= 128 and not covered later), traced with
 * src/mask/polygon.ts. Deterministic for a given seed. Writes images/val/*.png, labels/val/*.txt, data.yaml.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { maskToPolygons } from '../../src/mask/polygon.js';
import { rng } from '../mask/helpers.js';

const KS = resolve('../shared/data/ks');

export interface SynthSetOptions {
  images: number;
  width?: number;
  height?: number;
  seed?: number;
  /** Sprites per image: 1..maxPerImage. */
  maxPerImage?: number;
  /** Sprite folder under ../shared/data/ks (default sprites_full; sprites_close = close-ups). */
  sprites?: 'sprites_full' | 'sprites_close';
}

export interface SynthSet {
  root: string;
  dataYaml: string;
  images: string[];
  /** Per image: visible-instance polygons in pixels (what the labels say), for tests. */
  polygons: number[][][];
}

export async function buildSynthSet(root: string, opts: SynthSetOptions): Promise<SynthSet> {
  const W = opts.width ?? 480;
  const H = opts.height ?? 288;
  const rand = rng(opts.seed ?? 7);
  const spriteDir = join(KS, opts.sprites ?? 'sprites_full');
  const sprites = (await readdir(spriteDir)).filter((f) => f.endsWith('.png')).sort();
  const backgrounds = (await readdir(join(KS, 'backgrounds'))).filter((f) => f.endsWith('.jpg')).sort();
  await mkdir(join(root, 'images', 'val'), { recursive: true });
  await mkdir(join(root, 'labels', 'val'), { recursive: true });
  const images: string[] = [];
  const polygons: number[][][] = [];
  for (let n = 0; n < opts.images; n++) {
    const bg = await sharp(join(KS, 'backgrounds', backgrounds[Math.floor(rand() * backgrounds.length)]))
      .resize(W, H, { fit: 'cover' })
      .removeAlpha()
      .raw()
      .toBuffer();
    const canvas = new Uint8Array(bg);
    const owner = new Int16Array(W * H).fill(-1);
    const count = 1 + Math.floor(rand() * (opts.maxPerImage ?? 2));
    for (let k = 0; k < count; k++) {
      const file = join(spriteDir, sprites[Math.floor(rand() * sprites.length)]);
      const sh = Math.round(H * (0.6 + 0.35 * rand()));
      const { data, info } = await sharp(file).resize({ height: sh }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const x0 = Math.round(rand() * (W - info.width * 0.6) - info.width * 0.2);
      const y0 = H - info.height; // standing on the bottom edge, like the game's sprites
      for (let y = 0; y < info.height; y++) {
        const cy = y0 + y;
        if (cy < 0 || cy >= H) continue;
        for (let x = 0; x < info.width; x++) {
          const cx = x0 + x;
          if (cx < 0 || cx >= W) continue;
          const s = (y * info.width + x) * 4;
          const a = data[s + 3];
          if (a === 0) continue;
          const d = (cy * W + cx) * 3;
          for (let c = 0; c < 3; c++) canvas[d + c] = Math.round((data[s + c] * a + canvas[d + c] * (255 - a)) / 255);
          if (a >= 128) owner[cy * W + cx] = k;
        }
      }
    }
    const name = `synth_${String(n).padStart(3, '0')}`;
    const lines: string[] = [];
    const polys: number[][] = [];
    for (let k = 0; k < count; k++) {
      const m = new Uint8Array(W * H);
      let area = 0;
      for (let i = 0; i < m.length; i++) if (owner[i] === k) {
        m[i] = 1;
        area++;
      }
      if (area < 200) continue; // fully hidden or a sliver: not a labelled character
      const [poly] = maskToPolygons({ data: m, width: W, height: H }, { epsilon: 1 });
      if (!poly || poly.length < 6) continue;
      polys.push(poly);
      const coords: string[] = [];
      for (let i = 0; i < poly.length; i += 2) coords.push((poly[i] / W).toFixed(6), (poly[i + 1] / H).toFixed(6));
      lines.push(`0 ${coords.join(' ')}`);
    }
    const img = join(root, 'images', 'val', `${name}.png`);
    await sharp(Buffer.from(canvas), { raw: { width: W, height: H, channels: 3 } }).png().toFile(img);
    await writeFile(join(root, 'labels', 'val', `${name}.txt`), lines.join('\n') + (lines.length ? '\n' : ''));
    images.push(img);
    polygons.push(polys);
  }
  const dataYaml = join(root, 'data.yaml');
  await writeFile(dataYaml, `path: ${root}\ntrain: images/val\nval: images/val\nnames:\n  0: character\n`);
  return { root, dataYaml, images, polygons };
}
