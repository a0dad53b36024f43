/**
 * Coarse masks for boxes that come without one (detection-only models): the prior a refiner then snaps to
 * the drawing. The `regions` vote keeps segments that mostly lie inside the prior, so the prior should hold
 * the character and as little background as possible:
 *  - 'box'     the whole box (background in the corners votes in);
 *  - 'ellipse' the ellipse inscribed in the box (characters are rounder than their boxes);
 *  - 'colour'  a GrabCut-like first guess: a colour histogram of the box's centre (the inner ellipse) against
 *              one of a ring just outside the box; box pixels more likely foreground than background. Falls
 *              back to the ellipse when the colours do not separate (too little or almost all of the box).
 * Measured with bench/recall.ts (docs/DETECTION.md); the default is the best there.
 */
import { AnimesegError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Box, Mask } from '../mask/types.js';
import { createMask } from '../mask/types.js';
import { openMask } from '../mask/morphology.js';
import { fillHoles } from '../mask/components.js';
import { boxRegion } from '../mask/box-region.js';

export { clipToBox } from '../mask/box-region.js';

export type BoxPriorName = 'box' | 'ellipse' | 'colour';
export const BOX_PRIORS: readonly BoxPriorName[] = ['box', 'ellipse', 'colour'];
/** The best of the three on synth composites (bench/recall.ts, docs/DETECTION.md). */
export const DEFAULT_BOX_PRIOR: BoxPriorName = 'colour';

export function checkBoxPrior(name: string): BoxPriorName {
  if (!(BOX_PRIORS as readonly string[]).includes(name)) {
    throw new AnimesegError('BAD_OPTION', `unknown box prior '${name}'`, { hint: `choose one of: ${BOX_PRIORS.join(', ')}` });
  }
  return name as BoxPriorName;
}

function fillBox(m: Mask, [x0, y0, x1, y1]: [number, number, number, number]): void {
  for (let y = y0; y < y1; y++) m.data.fill(1, y * m.width + x0, y * m.width + x1);
}

/** Pixels of the ellipse inscribed in the region, its radii scaled by `scale`. */
function fillEllipse(m: Mask, [x0, y0, x1, y1]: [number, number, number, number], scale: number): number {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const rx = Math.max(0.5, ((x1 - x0) / 2) * scale);
  const ry = Math.max(0.5, ((y1 - y0) / 2) * scale);
  let n = 0;
  for (let y = y0; y < y1; y++) {
    const dy = (y + 0.5 - cy) / ry;
    if (dy * dy > 1) continue;
    const half = rx * Math.sqrt(1 - dy * dy);
    const a = Math.max(x0, Math.ceil(cx - half - 0.5));
    const b = Math.min(x1, Math.floor(cx + half - 0.5) + 1);
    if (b > a) {
      m.data.fill(1, y * m.width + a, y * m.width + b);
      n += b - a;
    }
  }
  return n;
}

const BINS = 4096; // 16 levels per channel, as the regions colour model
/**
 * Weight of the colour prior's spatial term and the background ring's width (fraction of the box's longer
 * side). Swept on 8 synth composites with the real model's boxes, mean best IoU per character after
 * regions (segment model + regions: 0.5723): spatial 0 / 2 / 4 with ring 0.1 → 0.5043 / 0.5217 / 0.5200;
 * spatial 2 with ring 0.25 / 0.4 → 0.5372 / 0.5309.
 */
const SPATIAL = 2;
const RING = 0.25;
const binOf = (d: Uint8Array, i: number, c: number): number =>
  c >= 3 ? ((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4) : (d[i] >> 4) * 273;

/** The colour prior of one box (see the file comment); image RGB/RGBA/gray. */
function colourPrior(image: RawImage, r: [number, number, number, number]): Mask {
  const { width: W, height: H, channels: c, data } = image;
  const [x0, y0, x1, y1] = r;
  const bw = x1 - x0;
  const bh = y1 - y0;
  const core = createMask(W, H);
  const coreN = fillEllipse(core, r, 0.5);
  // Background: a ring outside the box, RING of its longer side wide; the box's own outer frame when the
  // box fills the image (no ring left).
  const ring = Math.max(3, Math.round(RING * Math.max(bw, bh)));
  const rx0 = Math.max(0, x0 - ring);
  const ry0 = Math.max(0, y0 - ring);
  const rx1 = Math.min(W, x1 + ring);
  const ry1 = Math.min(H, y1 + ring);
  const hf = new Float64Array(BINS);
  const hb = new Float64Array(BINS);
  let nb = 0;
  for (let y = ry0; y < ry1; y++) {
    for (let x = rx0; x < rx1; x++) {
      const inBox = x >= x0 && x < x1 && y >= y0 && y < y1;
      if (inBox) continue;
      hb[binOf(data, (y * W + x) * c, c)]++;
      nb++;
    }
  }
  if (nb < 0.05 * bw * bh) {
    const f = Math.max(1, Math.round(0.04 * Math.max(bw, bh)));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (x - x0 >= f && x1 - 1 - x >= f && y - y0 >= f && y1 - 1 - y >= f) continue;
        hb[binOf(data, (y * W + x) * c, c)]++;
        nb++;
      }
    }
  }
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (core.data[y * W + x]) hf[binOf(data, (y * W + x) * c, c)]++;
  const out = createMask(W, H);
  if (coreN === 0 || nb === 0) {
    fillEllipse(out, r, 1);
    return out;
  }
  // Per pixel: colour log-likelihood ratio plus a spatial term that favours the box's centre (characters
  // fill the middle of their box; its corners are mostly background): SPATIAL * (1 - rho^2), rho = the
  // pixel's radius in units of the inscribed ellipse (0 at the centre, 1 on the ellipse, ~1.41 in a corner).
  const llr = new Float32Array(BINS);
  for (let k = 0; k < BINS; k++) llr[k] = Math.log((hf[k] + 1) / (coreN + BINS)) - Math.log((hb[k] + 1) / (nb + BINS));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const rx = bw / 2;
  const ry = bh / 2;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    const dy = (y + 0.5 - cy) / ry;
    for (let x = x0; x < x1; x++) {
      const dx = (x + 0.5 - cx) / rx;
      if (llr[binOf(data, (y * W + x) * c, c)] + SPATIAL * (1 - dx * dx - dy * dy) > 0) {
        out.data[y * W + x] = 1;
        n++;
      }
    }
  }
  // Colours that do not separate (a character drawn in the background's colours, or a box that is all
  // foreground colours): the ellipse is the safer guess.
  if (n < 0.15 * bw * bh || n > 0.95 * bw * bh) {
    const e = createMask(W, H);
    fillEllipse(e, r, 1);
    return e;
  }
  // Specks out, enclosed holes (eyes, highlights) in.
  return fillHoles(openMask(out, 1));
}

/** A full-image coarse mask for `box` (original pixels). */
export function boxPrior(image: RawImage, box: Box, name: BoxPriorName = DEFAULT_BOX_PRIOR): Mask {
  const { width: W, height: H } = image;
  const r = boxRegion(box, W, H);
  if (name === 'colour') return colourPrior(image, r);
  const m = createMask(W, H);
  if (name === 'box') fillBox(m, r);
  else fillEllipse(m, r, 1);
  return m;
}
