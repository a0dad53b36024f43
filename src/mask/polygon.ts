/**
 * Polygons <-> masks with OpenCV's exact rules, written by hand because no Node library reproduces them:
 * - `fillPolygons`   = cv2.fillPoly(mask, np.asarray(polys, np.int32), 1) (LINE_8, shift 0), as Ultralytics'
 *                      polygon2mask does: every edge is drawn with an 8-connected Bresenham line and the
 *                      interior between edge pairs is filled scanline by scanline (even-odd across all polygons).
 * - `maskToPolygons` = cv2.findContours(mask, RETR_EXTERNAL, CHAIN_APPROX_NONE): Suzuki-Abe border following,
 *                      outer borders only, one vertex per border pixel centre.
 * - `simplifyPolygon`= cv2.approxPolyDP(poly, epsilon, closed=True): Douglas-Peucker as OpenCV runs it.
 */
import { AnimesegError } from '../errors.js';
import { createMask, type Mask, type Polygon } from './types.js';
import { checkMask, checkSize } from './validate.js';
import { maskBox } from './ops.js';

const XY_SHIFT = 16;
const XY_ONE = 65536;
/** Largest |coordinate| accepted: keeps all fixed-point arithmetic exact in doubles (< 2^52). */
const MAX_COORD = 2 ** 30;

// ---------------------------------------------------------------- fillPolygons

interface Edge {
  y0: number;
  y1: number;
  x: number; // fixed point (16 fractional bits) at y0
  dx: number; // fixed-point step per row
}

/**
 * Rasterise polygons (flat [x0, y0, x1, y1, ...] pixel coordinates) like cv2.fillPoly on a zero mask with
 * value 1 after `np.asarray(polys, dtype=np.int32)` (coordinates truncated toward zero). All polygons go into
 * one edge collection, so where polygons overlap the fill is even-odd (as one fillPoly call); edges are
 * always drawn, so outlines are included. Pass one polygon per call for a plain union.
 */
export function fillPolygons(polys: readonly Polygon[], width: number, height: number): Mask {
  checkSize(width, height);
  const mask = createMask(width, height);
  if (width === 0 || height === 0) return mask;
  const edges: Edge[] = [];
  for (let k = 0; k < polys.length; k++) {
    const pts = toIntPoints(polys[k], k);
    if (pts.length === 0) continue;
    collectPolyEdges(mask, pts, edges);
  }
  fillEdgeCollection(mask, edges);
  return mask;
}

/** Truncate coordinates toward zero (numpy int32 cast) and validate them. */
function toIntPoints(poly: Polygon, index: number): Int32Array {
  if (!Array.isArray(poly) && !ArrayBuffer.isView(poly)) {
    throw new AnimesegError('BAD_INPUT', `polygon ${index} is not an array of coordinates`);
  }
  if (poly.length % 2 !== 0) {
    throw new AnimesegError('BAD_INPUT', `polygon ${index} has an odd number of coordinates (${poly.length})`, {
      hint: 'polygons are flat [x0, y0, x1, y1, ...] lists',
    });
  }
  const out = new Int32Array(poly.length);
  for (let i = 0; i < poly.length; i++) {
    const v = poly[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_COORD) {
      throw new AnimesegError('BAD_INPUT', `polygon ${index} has an invalid coordinate ${String(v)}`, {
        hint: `coordinates must be finite numbers within +-${MAX_COORD}`,
      });
    }
    out[i] = Math.trunc(v);
  }
  return out;
}

