/**
 * Boundary quality: the DAVIS boundary F-measure (Perazzi et al. 2016), which rewards pixel-accurate
 * outlines that region IoU barely notices.
 */
import { AnimesegError } from '../errors.js';
import { createMask, type Mask } from './types.js';
import { squaredDistanceTo } from './distance.js';
import { checkMask, checkSameSize } from './validate.js';

export interface BoundaryOptions {
  /**
   * Whether the image edge counts as a boundary for mask pixels on it. Default false, as DAVIS' seg2bmap:
   * a mask cut by the frame has no real outline there.
   */
  imageEdge?: boolean;
}

/** Foreground pixels with at least one 4-neighbour in the background. */
export function maskBoundary(m: Mask, opts: BoundaryOptions = {}): Mask {
  checkMask(m);
  const { data, width: w, height: h } = m;
  const edge = opts.imageEdge ? 1 : 0;
  const out = createMask(w, h);
  const o = out.data;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (data[i] === 0) continue;
      const left = x > 0 ? (data[i - 1] === 0 ? 1 : 0) : edge;
      const right = x < w - 1 ? (data[i + 1] === 0 ? 1 : 0) : edge;
      const up = y > 0 ? (data[i - w] === 0 ? 1 : 0) : edge;
      const down = y < h - 1 ? (data[i + w] === 0 ? 1 : 0) : edge;
      o[i] = left | right | up | down;
    }
  }
  return out;
}

export interface BoundaryScore {
  precision: number;
  recall: number;
  f: number;
}

/**
 * DAVIS boundary F: a predicted boundary pixel is correct when a ground-truth boundary pixel lies within
 * `tolerancePx` (Euclidean, i.e. dilation by a disc of that radius), and vice versa for recall.
 * Both masks empty -> 1; exactly one empty -> 0. When both masks are non-empty but one has no boundary (it
 * covers the frame), DAVIS' rules apply: precision 1 / recall 0 or the reverse, both-boundaryless = 1.
 */
export function boundaryFScore(pred: Mask, gt: Mask, tolerancePx = 2, opts: BoundaryOptions = {}): BoundaryScore {
  checkSameSize(pred, gt, 'prediction and ground truth');
  if (!(tolerancePx >= 0)) throw new AnimesegError('BAD_OPTION', `boundary tolerance must be >= 0, got ${tolerancePx}`);
  const pe = isEmpty(pred);
  const ge = isEmpty(gt);
  if (pe && ge) return { precision: 1, recall: 1, f: 1 };
  if (pe) return { precision: 1, recall: 0, f: 0 };
  if (ge) return { precision: 0, recall: 1, f: 0 };
  const pb = maskBoundary(pred, opts);
  const gb = maskBoundary(gt, opts);
  const { width: w, height: h } = pred;
  const nP = countSet(pb.data);
  const nG = countSet(gb.data);
  let precision: number;
  let recall: number;
  if (nP === 0 && nG === 0) return { precision: 1, recall: 1, f: 1 };
  if (nP === 0) {
    precision = 1;
    recall = 0;
  } else if (nG === 0) {
    precision = 0;
    recall = 1;
  } else {
    precision = countMatched(pb.data, gb.data, w, h, tolerancePx, nP) / nP;
    recall = countMatched(gb.data, pb.data, w, h, tolerancePx, nG) / nG;
  }
  const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f };
}

/**
 * How many set pixels of `from` have a set pixel of `to` within Euclidean distance r. Boundaries are sparse,
 * so probing the disc offsets (nearest first, stopping at the first hit) around each boundary pixel is much
 * cheaper than a full distance transform; for very large discs we fall back to the exact transform.
 */
function countMatched(from: Uint8Array, to: Uint8Array, w: number, h: number, r: number, nFrom: number): number {
  const offsets = discOffsets(r);
  let matched = 0;
  if (nFrom * offsets.length > 8 * w * h) {
    const d = squaredDistanceTo(to, w, h);
    const r2 = r * r;
    for (let i = 0; i < from.length; i++) if (from[i] && d[i] <= r2) matched++;
    return matched;
  }
  const n = offsets.length >> 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (!from[row + x]) continue;
      if (to[row + x]) {
        matched++;
        continue;
      }
      for (let k = 0; k < n; k++) {
        const xx = x + offsets[2 * k];
        const yy = y + offsets[2 * k + 1];
        if (xx >= 0 && xx < w && yy >= 0 && yy < h && to[yy * w + xx]) {
          matched++;
          break;
        }
      }
    }
  }
  return matched;
}

/** Integer offsets (dx, dy) with 0 < dx^2 + dy^2 <= r^2, nearest first. */
function discOffsets(r: number): Int32Array {
  const R = Math.floor(r);
  const list: [number, number, number][] = [];
  for (let dy = -R; dy <= R; dy++) {
    for (let dx = -R; dx <= R; dx++) {
      const d2 = dx * dx + dy * dy;
      if (d2 > 0 && d2 <= r * r) list.push([d2, dx, dy]);
    }
  }
  list.sort((a, b) => a[0] - b[0]);
  const out = new Int32Array(list.length * 2);
  list.forEach(([, dx, dy], k) => {
    out[2 * k] = dx;
    out[2 * k + 1] = dy;
  });
  return out;
}

function isEmpty(m: Mask): boolean {
  const d = m.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false;
  return true;
}

function countSet(d: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
  return n;
}
