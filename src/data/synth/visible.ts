/**
 * Label polygon of one instance's VISIBLE mask (owner map == id): every visible part and every hole is
 * traced (cv2.findContours-style, simplified within `epsilon` px) and the pieces are joined into one
 * polygon with Ultralytics' merge_multi_segment, the way multi-part COCO objects become one YOLO row.
 *
 * Why holes are traced: one YOLO row is rasterised with cv2.fillPoly (even-odd), so a hole contour joined
 * by a zero-width bridge stays a hole; without it a character standing in front of another would be
 * labelled as part of it. Hole contours run through the foreground pixels around the hole (the hole
 * dilated by one pixel), because fillPoly also paints the outline: the painted ring is then foreground.
 *
 * Which pieces are joined: a bridge is drawn as a 1-px line, so a piece is kept only if its area exceeds the
 * bridge length to it (otherwise it would cost more wrong pixels than it adds). Pieces are chained greedily
 * from the largest, each time to the nearest remaining one, which keeps bridges short.
 */
import { labelComponents } from '../../mask/components.js';
import { dilate } from '../../mask/morphology.js';
import { maskToPolygons, polygonArea } from '../../mask/polygon.js';
import type { Mask } from '../../mask/types.js';
import { mergeMultiSegment, minIndex } from '../polygons.js';

export interface VisibleLabel {
  /** Visible pixels. */
  area: number;
  /** Joined polygon in image pixel coordinates (vertices at pixel indices, as cv2 contours). */
  polygon: number[];
  /** Pieces joined (outer parts + holes). */
  pieces: number;
}

export interface VisibleOptions {
  minVisiblePixels: number;
  minPartPixels: number;
  epsilon: number;
}

/** Component sizes from a label image (0 = background), independent of how labelComponents reports them. */
function componentAreas(labels: Int32Array, count: number): Int32Array {
  const areas = new Int32Array(count + 1);
  for (let i = 0; i < labels.length; i++) areas[labels[i]]++;
  return areas;
}

export function visibleLabel(owner: Uint8Array, W: number, box: readonly number[], id: number, o: VisibleOptions): VisibleLabel | null {
  const [x0, y0, x1, y1] = box;
  // Crop with a one-pixel empty frame so every contour and hole test stays inside the crop.
  const cw = x1 - x0 + 2;
  const ch = y1 - y0 + 2;
  const crop: Mask = { data: new Uint8Array(cw * ch), width: cw, height: ch };
  let area = 0;
  for (let y = y0; y < y1; y++) {
    let s = y * W + x0;
    let d = (y - y0 + 1) * cw + 1;
    for (let x = x0; x < x1; x++, s++, d++) {
      if (owner[s] === id) {
        crop.data[d] = 1;
        area++;
      }
    }
  }
  if (area < o.minVisiblePixels || area === 0) return null;

  // Drop specks (a few pixels peeking out between later characters); keep the largest part regardless.
  const comp = labelComponents(crop, 8);
  const areas = componentAreas(comp.labels, comp.count);
  let largest = 1;
  for (let c = 2; c <= comp.count; c++) if (areas[c] > areas[largest]) largest = c;
  for (let i = 0; i < crop.data.length; i++) {
    const c = comp.labels[i];
    if (c !== 0 && areas[c] < o.minPartPixels && c !== largest) crop.data[i] = 0;
  }

  const pieces: { poly: number[]; benefit: number }[] = [];
  for (const poly of maskToPolygons(crop, { epsilon: o.epsilon })) {
    if (poly.length >= 6) pieces.push({ poly: Array.from(poly), benefit: Math.max(polygonArea(poly), 1) });
  }
  if (pieces.length === 0) return null;

  // Holes: 4-connected background components that do not touch the frame.
  const inv: Mask = { data: new Uint8Array(cw * ch), width: cw, height: ch };
  for (let i = 0; i < inv.data.length; i++) inv.data[i] = crop.data[i] ? 0 : 1;
  const bgc = labelComponents(inv, 4);
  if (bgc.count > 1) {
    const bgAreas = componentAreas(bgc.labels, bgc.count);
    const outside = bgc.labels[0]; // the frame is one component
    const bx0 = new Int32Array(bgc.count + 1).fill(cw);
    const by0 = new Int32Array(bgc.count + 1).fill(ch);
    const bx1 = new Int32Array(bgc.count + 1).fill(-1);
    const by1 = new Int32Array(bgc.count + 1).fill(-1);
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const c = bgc.labels[y * cw + x];
        if (c === 0 || c === outside || bgAreas[c] < o.minPartPixels) continue;
        if (x < bx0[c]) bx0[c] = x;
        if (x > bx1[c]) bx1[c] = x;
        if (y < by0[c]) by0[c] = y;
        if (y > by1[c]) by1[c] = y;
      }
    }
    for (let c = 1; c <= bgc.count; c++) {
      if (c === outside || bx1[c] < 0) continue;
      // Hole mask in its own small crop (1 px margin for the dilation, 1 more for the contour frame).
      const hx0 = bx0[c] - 2;
      const hy0 = by0[c] - 2;
      const hw = bx1[c] - bx0[c] + 5;
      const hh = by1[c] - by0[c] + 5;
      const hole: Mask = { data: new Uint8Array(hw * hh), width: hw, height: hh };
      for (let y = 2; y < hh - 2; y++) {
        for (let x = 2; x < hw - 2; x++) if (bgc.labels[(y + hy0) * cw + x + hx0] === c) hole.data[y * hw + x] = 1;
      }
      const ring = maskToPolygons(dilate(hole, 1), { epsilon: o.epsilon });
      if (ring.length === 0 || ring[0].length < 6) continue;
      const poly = Array.from(ring[0]);
      for (let i = 0; i < poly.length; i += 2) {
        poly[i] += hx0;
        poly[i + 1] += hy0;
      }
      pieces.push({ poly, benefit: bgAreas[c] });
    }
  }

  const chain = chainPieces(pieces.sort((a, b) => b.benefit - a.benefit).slice(0, 24));
  const merged = mergeMultiSegment(chain);
  for (let i = 0; i < merged.length; i += 2) {
    merged[i] += x0 - 1;
    merged[i + 1] += y0 - 1;
  }
  return { area, polygon: merged, pieces: chain.length };
}