/** OpenCV CollectPolyEdges (shift 0, LINE_8): draw each edge, and record the non-horizontal ones. */
function collectPolyEdges(mask: Mask, pts: Int32Array, edges: Edge[]): void {
  const n = pts.length / 2;
  const { width: w, height: h } = mask;
  let p0x = pts[2 * (n - 1)];
  let p0y = pts[2 * (n - 1) + 1];
  for (let i = 0; i < n; i++) {
    const p1x = pts[2 * i];
    const p1y = pts[2 * i + 1];
    drawLine(mask, p0x, p0y, p1x, p1y);
    let c0y = p0y;
    let c1y = p1y;
    let t0x = p0x;
    let t0y = p0y;
    let t1x = p1x;
    let t1y = p1y;
    if (t0x < 0 || t0x >= w || t1x < 0 || t1x >= w || t0y < 0 || t0y >= h || t1y < 0 || t1y >= h) {
      // "use clipped endpoints to create a more accurate PolyEdge" (OpenCV >= 4.5.2)
      const c = clipLine(w, h, t0x, t0y, t1x, t1y);
      t0x = c.x1;
      t0y = c.y1;
      t1x = c.x2;
      t1y = c.y2;
      if (t0y !== t1y) {
        c0y = t0y;
        c1y = t1y;
      }
    }
    const c0x = t0x * XY_ONE;
    const c1x = t1x * XY_ONE;
    if (p0y !== p1y) {
      const dx = Math.trunc((c1x - c0x) / (c1y - c0y)); // int64 division truncates toward zero
      if (p0y < p1y) edges.push({ y0: p0y, y1: p1y, x: c0x + (p0y - c0y) * dx, dx });
      else edges.push({ y0: p1y, y1: p0y, x: c1x + (p1y - c1y) * dx, dx });
    }
    p0x = p1x;
    p0y = p1y;
  }
}

/** OpenCV FillEdgeCollection: for each row, pair the active edges in x order and fill between them. */
function fillEdgeCollection(mask: Mask, edges: Edge[]): void {
  const total = edges.length;
  if (total < 2) return;
  const { width: w, height: h, data } = mask;
  let yMin = Infinity;
  let yMax = -Infinity;
  let xMin = Infinity;
  let xMax = -Infinity;
  for (const e of edges) {
    const x1 = e.x + (e.y1 - e.y0) * e.dx;
    yMin = Math.min(yMin, e.y0);
    yMax = Math.max(yMax, e.y1);
    xMin = Math.min(xMin, e.x, x1);
    xMax = Math.max(xMax, e.x, x1);
  }
  if (yMax < 0 || yMin >= h || xMax < 0 || xMin >= w * XY_ONE) return;
  edges.sort((a, b) => a.y0 - b.y0 || a.x - b.x || a.dx - b.dx);
  const active: Edge[] = [];
  const xs: number[] = [];
  let next = 0;
  const yEnd = Math.min(yMax, h);
  // Rows above the image only advance edges in OpenCV; computing x from y directly gives the same values,
  // so start at row 0.
  for (let y = Math.max(yMin, 0); y < yEnd; y++) {
    for (let k = active.length - 1; k >= 0; k--) if (active[k].y1 <= y) active.splice(k, 1);
    while (next < total && edges[next].y0 <= y) {
      if (edges[next].y1 > y) active.push(edges[next]);
      next++;
    }
    if (active.length < 2) continue;
    xs.length = 0;
    for (const e of active) xs.push(e.x + (y - e.y0) * e.dx);
    xs.sort((a, b) => a - b);
    const row = y * w;
    for (let k = 0; k + 1 < xs.length; k += 2) {
      let x1 = Math.floor((xs[k] + XY_ONE - 1) / XY_ONE); // delta = XY_ONE - 1: ceil of the left edge
      let x2 = Math.floor(xs[k + 1] / XY_ONE);
      if (x1 < w && x2 >= 0) {
        if (x1 < 0) x1 = 0;
        if (x2 >= w) x2 = w - 1;
        if (x2 >= x1) data.fill(1, row + x1, row + x2 + 1);
      }
    }
  }
}

