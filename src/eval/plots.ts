/**
 * Pictures of an evaluation: Ultralytics-style PR and F1 curves (box and mask) drawn as SVG and rasterised by
 * sharp (librsvg), and a contact sheet of the worst images by foreground IoU, prediction and truth side by side.
 */
import { join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { decodeImageFile } from '../image/decode.js';
import { toRgb } from '../image/pixels.js';
import { writeFileAtomic } from '../util/atomic.js';
import { CURVE_X } from './metrics/ap.js';
import { smooth, argmax } from './metrics/numpy.js';
import type { MetricCurves } from './metrics/results.js';

const W = 800;
const H = 600;
const M = { left: 70, right: 220, top: 40, bottom: 60 };
const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface Series {
  label: string;
  y: ArrayLike<number>;
  color: string;
  width: number;
}

/** A line chart on [0,1] x [0,1] with axes, ticks, grid and a legend, as SVG text. */
export function lineChartSvg(title: string, xLabel: string, yLabel: string, x: ArrayLike<number>, series: readonly Series[]): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (v: number) => M.left + v * pw;
  const sy = (v: number) => M.top + (1 - v) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<g font-family="DejaVu Sans, Arial, sans-serif" font-size="13" fill="#222">`);
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    parts.push(`<line x1="${sx(v)}" y1="${M.top}" x2="${sx(v)}" y2="${M.top + ph}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${M.left}" y1="${sy(v)}" x2="${M.left + pw}" y2="${sy(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${sx(v)}" y1="${M.top + ph}" x2="${sx(v)}" y2="${M.top + ph + 5}" stroke="#222"/>`);
    parts.push(`<text x="${sx(v)}" y="${M.top + ph + 20}" text-anchor="middle">${v.toFixed(1)}</text>`);
    parts.push(`<line x1="${M.left - 5}" y1="${sy(v)}" x2="${M.left}" y2="${sy(v)}" stroke="#222"/>`);
    parts.push(`<text x="${M.left - 8}" y="${sy(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#222"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 15}" text-anchor="middle" font-size="15">${esc(xLabel)}</text>`);
  parts.push(`<text x="18" y="${M.top + ph / 2}" text-anchor="middle" font-size="15" transform="rotate(-90 18 ${M.top + ph / 2})">${esc(yLabel)}</text>`);
  parts.push(`<text x="${M.left + pw / 2}" y="25" text-anchor="middle" font-size="16">${esc(title)}</text>`);
  series.forEach((s, k) => {
    const pts: string[] = [];
    for (let i = 0; i < x.length; i++) {
      const v = Math.min(1, Math.max(0, s.y[i]));
      pts.push(`${sx(x[i]).toFixed(1)},${sy(v).toFixed(1)}`);
    }
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width}" points="${pts.join(' ')}"/>`);
    const ly = M.top + 10 + k * 20;
    parts.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 36}" y2="${ly}" stroke="${s.color}" stroke-width="${Math.max(2, s.width)}"/>`);
    parts.push(`<text x="${W - M.right + 42}" y="${ly + 4}" font-size="12">${esc(s.label)}</text>`);
  });
  parts.push('</g></svg>');
  return parts.join('');
}

async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function meanCurve(curves: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(CURVE_X.length);
  if (curves.length === 0) return out;
  for (const c of curves) for (let i = 0; i < out.length; i++) out[i] += c[i];
  for (let i = 0; i < out.length; i++) out[i] /= curves.length;
  return out;
}