/**
 * Order (and choose) the pieces to join. merge_multi_segment bridges consecutive pieces only, and each bridge
 * is painted as an 8-connected line of about max(|dx|, |dy|) + 1 wrong pixels; a piece left out costs its
 * area. Greedy nearest-next chains are tried from every start and the cheapest (bridges + dropped area) wins.
 */
function chainPieces(pieces: { poly: number[]; benefit: number }[]): number[][] {
  const n = pieces.length;
  if (n === 1) return [pieces[0].poly];
  const cost = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const pa = pieces[a].poly;
      const pb = pieces[b].poly;
      const [i, j] = minIndex(pa, pb);
      const c = Math.max(Math.abs(pa[2 * i] - pb[2 * j]), Math.abs(pa[2 * i + 1] - pb[2 * j + 1])) + 1;
      cost[a * n + b] = cost[b * n + a] = c;
    }
  }
  let bestOrder: number[] = [0];
  let bestCost = Infinity;
  const used = new Uint8Array(n);
  for (let start = 0; start < n; start++) {
    used.fill(0);
    used[start] = 1;
    const order = [start];
    let total = 0;
    for (let step = 1; step < n; step++) {
      const last = order[order.length - 1];
      let next = -1;
      for (let k = 0; k < n; k++) if (!used[k] && (next < 0 || cost[last * n + k] < cost[last * n + next])) next = k;
      used[next] = 1;
      const c = cost[last * n + next];
      if (pieces[next].benefit > c) {
        order.push(next);
        total += c;
      } else total += pieces[next].benefit;
    }
    if (!used.every((u) => u === 1)) continue;
    if (total < bestCost) {
      bestCost = total;
      bestOrder = order;
    }
  }
  return bestOrder.map((k) => pieces[k].poly);
}

/**
 * Normalised label coordinates. Vertices are pixel indices (cv2 convention); we write the pixel CENTRE
 * (index + 0.5) so that Ultralytics' int32 truncation before cv2.fillPoly gives back the same pixel even
 * after the 6-decimal rounding, and so the polygon sits symmetrically on the pixel grid when rescaled.
 */
export function normalisePolygon(poly: readonly number[], W: number, H: number): number[] {
  const out = new Array<number>(poly.length);
  for (let i = 0; i < poly.length; i += 2) {
    out[i] = Math.min(1, Math.max(0, (poly[i] + 0.5) / W));
    out[i + 1] = Math.min(1, Math.max(0, (poly[i + 1] + 0.5) / H));
  }
  return out;
}