/** OpenCV clipLine(Size, Point&, Point&) on integer endpoints; `inside` false when nothing is visible. */
function clipLine(w: number, h: number, x1: number, y1: number, x2: number, y2: number) {
  const right = w - 1;
  const bottom = h - 1;
  let c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0) + (y1 < 0 ? 4 : 0) + (y1 > bottom ? 8 : 0);
  let c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0) + (y2 < 0 ? 4 : 0) + (y2 > bottom ? 8 : 0);
  if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
    if (c1 & 12) {
      const a = c1 < 8 ? 0 : bottom;
      x1 += Math.trunc(((a - y1) * (x2 - x1)) / (y2 - y1));
      y1 = a;
      c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0);
    }
    if (c2 & 12) {
      const a = c2 < 8 ? 0 : bottom;
      x2 += Math.trunc(((a - y2) * (x2 - x1)) / (y2 - y1));
      y2 = a;
      c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0);
    }
    if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
      if (c1) {
        const a = c1 === 1 ? 0 : right;
        y1 += Math.trunc(((a - x1) * (y2 - y1)) / (x2 - x1));
        x1 = a;
        c1 = 0;
      }
      if (c2) {
        const a = c2 === 1 ? 0 : right;
        y2 += Math.trunc(((a - x2) * (y2 - y1)) / (x2 - x1));
        x2 = a;
        c2 = 0;
      }
    }
  }
  return { x1, y1, x2, y2, inside: (c1 | c2) === 0 };
}

/** OpenCV Line() with an 8-connected LineIterator (leftToRight), clipped to the image. */
function drawLine(mask: Mask, ax: number, ay: number, bx: number, by: number): void {
  const { width: w, height: h, data } = mask;
  if (ax < 0 || ax >= w || bx < 0 || bx >= w || ay < 0 || ay >= h || by < 0 || by >= h) {
    const c = clipLine(w, h, ax, ay, bx, by);
    if (!c.inside) return;
    ax = c.x1;
    ay = c.y1;
    bx = c.x2;
    by = c.y2;
  }
  let dx = bx - ax;
  let dy = by - ay;
  let x = ax;
  let y = ay;
  const sx = 1; // leftToRight: x never decreases
  let sy = 1;
  if (dx < 0) {
    // leftToRight: start from the other end
    dx = -dx;
    dy = -dy;
    x = bx;
    y = by;
  }
  if (dy < 0) {
    dy = -dy;
    sy = -1;
  }
  const vert = dy > dx;
  let major = dx;
  let minor = dy;
  if (vert) {
    major = dy;
    minor = dx;
  }
  let err = major - 2 * minor;
  const plusDelta = 2 * major;
  const minusDelta = -2 * minor;
  for (let i = 0; i <= major; i++) {
    data[y * w + x] = 1;
    const step = err < 0;
    err += minusDelta + (step ? plusDelta : 0);
    if (vert) {
      y += sy;
      if (step) x += sx;
    } else {
      x += sx;
      if (step) y += sy;
    }
  }
}

// ---------------------------------------------------------------- maskToPolygons

export interface MaskToPolygonsOptions {
  /** Douglas-Peucker tolerance in pixels (cv2.approxPolyDP); 0 (default) keeps every border pixel. */
  epsilon?: number;
  /** Drop polygons whose shoelace area is below this (default 0: keep all, single pixels included). */
  minArea?: number;
}

/**
 * Outer contours of the 8-connected foreground components, as cv2.findContours(RETR_EXTERNAL,
 * CHAIN_APPROX_NONE) finds them (components inside another component's hole are not reported), with vertices
 * at pixel centres, sorted by area (largest first; ties keep scan order).
 */
export function maskToPolygons(m: Mask, opts: MaskToPolygonsOptions = {}): Polygon[] {
  checkMask(m);
  const epsilon = opts.epsilon ?? 0;
  const minArea = opts.minArea ?? 0;
  if (!(epsilon >= 0) || !(minArea >= 0)) {
    throw new AnimesegError('BAD_OPTION', `epsilon (${epsilon}) and minArea (${minArea}) must be >= 0`);
  }
  const found = findExternalContours(m);
  const out: { poly: Polygon; area: number; order: number }[] = [];
  found.forEach((raw, order) => {
    const poly = epsilon > 0 ? simplifyPolygon(raw, epsilon) : raw;
    const area = polygonArea(poly);
    if (area >= minArea) out.push({ poly, area, order });
  });
  out.sort((a, b) => b.area - a.area || a.order - b.order);
  return out.map((o) => o.poly);
}