/** BoxPR_curve.png, BoxF1_curve.png, MaskPR_curve.png, MaskF1_curve.png (Ultralytics' names). Returns paths. */
export async function writeCurvePlots(curves: MetricCurves, names: Map<number, string>, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const nameOf = (c: number) => names.get(c) ?? `class${c}`;
  const many = curves.classes.length > 10; // like Ultralytics: per-class lines only for up to 10 classes
  for (const [kind, set] of [['Box', curves.box], ['Mask', curves.mask]] as const) {
    if (set.prCurve.length === 0) continue;
    const ap50 = set.ap.map((r) => r[0]);
    const map50 = ap50.reduce((s, v) => s + v, 0) / Math.max(1, ap50.length);
    const prSeries: Series[] = many
      ? []
      : set.prCurve.map((y, i) => ({ label: `${nameOf(curves.classes[i])} ${ap50[i].toFixed(3)}`, y, color: PALETTE[i % PALETTE.length], width: 1 }));
    prSeries.push({ label: `all classes ${map50.toFixed(3)} mAP@0.5`, y: meanCurve(set.prCurve), color: '#0044cc', width: 3 });
    const pr = join(outDir, `${kind}PR_curve.png`);
    await writeFileAtomic(pr, await svgToPng(lineChartSvg(`${kind} precision-recall curve`, 'Recall', 'Precision', CURVE_X, prSeries)));
    written.push(pr);

    const f1Mean = smooth(meanCurve(set.f1Curve), 0.1);
    const best = argmax(f1Mean);
    const f1Series: Series[] = many
      ? []
      : set.f1Curve.map((y, i) => ({ label: nameOf(curves.classes[i]), y, color: PALETTE[i % PALETTE.length], width: 1 }));
    f1Series.push({ label: `all classes ${f1Mean[best].toFixed(2)} at ${CURVE_X[best].toFixed(3)}`, y: f1Mean, color: '#0044cc', width: 3 });
    const f1 = join(outDir, `${kind}F1_curve.png`);
    await writeFileAtomic(f1, await svgToPng(lineChartSvg(`${kind} F1-confidence curve`, 'Confidence', 'F1', CURVE_X, f1Series)));
    written.push(f1);
  }
  return written;
}

const PANEL_H = 240;

/** The image with a mask tinted in (50 % colour), scaled to PANEL_H high, as raw RGB. */
async function tintedPanel(rgb: Uint8Array, w: number, h: number, mask: Uint8Array, color: [number, number, number]): Promise<{ data: Buffer; width: number; height: number }> {
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const m = mask[i] !== 0;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = m ? (rgb[i * 3 + c] + color[c]) >> 1 : rgb[i * 3 + c] >> 1;
  }
  const pw = Math.max(1, Math.round((w * PANEL_H) / h));
  const { data, info } = await sharp(out, { raw: { width: w, height: h, channels: 3 } }).resize(pw, PANEL_H, { kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * Contact sheet of the worst images by foreground IoU: one row per image, prediction (red) left and truth
 * (green) right, with the file name and IoU above. Returns the path, or null when no image could be read.
 */
/** One image of the worst-images contact sheet: its full-resolution predicted and true masks (0/1). */
export interface WorstEntry {
  image: string;
  fgIoU: number;
  width: number;
  height: number;
  pred: Uint8Array;
  gt: Uint8Array;
}

export async function writeWorstSheet(entries: readonly WorstEntry[], path: string, source: string): Promise<string | null> {
  const rows: { pred: Awaited<ReturnType<typeof tintedPanel>>; gt: Awaited<ReturnType<typeof tintedPanel>>; caption: string }[] = [];
  for (const e of entries) {
    let rgb: Uint8Array;
    try {
      const img = toRgb((await decodeImageFile(e.image)).image);
      if (img.width !== e.width || img.height !== e.height) continue;
      rgb = img.data;
    } catch {
      continue; // the image was readable a moment ago; a sheet without it is still useful
    }
    rows.push({
      pred: await tintedPanel(rgb, e.width, e.height, e.pred, [255, 40, 40]),
      gt: await tintedPanel(rgb, e.width, e.height, e.gt, [40, 220, 40]),
      caption: `${e.image.split(/[\\/]/).pop()}  foreground IoU ${e.fgIoU.toFixed(3)} (${source})  |  left: prediction  right: truth`,
    });
  }
  if (rows.length === 0) return null;
  const capH = 24;
  const gap = 8;
  const width = Math.max(...rows.map((r) => r.pred.width + r.gt.width + 3 * gap));
  const height = rows.length * (PANEL_H + capH + gap) + gap;
  const composites: OverlayOptions[] = [];
  rows.forEach((r, i) => {
    const y = gap + i * (PANEL_H + capH + gap);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${capH}"><text x="${gap}" y="17" font-family="DejaVu Sans, Arial, sans-serif" font-size="14" fill="#111">${esc(r.caption)}</text></svg>`;
    composites.push({ input: Buffer.from(svg), left: 0, top: y });
    composites.push({ input: r.pred.data, raw: { width: r.pred.width, height: r.pred.height, channels: 3 }, left: gap, top: y + capH });
    composites.push({ input: r.gt.data, raw: { width: r.gt.width, height: r.gt.height, channels: 3 }, left: 2 * gap + r.pred.width, top: y + capH });
  });
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(composites).png().toBuffer();
  await writeFileAtomic(path, png);
  return path;
}
