/**
 * Felzenszwalb–Huttenlocher graph-based segmentation (IJCV 2004) on an RGB pixel grid, written by hand:
 * no Node library offers an over-segmentation (OpenCV's ximgproc is not in opencv4nodejs/opencv-wasm builds
 * worth shipping), and this one fits anime art well: flat fills merge quickly (tiny internal differences)
 * while line art and colour steps are strong edges that stop merging.
 *
 * Speed: edge weights are quantised to 1/4 colour level so a counting sort replaces the O(E log E) sort;
 * edges are stored as one Int32 (pixel index * 4 + direction), union-find uses path halving and union by
 * size. No per-pixel or per-edge objects.
 */
import type { LabelMap } from '../types.js';

export interface FelzenszwalbOptions {
  /** Scale parameter: larger k → larger segments (threshold k/|C| on top of the internal difference). */
  k: number;
  /** Segments smaller than this (pixels) are merged into a neighbour in a last pass. */
  minSize: number;
  /** 8-connected grid (diagonals too) or 4-connected. */
  connectivity: 4 | 8;
}

/** Weight quantisation: weight = bucket / QUANT (RGB Euclidean distance is at most 255*sqrt(3) ≈ 441.7). */
const QUANT = 4;
const MAX_BUCKET = Math.ceil(442 * QUANT) + 1;

/**
 * Segment a planar float image (three planes, values 0..255) of size w x h.
 * Returns labels 0..count-1 numbered in raster order of first appearance.
 */
export function felzenszwalb(r: Float32Array, g: Float32Array, b: Float32Array, w: number, h: number, opts: FelzenszwalbOptions): LabelMap {
  const N = w * h;
  // Directions: 0 right, 1 down, 2 down-right, 3 down-left. Edge id = p * 4 + dir. The loops below are
  // written out by hand (no closures) because they run once per edge, about four million times at 1 MP; the
  // finds stay inline (a findRoot helper measured 4-6% slower overall); the union is linkBySize (0-2%, noise).
  const eight = opts.connectivity === 8;
  const offset = [1, w, w + 1, w - 1];
  const weight = new Uint16Array(N * 4); // bucketed weight per (pixel, dir)
  const counts = new Uint32Array(MAX_BUCKET + 1);
  const ids = new Int32Array(N * (eight ? 4 : 2));
  let edgeCount = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const lastRow = y + 1 === h;
    for (let x = 0; x < w; x++) {
      const p = row + x;
      const pr = r[p];
      const pg = g[p];
      const pb = b[p];
      for (let dir = 0; dir < 4; dir++) {
        if (dir === 0 ? x + 1 === w : lastRow || (dir === 2 ? !eight || x + 1 === w : dir === 3 ? !eight || x === 0 : false)) continue;
        const q = p + offset[dir];
        const dr = pr - r[q];
        const dg = pg - g[q];
        const db = pb - b[q];
        const bucket = (Math.sqrt(dr * dr + dg * dg + db * db) * QUANT + 0.5) | 0;
        const id = p * 4 + dir;
        weight[id] = bucket;
        counts[bucket]++;
        ids[edgeCount++] = id;
      }
    }
  }
  // Counting sort of edge ids by bucket (stable, so ties keep raster order).
  const start = new Uint32Array(MAX_BUCKET + 1);
  for (let i = 1; i <= MAX_BUCKET; i++) start[i] = start[i - 1] + counts[i - 1];
  const sorted = new Int32Array(edgeCount);
  for (let e = 0; e < edgeCount; e++) {
    const id = ids[e];
    sorted[start[weight[id]]++] = id;
  }

  const parent = new Int32Array(N);
  const size = new Int32Array(N).fill(1);
  const thresh = new Float32Array(N).fill(opts.k);
  for (let i = 0; i < N; i++) parent[i] = i;
  const k = opts.k;

  for (let e = 0; e < edgeCount; e++) {
    const id = sorted[e];
    let a = id >> 2;
    let c = a + offset[id & 3];
    // find with path halving, inlined
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    while (parent[c] !== c) c = parent[c] = parent[parent[c]];
    if (a === c) continue;
    const wgt = weight[id] / QUANT;
    if (wgt <= thresh[a] && wgt <= thresh[c]) {
      const root = linkBySize(parent, size, a, c);
      thresh[root] = wgt + k / size[root];
    }
  }
  // Small segments join their cheapest neighbour (edges are still sorted by weight).
  if (opts.minSize > 1) {
    const minSize = opts.minSize;
    for (let e = 0; e < edgeCount; e++) {
      const id = sorted[e];
      let a = id >> 2;
      let c = a + offset[id & 3];
      while (parent[a] !== a) a = parent[a] = parent[parent[a]];
      while (parent[c] !== c) c = parent[c] = parent[parent[c]];
      if (a !== c && (size[a] < minSize || size[c] < minSize)) linkBySize(parent, size, a, c);
    }
  }
  const labels = new Int32Array(N);
  const remap = new Int32Array(N).fill(-1);
  let count = 0;
  for (let p = 0; p < N; p++) {
    let root = p;
    while (parent[root] !== root) root = parent[root];
    let l = remap[root];
    if (l < 0) l = remap[root] = count++;
    labels[p] = l;
  }
  return { labels, count, width: w, height: h };
}

/** Union by size of the sets with roots a and c (c goes under a on a tie); returns the new root. */
function linkBySize(parent: Int32Array, size: Int32Array, a: number, c: number): number {
  if (size[a] < size[c]) {
    const t = a;
    a = c;
    c = t;
  }
  parent[c] = a;
  size[a] += size[c];
  return a;
}