// Chain-code directions as OpenCV numbers them: 0 = right, then counter-clockwise on screen.
const DIR_X = [1, 1, 0, -1, -1, -1, 0, 1];
const DIR_Y = [0, -1, -1, -1, 0, 1, 1, 1];

/**
 * Suzuki-Abe border following in RETR_EXTERNAL mode, on a copy of the mask's bounding box padded with one
 * background pixel: outside the box nothing starts a contour or changes the scan's state, so the contours
 * are those of the whole mask (shifted back), without reading the empty rest of a large picture.
 */
function findExternalContours(m: Mask): Polygon[] {
  const box = maskBox(m);
  if (!box) return [];
  const [bx0, by0, bx1, by1] = box;
  const w = bx1 - bx0;
  const h = by1 - by0;
  const W = w + 2;
  const H = h + 2;
  // One buffer seen as bytes (copy), signed bytes (the algorithm's marks) and words (skipping runs).
  const buf = new ArrayBuffer((W * H + 3) & ~3);
  const bytes = new Uint8Array(buf);
  const img = new Int8Array(buf);
  const words = new Uint32Array(buf);
  for (let y = 0; y < h; y++) {
    const s = (y + by0) * m.width + bx0;
    bytes.set(m.data.subarray(s, s + w), (y + 1) * W + 1);
  }
  normaliseToBits(bytes, words);
  const deltas = new Int32Array(16);
  for (let s = 0; s < 8; s++) deltas[s] = deltas[s + 8] = DIR_Y[s] * W + DIR_X[s];
  const NBD = 2; // RETR_EXTERNAL never increments the border number
  const contours: Polygon[] = [];
  for (let y = 1; y < H - 1; y++) {
    let prev = 0;
    let lnbd = y * W; // last marked border pixel seen in this row (column 0: the zero frame)
    for (let x = 1; x < W - 1; x++) {
      let i = y * W + x;
      // Runs of plain background or foreground change nothing: skip them a word at a time.
      if ((i & 3) === 0 && (prev === 0 || prev === 1)) {
        const run = prev === 0 ? 0 : 0x01010101;
        while (x + 4 <= W - 1 && words[i >> 2] === run) {
          x += 4;
          i += 4;
        }
        if (x >= W - 1) break;
      }
      const p = img[i];
      if (p === prev) continue;
      // an outer border starts where 0 -> 1 and the last border pixel to the left was a "right bound"
      if (prev === 0 && p === 1 && !(img[lnbd] > 0)) {
        contours.push(traceBorder(img, deltas, i, W, NBD, bx0, by0));
        lnbd = i;
        prev = img[i];
        continue;
      }
      if (!(prev === 0 && p === 1) && p === 0 && prev >= 1 && prev & -2) lnbd = i - 1; // hole start (skipped)
      prev = p;
      if (prev & -2) lnbd = i;
    }
  }
  return contours;
}

/** Every non-zero byte becomes 1 (masks may hold any non-zero value); words without such bytes are skipped. */
function normaliseToBits(bytes: Uint8Array, words: Uint32Array): void {
  for (let k = 0; k < words.length; k++) {
    if ((words[k] & 0xfefefefe) === 0) continue;
    for (let j = k << 2; j < (k << 2) + 4; j++) if (bytes[j] > 1) bytes[j] = 1;
  }
}

