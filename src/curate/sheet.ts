/**
 * Contact sheets for a person to look at: a grid of thumbnails (cutouts on mid grey, so white and black
 * art both show) with a caption line under each, written as one PNG per group (kept, and each drop reason).
 */
import sharp from 'sharp';
import type { RawImage } from '../image/types.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface SheetTile {
  picture: RawImage;
  label: string;
}

const LABEL_H = 18;

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function tileOf(t: SheetTile, side: number): Promise<Buffer> {
  const box = side - 4;
  const { data, width, height, channels } = t.picture;
  const thumb = await sharp(data, { raw: { width, height, channels } })
    .resize(box, box - LABEL_H, { fit: 'inside' })
    .flatten({ background: '#808080' })
    .png()
    .toBuffer({ resolveWithObject: true });
  const label = t.label.length > 40 ? `${t.label.slice(0, 39)}…` : t.label;
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${LABEL_H}"><text x="3" y="13" font-family="sans-serif" font-size="11" fill="#eee">${escapeXml(label)}</text></svg>`,
  );
  return sharp({ create: { width: side, height: side, channels: 3, background: '#202020' } })
    .composite([
      { input: thumb.data, left: Math.floor((side - thumb.info.width) / 2), top: 2 + Math.floor((box - LABEL_H - thumb.info.height) / 2) },
      { input: svg, left: 0, top: side - LABEL_H },
    ])
    .png()
    .toBuffer();
}

/** Write a grid of tiles (square, `side` px) as a PNG. */
export async function writeContactSheet(path: string, tiles: readonly SheetTile[], side = 192): Promise<void> {
  const cols = Math.max(1, Math.min(8, Math.ceil(Math.sqrt(tiles.length))));
  const rows = Math.max(1, Math.ceil(tiles.length / cols));
  const rendered = [];
  for (const t of tiles) rendered.push(await tileOf(t, side));
  const png = await sharp({ create: { width: cols * side, height: rows * side, channels: 3, background: '#202020' } })
    .composite(rendered.map((input, i) => ({ input, left: (i % cols) * side, top: Math.floor(i / cols) * side })))
    .png()
    .toBuffer();
  await writeFileAtomic(path, png);
}
