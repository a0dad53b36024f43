/**
 * Connected components (cv2.connectedComponentsWithStats equivalent) and segment-anything's
 * small-region clean-up. Two-pass labelling with a union-find over provisional (run) labels.
 */
import { AnimesegError } from '../errors.js';
import { createMask, type Mask } from './types.js';
import { checkMask } from './validate.js';

export interface Components {
  /** Per pixel: 0 for background, 1..count for the foreground component it belongs to. */
  labels: Int32Array;
  /** Number of foreground components. */
  count: number;
  /** areas[k] = pixels with label k; areas[0] is the background (like cv2's stats[:, CC_STAT_AREA]). */
  areas: number[];
}

/**
 * Label the foreground's connected components. Labels are numbered in raster order of each component's first
 * pixel (top-to-bottom, left-to-right), as OpenCV numbers them.
 *
 * Works on horizontal runs rather than pixels (masks from segmentation are mostly long runs): each run gets a
 * provisional label, runs overlapping a run of the previous row (touching diagonally too, for 8-connectivity)
 * are merged with a union-find, then labels are written run by run with TypedArray.fill.
 */
export function labelComponents(m: Mask, connectivity: 4 | 8 = 8): Components {
  checkMask(m);
  if (connectivity !== 4 && connectivity !== 8) {
    throw new AnimesegError('BAD_OPTION', `connectivity must be 4 or 8, got ${String(connectivity)}`);
  }
  const { data, width: w, height: h } = m;
  // Runs of all rows: start x, end x (exclusive), row; stored flat and grown as needed.
  let runX0: Int32Array = new Int32Array(4096);
  let runX1: Int32Array = new Int32Array(4096);
  let runY: Int32Array = new Int32Array(4096);
  let parent: Int32Array = new Int32Array(4096);
  let nRuns = 0;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]]; // path halving
      a = parent[a];
    }
    return a;
  };
  const reach = connectivity === 8 ? 1 : 0; // how far a run reaches diagonally into the next row
  let prevStart = 0; // index of the previous row's first run
  let prevEnd = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const rowStart = nRuns;
    let p = prevStart; // sweep pointer into the previous row's runs
    let x = 0;
    while (x < w) {
      while (x < w && data[row + x] === 0) x++;
      if (x >= w) break;
      const x0 = x;
      while (x < w && data[row + x] !== 0) x++;
      if (nRuns === runX0.length) {
        runX0 = grow(runX0);
        runX1 = grow(runX1);
        runY = grow(runY);
        parent = grow(parent);
      }
      const k = nRuns++;
      runX0[k] = x0;
      runX1[k] = x;
      runY[k] = y;
      parent[k] = k;
      // previous-row runs that touch [x0 - reach, x + reach)
      while (p < prevEnd && runX1[p] + reach <= x0) p++;
      for (let q = p; q < prevEnd && runX0[q] < x + reach; q++) {
        const a = find(q);
        const b = find(k);
        if (a !== b) {
          // the smaller (earlier) run stays root, so final numbering follows raster order
          if (a < b) parent[b] = a;
          else parent[a] = b;
        }
      }
    }
    prevStart = rowStart;
    prevEnd = nRuns;
  }
  const labels = new Int32Array(w * h);
  const finalOf = new Int32Array(nRuns);
  let count = 0;
  for (let k = 0; k < nRuns; k++) {
    const r = find(k);
    finalOf[k] = r === k ? ++count : finalOf[r];
  }
  const areas = new Array<number>(count + 1).fill(0);
  let fgArea = 0;
  for (let k = 0; k < nRuns; k++) {
    const l = finalOf[k];
    const row = runY[k] * w;
    labels.fill(l, row + runX0[k], row + runX1[k]);
    const len = runX1[k] - runX0[k];
    areas[l] += len;
    fgArea += len;
  }
  areas[0] = w * h - fgArea;
  return { labels, count, areas };
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * segment-anything's amg.remove_small_regions: in 'holes' mode, background components (8-connected, of the
 * inverted mask, including ones touching the image edge) smaller than areaThresh become foreground; in
 * 'islands' mode, foreground components smaller than areaThresh are removed, but if every component is
 * small the largest is kept. `changed` is false (and the mask returned as is) when nothing is small.
 */
export function removeSmallRegions(
  m: Mask,
  areaThresh: number,
  mode: 'holes' | 'islands',
): { mask: Mask; changed: boolean } {
  checkMask(m);
  if (mode !== 'holes' && mode !== 'islands') {
    throw new AnimesegError('BAD_OPTION', `mode must be 'holes' or 'islands', got ${String(mode)}`);
  }
  if (!(areaThresh >= 0)) throw new AnimesegError('BAD_OPTION', `area threshold must be >= 0, got ${areaThresh}`);
  const holes = mode === 'holes';
  const working = createMask(m.width, m.height);
  const src = m.data;
  const wd = working.data;
  for (let i = 0; i < wd.length; i++) wd[i] = (src[i] !== 0) !== holes ? 1 : 0;
  const { labels, count, areas } = labelComponents(working, 8);
  const keep = new Uint8Array(count + 1); // labels whose pixels end up foreground
  let anySmall = false;
  for (let k = 1; k <= count; k++) if (areas[k] < areaThresh) anySmall = true;
  if (!anySmall) return { mask: m, changed: false };
  if (holes) {
    keep[0] = 1; // label 0 of the inverted mask = original foreground
    for (let k = 1; k <= count; k++) if (areas[k] < areaThresh) keep[k] = 1;
  } else {
    let kept = 0;
    for (let k = 1; k <= count; k++) {
      if (areas[k] >= areaThresh) {
        keep[k] = 1;
        kept++;
      }
    }
    if (kept === 0) {
      let best = 1;
      for (let k = 2; k <= count; k++) if (areas[k] > areas[best]) best = k; // first maximum, like np.argmax
      keep[best] = 1;
    }
  }
  const out = createMask(m.width, m.height);
  const od = out.data;
  for (let i = 0; i < od.length; i++) od[i] = keep[labels[i]];
  return { mask: out, changed: true };
}

/**
 * Fill every hole: background regions that do not touch the image edge become foreground. Background is
 * taken 4-connected (the complement of 8-connected foreground), so a diagonal gap in the outline does not
 * leak; this equals filling maskToPolygons' outer contours.
 */
export function fillHoles(m: Mask): Mask {
  checkMask(m);
  const { width: w, height: h } = m;
  const inv = createMask(w, h);
  for (let i = 0; i < inv.data.length; i++) inv.data[i] = m.data[i] === 0 ? 1 : 0;
  const { labels, count } = labelComponents(inv, 4);
  const touchesEdge = new Uint8Array(count + 1);
  for (let x = 0; x < w; x++) {
    touchesEdge[labels[x]] = 1;
    touchesEdge[labels[(h - 1) * w + x]] = 1;
  }
  for (let y = 0; y < h; y++) {
    touchesEdge[labels[y * w]] = 1;
    touchesEdge[labels[y * w + w - 1]] = 1;
  }
  const out = createMask(w, h);
  for (let i = 0; i < out.data.length; i++) {
    const l = labels[i];
    out.data[i] = l === 0 || !touchesEdge[l] ? 1 : 0;
  }
  return out;
}