/** OpenCV icvFetchContour for an outer border starting at i0, CHAIN_APPROX_NONE; marks the border. */
function traceBorder(img: Int8Array, deltas: Int32Array, i0: number, W: number, nbd: number, ox: number, oy: number): Polygon {
  const pts: number[] = [];
  let px = (i0 % W) - 1 + ox; // back to the mask's coordinates
  let py = Math.floor(i0 / W) - 1 + oy;
  let s = 4;
  const sEnd0 = 4;
  let i1 = 0;
  do {
    s = (s - 1) & 7;
    i1 = i0 + deltas[s];
  } while (img[i1] === 0 && s !== sEnd0);
  if (s === sEnd0 && img[i1] === 0) {
    img[i0] = nbd | -128; // single-pixel component
    return [px, py];
  }
  let i3 = i0;
  for (;;) {
    const sEnd = s;
    let i4 = 0;
    for (;;) {
      i4 = i3 + deltas[++s];
      if (img[i4] !== 0) break;
    }
    s &= 7;
    if (s - 1 >= 0 && s - 1 < sEnd) img[i3] = nbd | -128; // right neighbour examined and empty
    else if (img[i3] === 1) img[i3] = nbd;
    pts.push(px, py);
    px += DIR_X[s];
    py += DIR_Y[s];
    if (i4 === i0 && i3 === i1) break;
    i3 = i4;
    s = (s + 4) & 7;
  }
  return pts;
}

// ---------------------------------------------------------------- polygon geometry

/** Absolute shoelace area (cv2.contourArea). */
export function polygonArea(poly: Polygon): number {
  return Math.abs(signedPolygonArea(poly));
}

/** Signed shoelace area: positive for counter-clockwise vertices in x-right / y-up axes. */
export function signedPolygonArea(poly: Polygon): number {
  const n = poly.length >> 1;
  if (n < 3) return 0;
  let a = 0;
  let x0 = poly[2 * (n - 1)];
  let y0 = poly[2 * (n - 1) + 1];
  for (let i = 0; i < n; i++) {
    const x1 = poly[2 * i];
    const y1 = poly[2 * i + 1];
    a += x0 * y1 - x1 * y0;
    x0 = x1;
    y0 = y1;
  }
  return a / 2;
}

/**
 * Douglas-Peucker simplification of a closed polygon, following cv2.approxPolyDP(closed=True): start from
 * two far-apart vertices (three farthest-point passes), split recursively (explicit stack) while a vertex
 * lies farther than epsilon from the chord, then drop vertices on almost-straight diagonal runs.
 */
export function simplifyPolygon(poly: Polygon, epsilon: number): Polygon {
  if (!(epsilon >= 0)) throw new AnimesegError('BAD_OPTION', `epsilon must be >= 0, got ${epsilon}`);
  const count = poly.length >> 1;
  if (count === 0) return [];
  const start = farApartVertices(poly, count, epsilon * epsilon);
  const kept = start.within ? [start.from] : splitWhileFar(poly, count, epsilon, [start.to, start.from], [start.from, start.to]);
  const n = dropStraightRuns(poly, kept, epsilon * epsilon);
  const res: number[] = [];
  for (let k = 0; k < n; k++) res.push(poly[2 * kept[k]], poly[2 * kept[k] + 1]);
  return res;
}

/**
 * approxPolyDP's start: three farthest-point passes from a moving start vertex give two far-apart vertices
 * (from, to) that cut the polygon into two slices; `within` when every vertex lies within epsilon of the
 * last start (the whole polygon becomes that one vertex).
 */
function farApartVertices(poly: Polygon, count: number, eps2: number): { from: number; to: number; within: boolean } {
  let pos = 0;
  let rightStart = 0;
  let within = false;
  let startIdx = 0;
  for (let it = 0; it < 3; it++) {
    pos = (pos + rightStart) % count;
    startIdx = pos;
    pos = (pos + 1) % count;
    let maxDist = 0;
    // rightStart deliberately carries over between passes when no farther point is found (as in OpenCV)
    for (let j = 1; j < count; j++) {
      const dx = poly[2 * pos] - poly[2 * startIdx];
      const dy = poly[2 * pos + 1] - poly[2 * startIdx + 1];
      pos = (pos + 1) % count;
      const d = dx * dx + dy * dy;
      if (d > maxDist) {
        maxDist = d;
        rightStart = j;
      }
    }
    within = maxDist <= eps2;
  }
  if (within) return { from: startIdx, to: startIdx, within };
  const from = pos % count;
  return { from, to: (rightStart + from) % count, within };
}

