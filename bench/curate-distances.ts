/**
 * Where the default near-duplicate threshold comes from (not a test): pHash and dHash distances between each
 * of the 40 illustrations in ../shared/data and its copies (half size, JPEG quality 40, crops of 2, 3 and 5 %
 * off every edge), against the smallest distance between two different illustrations. Pictures are
 * decoded with their alpha (transparent PNGs composited on grey, as curate hashes them).
 *
 *   npx tsx bench/curate-distances.ts
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { hamming, imageHashes } from '../src/curate/hash.js';
import type { RawImage } from '../src/image/types.js';

const dir = resolve('../shared/data/illustrations/images');
const files = readdirSync(dir).sort();
const raw = async (s: Sharp): Promise<RawImage> => {
  const { data, info } = await s.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 4 };
};
const variants: Record<string, (p: string, w: number, h: number) => Promise<RawImage>> = {
  'half size': async (p, w) => raw(sharp(p).resize(Math.round(w / 2))),
  // JPEG has no alpha: re-encode the picture as curate would see it, on grey, at quality 40.
  'JPEG q40': async (p) => raw(sharp(await sharp(p).flatten({ background: '#808080' }).jpeg({ quality: 40 }).toBuffer())),
  'crop 2 %': async (p, w, h) => crop(p, w, h, 0.02),
  'crop 3 %': async (p, w, h) => crop(p, w, h, 0.03),
  'crop 5 %': async (p, w, h) => crop(p, w, h, 0.05),
};
async function crop(p: string, w: number, h: number, f: number): Promise<RawImage> {
  const cx = Math.round(w * f);
  const cy = Math.round(h * f);
  return raw(sharp(p).extract({ left: cx, top: cy, width: w - 2 * cx, height: h - 2 * cy }));
}
const worst: Record<string, { p: number; d: number }> = {};
const originals = [];
for (const f of files) {
  const p = resolve(dir, f);
  const m = await sharp(p).metadata();
  const o = imageHashes(await raw(sharp(p)));
  originals.push(o);
  for (const [name, make] of Object.entries(variants)) {
    const v = imageHashes(await make(p, m.width!, m.height!));
    const w = (worst[name] ??= { p: 0, d: 0 });
    w.p = Math.max(w.p, hamming(o.phash, v.phash));
    w.d = Math.max(w.d, hamming(o.dhash, v.dhash));
  }
}
let crossP = 64;
let crossD = 64;
for (let i = 0; i < originals.length; i++) {
  for (let j = i + 1; j < originals.length; j++) {
    crossP = Math.min(crossP, hamming(originals[i].phash, originals[j].phash));
    crossD = Math.min(crossD, hamming(originals[i].dhash, originals[j].dhash));
  }
}
console.log(`${files.length} illustrations; largest distance from an original to its copy (bits of 64):`);
for (const [name, w] of Object.entries(worst)) console.log(`  ${name.padEnd(10)} pHash ${String(w.p).padStart(2)}   dHash ${String(w.d).padStart(2)}`);
console.log(`smallest distance between two different illustrations: pHash ${crossP}, dHash ${crossD}`);
