/**
 * `animeseg dataset preview`: a contact sheet of N random images of a split with their label polygons
 * drawn on top (an SVG overlay per tile, composited by sharp), to eyeball a dataset before training.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { AnimesegError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { listSplitImages } from './files.js';
import { parseLabelText } from './labels.js';
import { Rng } from './synth/rng.js';
import { labelPathFor, readDataYaml, type SplitName } from './yaml.js';

export interface PreviewOptions {
  data: string;
  out: string;
  split?: SplitName;
  count?: number;
  seed?: number;
  /** Tile width and height in px (images are fitted inside). */
  tile?: number;
  columns?: number;
}

const PALETTE = ['#ff3b30', '#34c759', '#007aff', '#ff9500', '#af52de', '#5ac8fa', '#ffcc00', '#ff2d55'];

export async function previewDataset(opts: PreviewOptions): Promise<{ out: string; images: string[] }> {
  const split = opts.split ?? 'train';
  const n = opts.count ?? 16;
  const tile = opts.tile ?? 320;
  const d = await readDataYaml(opts.data);
  const entries = d.splits[split];
  if (!entries) throw new AnimesegError('BAD_OPTION', `data.yaml has no '${split}' split`, { file: opts.data });
  const all: string[] = [];
  for (const e of entries) all.push(...(await listSplitImages(e)));
  if (all.length === 0) throw new AnimesegError('BAD_DATASET', `split '${split}' has no images`, { file: opts.data });
  // Seeded partial Fisher-Yates: the same seed previews the same images.
  const rng = new Rng(opts.seed ?? 0, 0);
  const pick = all.slice();
  const k = Math.min(n, pick.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (pick.length - i));
    [pick[i], pick[j]] = [pick[j], pick[i]];
  }
  const chosen = pick.slice(0, k);
  const cols = opts.columns ?? Math.ceil(Math.sqrt(k));
  const rows = Math.ceil(k / cols);
  const tiles = await Promise.all(chosen.map((p) => renderTile(p, tile, d.names)));
  const sheet = sharp({ create: { width: cols * tile, height: rows * tile, channels: 3, background: '#202020' } });
  const png = await sheet
    .composite(tiles.map((t, i) => ({ input: t, left: (i % cols) * tile, top: Math.floor(i / cols) * tile })))
    .png()
    .toBuffer();
  await writeFileAtomic(opts.out, png);
  return { out: opts.out, images: chosen };
}

async function renderTile(path: string, tile: number, names: Map<number, string>): Promise<Buffer> {
  let img: Buffer;
  let w: number;
  let h: number;
  try {
    const r = await sharp(path).rotate().resize(tile - 4, tile - 4, { fit: 'inside' }).removeAlpha().png().toBuffer({ resolveWithObject: true });
    img = r.data;
    w = r.info.width;
    h = r.info.height;
  } catch (e) {
    // An unreadable image gets a red tile instead of failing the whole sheet.
    void e;
    return sharp({ create: { width: tile, height: tile, channels: 3, background: '#600000' } }).png().toBuffer();
  }
  let text = '';
  try {
    text = await readFile(labelPathFor(path), 'utf8');
  } catch {
    /* no label: background image */
  }
  const parsed = parseLabelText(text, (c) => names.has(c));
  const polys = parsed.rows
    .map((r, i) => {
      const pts: string[] = [];
      for (let k = 0; k < r.points.length; k += 2) pts.push(`${(r.points[k] * w).toFixed(1)},${(r.points[k + 1] * h).toFixed(1)}`);
      const c = PALETTE[i % PALETTE.length];
      // evenodd matches cv2.fillPoly, so holes joined into the outline show as holes.
      return `<polygon points="${pts.join(' ')}" fill="${c}" fill-opacity="0.3" fill-rule="evenodd" stroke="${c}" stroke-width="1.5"/>`;
    })
    .join('');
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${polys}</svg>`);
  const withPolys = await sharp(img).composite([{ input: svg, left: 0, top: 0 }]).png().toBuffer();
  return sharp({ create: { width: tile, height: tile, channels: 3, background: '#202020' } })
    .composite([{ input: withPolys, left: Math.floor((tile - w) / 2), top: Math.floor((tile - h) / 2) }])
    .png()
    .toBuffer();
}
