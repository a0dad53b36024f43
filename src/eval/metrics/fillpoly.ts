/**
 * OpenCV `cv2.fillPoly(mask, [pts], 1)` for one polygon with integer vertices (shift 0, LINE_8), ported from
 * imgproc/src/drawing.cpp (CollectPolyEdges + FillEdgeCollection + Line): the outline is drawn with 8-connected
 * Bresenham lines and the inside filled scanline by scanline with 16.16 fixed-point edges, spans from
 * ceil(x_left) to floor(x_right). Needed by hand because Ultralytics rasterises ground truth this way and the
 * metrics must see the same pixels; no Node package reproduces OpenCV's rasteriser.
 */

const XY_SHIFT = 16;
const XY_ONE = 65536;

interface Pt {
  x: number;
  y: number;
}

/** OpenCV clipLine on a w x h image (Point2l version); modifies the points, returns whether any part is inside. */
function clipLine(w: number, h: number, p1: Pt, p2: Pt): boolean {
  const right = w - 1;
  const bottom = h - 1;
  if (w <= 0 || h <= 0) return false;
  let c1 = (p1.x < 0 ? 1 : 0) + (p1.x > right ? 2 : 0) + (p1.y < 0 ? 4 : 0) + (p1.y > bottom ? 8 : 0);
  let c2 = (p2.x < 0 ? 1 : 0) + (p2.x > right ? 2 : 0) + (p2.y < 0 ? 4 : 0) + (p2.y > bottom ? 8 : 0);
  if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
    let a: number;
    if (c1 & 12) {
      a = c1 < 8 ? 0 : bottom;
      p1.x += Math.trunc(((a - p1.y) * (p2.x - p1.x)) / (p2.y - p1.y));
      p1.y = a;
      c1 = (p1.x < 0 ? 1 : 0) + (p1.x > right ? 2 : 0);
    }
    if (c2 & 12) {
      a = c2 < 8 ? 0 : bottom;
      p2.x += Math.trunc(((a - p2.y) * (p2.x - p1.x)) / (p2.y - p1.y));
      p2.y = a;
      c2 = (p2.x < 0 ? 1 : 0) + (p2.x > right ? 2 : 0);
    }
    if ((c1 & c2) === 0 && (c1 | c2) !== 0) {
      if (c1) {
        a = c1 === 1 ? 0 : right;
        p1.y += Math.trunc(((a - p1.x) * (p2.y - p1.y)) / (p2.x - p1.x));
        p1.x = a;
        c1 = 0;
      }
      if (c2) {
        a = c2 === 1 ? 0 : right;
        p2.y += Math.trunc(((a - p2.x) * (p2.y - p1.y)) / (p2.x - p1.x));
        p2.x = a;
        c2 = 0;
      }
    }
  }
  return (c1 | c2) === 0;
}

/** OpenCV Line() with an 8-connected LineIterator (left to right), value 1. */
function drawLine(mask: Uint8Array, w: number, h: number, x1: number, y1: number, x2: number, y2: number): void {
  const a = { x: x1, y: y1 };
  const b = { x: x2, y: y2 };
  if (a.x < 0 || a.x >= w || b.x < 0 || b.x >= w || a.y < 0 || a.y >= h || b.y < 0 || b.y >= h) {
    if (!clipLine(w, h, a, b)) return;
  }
  let dx = b.x - a.x;
  let dy = b.y - a.y;
  let px = a.x;
  let py = a.y;
  if (dx < 0) {
    // left_to_right: start from the other end
    dx = -dx;
    dy = -dy;
    px = b.x;
    py = b.y;
  }
  let sy = 1;
  if (dy < 0) {
    dy = -dy;
    sy = -1;
  }
  // Major axis steps every pixel, minor axis when err < 0.
  const vert = dy > dx;
  let major = vert ? dy : dx;
  let minor = vert ? dx : dy;
  let err = major - (minor + minor);
  const plusDelta = major + major;
  const minusDelta = -(minor + minor);
  const count = major + 1;
  for (let i = 0; i < count; i++) {
    mask[py * w + px] = 1;
    const stepMinor = err < 0;
    err += minusDelta + (stepMinor ? plusDelta : 0);
    if (vert) {
      py += sy;
      if (stepMinor) px += 1;
    } else {
      px += 1;
      if (stepMinor) py += sy;
    }
  }
  void major;
  void minor;
}

interface Edge {
  y0: number;
  y1: number;
  x: number;
  dx: number;
  next: Edge | null;
}

/** Integer division truncating toward zero, as C's int64 '/'. */
function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/**
 * Fill one polygon (flat [x0, y0, x1, y1, ...], integers) with 1 into `mask` (w x h, row-major).
 * Coordinates are int32 already (callers truncate as numpy's astype(int32) does).
 */