/**
 * Douglas-Peucker on slices [start, end] of the closed polygon (indices wrap), processed from an explicit
 * stack in approxPolyDP's order: a slice whose farthest vertex lies within epsilon of its chord keeps only
 * its start, else it is split at that vertex. Returns the kept vertex indices in output order.
 */
function splitWhileFar(poly: Polygon, count: number, epsilon: number, ...slices: [number, number][]): number[] {
  const X = (k: number): number => poly[2 * k];
  const Y = (k: number): number => poly[2 * k + 1];
  const eps2 = epsilon * epsilon;
  const kept: number[] = [];
  const stack = slices;
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    let p = (start + 1) % count;
    let splitAt = -1;
    let le = true;
    if (p !== end) {
      const dx = X(end) - X(start);
      const dy = Y(end) - Y(start);
      const chord2 = dx * dx + dy * dy;
      let maxDist = 0;
      while (p !== end) {
        // distance to the chord, or to the start point when the chord has no length (revisited pixel)
        const d =
          chord2 > 0
            ? Math.abs((Y(p) - Y(start)) * dx - (X(p) - X(start)) * dy)
            : Math.hypot(X(p) - X(start), Y(p) - Y(start));
        if (d > maxDist) {
          maxDist = d;
          splitAt = p;
        }
        p = (p + 1) % count;
      }
      le = chord2 > 0 ? maxDist * maxDist <= eps2 * chord2 : maxDist <= epsilon;
    }
    if (le) {
      kept.push(start);
    } else {
      stack.push([splitAt, end]);
      stack.push([start, splitAt]);
    }
  }
  return kept;
}

/**
 * approxPolyDP's clean-up: remove the middle vertex of almost straight, non axis-aligned runs of three kept
 * vertices, compacting `kept` in place (as a ring). Returns how many vertices remain at its front.
 */
function dropStraightRuns(poly: Polygon, kept: number[], eps2: number): number {
  const X = (k: number): number => poly[2 * k];
  const Y = (k: number): number => poly[2 * k + 1];
  let n = kept.length;
  if (n <= 2) return n;
  const out = kept;
  let rpos = n - 1;
  let startPt = out[rpos];
  rpos = (rpos + 1) % n;
  let wpos = rpos;
  let pt = out[rpos];
  rpos = (rpos + 1) % n;
  const total = n;
  for (let i = 0; i < total && n > 2; i++) {
    const endPt = out[rpos];
    rpos = (rpos + 1) % total;
    const dx = X(endPt) - X(startPt);
    const dy = Y(endPt) - Y(startPt);
    const dist = Math.abs((X(pt) - X(startPt)) * dy - (Y(pt) - Y(startPt)) * dx);
    const inner = (X(pt) - X(startPt)) * (X(endPt) - X(pt)) + (Y(pt) - Y(startPt)) * (Y(endPt) - Y(pt));
    if (dist * dist <= 0.5 * eps2 * (dx * dx + dy * dy) && dx !== 0 && dy !== 0 && inner >= 0) {
      n--;
      out[wpos] = startPt = endPt;
      wpos = (wpos + 1) % total;
      pt = out[rpos];
      rpos = (rpos + 1) % total;
      i++;
      continue;
    }
    out[wpos] = startPt = pt;
    wpos = (wpos + 1) % total;
    pt = endPt;
  }
  return n;
}

/** Bounds [x1, y1, x2, y2] of the vertices of flat polygon parts; null when there are none. */
export function polygonBounds(parts: readonly ArrayLike<number>[]): [number, number, number, number] | null {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const p of parts) {
    for (let k = 0; k + 1 < p.length; k += 2) {
      if (p[k] < x1) x1 = p[k];
      if (p[k] > x2) x2 = p[k];
      if (p[k + 1] < y1) y1 = p[k + 1];
      if (p[k + 1] > y2) y2 = p[k + 1];
    }
  }
  return Number.isFinite(x1) ? [x1, y1, x2, y2] : null;
}
