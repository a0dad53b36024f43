/**
 * Overlay drawing: masks tinted in per-instance colours, box outlines and "class score" labels.
 * Masks are blended directly into the pixels (typed arrays); boxes and text are an SVG composited by sharp
 * (librsvg renders the text with the system fonts; DejaVu Sans when installed).
 */
import { ADMITTED_INPUT, sharpRaw } from './sharp-input.js';
import type { Box, Mask } from '../mask/types.js';
import type { RawImage } from './types.js';
import { toRgb } from './pixels.js';

export interface OverlayItem {
  mask?: Mask;
  box: Box;
  label: string;
}

/** Distinct colours, neighbours far apart so adjacent characters never share a hue. */
export const PALETTE: readonly [number, number, number][] = [
  [255, 56, 56], [0, 194, 255], [72, 249, 10], [255, 178, 29], [132, 56, 255], [255, 55, 199], [26, 147, 52],
  [0, 24, 236], [207, 210, 49], [0, 212, 187], [255, 112, 31], [146, 204, 23], [82, 0, 133], [255, 149, 200],
];

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Returns an RGB image with masks blended at `alpha` and boxes/labels drawn on top. */
export async function drawOverlay(image: RawImage, items: readonly OverlayItem[], opts: { alpha?: number } = {}): Promise<RawImage> {
  const rgb = toRgb(image);
  const out = new Uint8Array(rgb.data);
  const a = opts.alpha ?? 0.45;
  const n = rgb.width * rgb.height;
  items.forEach((it, k) => {
    if (!it.mask) return;
    const [r, g, b] = PALETTE[k % PALETTE.length];
    const m = it.mask.data;
    for (let i = 0; i < n; i++) {
      if (m[i] === 0) continue;
      const j = i * 3;
      out[j] = out[j] + (r - out[j]) * a;
      out[j + 1] = out[j + 1] + (g - out[j + 1]) * a;
      out[j + 2] = out[j + 2] + (b - out[j + 2]) * a;
    }
  });
  const lw = Math.max(2, Math.round(Math.min(rgb.width, rgb.height) / 300));
  const fs = Math.max(12, Math.round(Math.min(rgb.width, rgb.height) / 40));
  const parts = items.map((it, k) => {
    const [r, g, b] = PALETTE[k % PALETTE.length];
    const col = `rgb(${r},${g},${b})`;
    const [x1, y1, x2, y2] = it.box;
    const tw = Math.round(it.label.length * fs * 0.6 + 8);
    const ty = y1 - fs - 6 >= 0 ? y1 - fs - 6 : y1;
    return `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}" fill="none" stroke="${col}" stroke-width="${lw}"/>` +
      `<rect x="${x1.toFixed(1)}" y="${ty.toFixed(1)}" width="${tw}" height="${fs + 6}" fill="${col}"/>` +
      `<text x="${(x1 + 4).toFixed(1)}" y="${(ty + fs).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${fs}" fill="white">${esc(it.label)}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${rgb.width}" height="${rgb.height}">${parts.join('')}</svg>`;
  const { data, info } = await sharpRaw(out, rgb.width, rgb.height, 3)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0, ...ADMITTED_INPUT }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}