export function fillPolyOpenCV(mask: Uint8Array, w: number, h: number, pts: ArrayLike<number>): void {
  const count = pts.length >> 1;
  if (count === 0) return;
  const edges: Edge[] = [];
  let pt0x = pts[2 * (count - 1)] * XY_ONE;
  let pt0y = pts[2 * (count - 1) + 1];
  for (let i = 0; i < count; i++) {
    const pt1x = pts[2 * i] * XY_ONE;
    const pt1y = pts[2 * i + 1];
    const t0 = { x: Math.floor((pt0x + (XY_ONE >> 1)) / XY_ONE), y: pt0y };
    const t1 = { x: Math.floor((pt1x + (XY_ONE >> 1)) / XY_ONE), y: pt1y };
    drawLine(mask, w, h, t0.x, t0.y, t1.x, t1.y);
    let pt0cy = pt0y;
    let pt1cy = pt1y;
    // Use the clipped endpoints for the edge when the segment leaves the image (OpenCV >= 4.5.x).
    if (t0.x < 0 || t0.x >= w || t1.x < 0 || t1.x >= w || t0.y < 0 || t0.y >= h || t1.y < 0 || t1.y >= h) {
      clipLine(w, h, t0, t1);
      if (t0.y !== t1.y) {
        pt0cy = t0.y;
        pt1cy = t1.y;
      }
    }
    const pt0cx = t0.x * XY_ONE;
    const pt1cx = t1.x * XY_ONE;
    if (pt0y !== pt1y) {
      const dx = idiv(pt1cx - pt0cx, pt1cy - pt0cy);
      if (pt0y < pt1y) edges.push({ y0: pt0y, y1: pt1y, x: pt0cx + (pt0y - pt0cy) * dx, dx, next: null });
      else edges.push({ y0: pt1y, y1: pt0y, x: pt1cx + (pt1y - pt1cy) * dx, dx, next: null });
    }
    pt0x = pt1x;
    pt0y = pt1y;
  }
  fillEdgeCollection(mask, w, h, edges);
}

function fillEdgeCollection(mask: Uint8Array, w: number, h: number, edges: Edge[]): void {
  const total = edges.length;
  if (total < 2) return;
  let yMax = -Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let xMin = Infinity;
  for (const e1 of edges) {
    const x1 = e1.x + (e1.y1 - e1.y0) * e1.dx;
    yMin = Math.min(yMin, e1.y0);
    yMax = Math.max(yMax, e1.y1);
    xMin = Math.min(xMin, e1.x, x1);
    xMax = Math.max(xMax, e1.x, x1);
  }
  if (yMax < 0 || yMin >= h || xMax < 0 || xMin >= w * XY_ONE) return;
  // std::sort with CmpEdges (y0, then x, then dx); equal keys are interchangeable.
  edges.sort((a, b) => a.y0 - b.y0 || a.x - b.x || a.dx - b.dx);
  const sentinel: Edge = { y0: Number.MAX_SAFE_INTEGER, y1: 0, x: 0, dx: 0, next: null };
  edges.push(sentinel);
  const tmp: Edge = { y0: 0, y1: 0, x: 0, dx: 0, next: null };
  let i = 0;
  let e = edges[0];
  yMax = Math.min(yMax, h);
  const delta = XY_ONE - 1;
  for (let y = e.y0; y < yMax; y++) {
    let draw = 0;
    const clipline = y < 0;
    let prelast: Edge = tmp;
    let last: Edge | null = tmp.next;
    while (last || e.y0 === y) {
      if (last && last.y1 === y) {
        // drop the edge when y reaches its lower end
        prelast.next = last.next;
        last = last.next;
        continue;
      }
      const keepPrelast: Edge = prelast;
      if (last && (e.y0 > y || last.x < e.x)) {
        prelast = last;
        last = last.next;
      } else if (i < total) {
        // insert the next edge when y reaches its upper end
        prelast.next = e;
        e.next = last;
        prelast = e;
        e = edges[++i];
      } else break;

      if (draw) {
        if (!clipline) {
          let x1: number;
          let x2: number;
          if (keepPrelast.x > prelast.x) {
            x1 = Math.floor((prelast.x + delta) / XY_ONE);
            x2 = Math.floor(keepPrelast.x / XY_ONE);
          } else {
            x1 = Math.floor((keepPrelast.x + delta) / XY_ONE);
            x2 = Math.floor(prelast.x / XY_ONE);
          }
          if (x1 < w && x2 >= 0) {
            if (x1 < 0) x1 = 0;
            if (x2 >= w) x2 = w - 1;
            if (x2 >= x1) mask.fill(1, y * w + x1, y * w + x2 + 1);
          }
        }
        keepPrelast.x += keepPrelast.dx;
        prelast.x += prelast.dx;
      }
      draw ^= 1;
    }

    // bubble-sort the active list by x
    let keep: Edge | null = null;
    do {
      prelast = tmp;
      last = tmp.next;
      let lastExchange: Edge | null = null;
      while (last !== keep && last && last.next !== null) {
        const te: Edge = last.next;
        if (last.x > te.x) {
          prelast.next = te;
          last.next = te.next;
          te.next = last;
          prelast = te;
          lastExchange = prelast;
        } else {
          prelast = last;
          last = te;
        }
      }
      if (lastExchange === null) break;
      keep = lastExchange;
    } while (keep !== tmp.next && keep !== tmp);
  }
}

/**
 * Ultralytics polygon2mask followed by cv2.resize to 1/ratio with INTER_LINEAR, for ratio 4 on 0/1 input:
 * out[r, c] = 1 when at least 2 of the 4 source pixels at rows 4r+1, 4r+2 and columns 4c+1, 4c+2 are set
 * (bilinear weights are all 1/4 at that scale; OpenCV rounds 0.5 up).
 */
export function downsample4(src: Uint8Array, w: number, h: number): Uint8Array {
  const ow = Math.floor(w / 4);
  const oh = Math.floor(h / 4);
  const out = new Uint8Array(ow * oh);
  for (let r = 0; r < oh; r++) {
    const a = (4 * r + 1) * w;
    const b = a + w;
    for (let c = 0; c < ow; c++) {
      const x = 4 * c + 1;
      const s = src[a + x] + src[a + x + 1] + src[b + x] + src[b + x + 1];
      out[r * ow + c] = s >= 2 ? 1 : 0;
    }
  }
  return out;
}
