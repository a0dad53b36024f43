/**
 * Near-duplicate groups of 64-bit hashes within a Hamming distance T: multi-index hashing (Norouzi,
 * Punjani and Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012). The 64 bits are cut
 * into 4 bands of 16; two hashes at distance <= T differ in at most floor(T / 4) bits of some band
 * (pigeonhole: four bands each with more would sum to more than T). So every pair within T is found by
 * pairing, per band, each bucket with the buckets whose keys are within floor(T / 4) bits of its own (137
 * keys for T < 12) and checking the full distance of what they hold. Per hash that is 4 x 137 bucket
 * lookups plus the candidates met, 4 x 137 x n / 65536: against the n / 2 checks per hash of all pairs,
 * a 240-times smaller quadratic term, which at 10^5 hashes is still under the lookups (bench/curate.ts).
 * Buckets are a counting sort per band (typed arrays, no per-item objects), visited in key order.
 * Pairs within T are joined transitively (union-find): a chain A~B~C is one group.
 */
import { popcount32, type Hash64 } from './hash.js';

/** All b-bit masks with at most r bits set (by combinations, not by scanning 2^b values). */
function masksUpTo(b: number, r: number): Int32Array {
  const out: number[] = [0];
  const rec = (start: number, mask: number, left: number) => {
    for (let i = start; i < b; i++) {
      const m = (mask | (1 << i)) >>> 0;
      out.push(m);
      if (left > 1) rec(i + 1, m, left - 1);
    }
  };
  if (r > 0) rec(0, 0, r);
  return Int32Array.from(out);
}

/** Bands: 4 of 16 bits (the lookup table per band is 2^16 + 1 ints). */
const BANDS = 4;
const WIDTHS = [16, 16, 16, 16];

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]];
      i = p[i];
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller index is the root, so group order follows input order.
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

export interface NearDuplicatePair {
  a: number;
  b: number;
  distance: number;
}

export interface GroupResult {
  /** Groups of two or more indices, each sorted, groups in order of their first index. */
  groups: number[][];
  /** Every pair found within the distance (a < b). */
  pairs: NearDuplicatePair[];
  /** Full-distance checks made (with lookups, the figure that shows the work is not n^2). */
  comparisons: number;
  /** Bucket pairs looked at (per band and probe mask, each occupied key once). */
  lookups: number;
}

/** Group hashes within `maxDistance` bits (0..20). */
export function groupNearDuplicates(hashes: readonly Hash64[] | { hi: Uint32Array; lo: Uint32Array }, maxDistance: number): GroupResult {
  if (!(Number.isInteger(maxDistance) && maxDistance >= 0 && maxDistance <= 20)) throw new RangeError(`maxDistance must be an integer in 0..20, got ${maxDistance}`);
  const { hi, lo } = Array.isArray(hashes)
    ? { hi: Uint32Array.from(hashes as Hash64[], (h) => h.hi), lo: Uint32Array.from(hashes as Hash64[], (h) => h.lo) }
    : (hashes as { hi: Uint32Array; lo: Uint32Array });
  const n = hi.length;
  const m = BANDS;
  const widths = WIDTHS;
  const starts = widths.map((_, j) => widths.slice(0, j).reduce((s, w) => s + w, 0));
  /** Bits [start, start + w) of the 64 (bit 0 = lowest bit of lo). */
  const key = (j: number, i: number): number => {
    const s = starts[j];
    const mask = 2 ** widths[j] - 1;
    if (s >= 32) return (hi[i] >>> (s - 32)) & mask;
    const v = s === 0 ? lo[i] : (lo[i] >>> s) | (hi[i] << (32 - s));
    return (v >>> 0) & mask;
  };
  // Counting sort per band: bucket k of band j is slots start[j][k] .. start[j][k + 1]. Each slot holds the
  // item's index and its whole hash (memIdx/memHi/memLo), so checking a bucket's members reads memory in
  // order instead of jumping to hi[o], lo[o] of each one: at 10^5 hashes that is most of the time.
  const bucketStart: Int32Array[] = [];
  const memIdx: Int32Array[] = [];
  const memHi: Uint32Array[] = [];
  const memLo: Uint32Array[] = [];
  const keys: Int32Array[] = [];
  for (let j = 0; j < m; j++) {
    const size = 2 ** widths[j];
    const ks = new Int32Array(n);
    for (let i = 0; i < n; i++) ks[i] = key(j, i);
    const start = new Int32Array(size + 1);
    for (let i = 0; i < n; i++) start[ks[i] + 1]++;
    for (let k = 0; k < size; k++) start[k + 1] += start[k];
    const fill = start.slice(0, size);
    const idx = new Int32Array(n);
    const mh = new Uint32Array(n);
    const ml = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const slot = fill[ks[i]]++;
      idx[slot] = i;
      mh[slot] = hi[i];
      ml[slot] = lo[i];
    }
    bucketStart.push(start);
    memIdx.push(idx);
    memHi.push(mh);
    memLo.push(ml);
    keys.push(ks);
  }
  const r = Math.floor(maxDistance / m);
  const probes = widths.map((w) => masksUpTo(w, r));
  /** Whether hash (h, l) is within r bits of item i in some band before j: then band j' already found the pair. */
  const foundEarlier = (j: number, i: number, h: number, l: number): boolean => {
    for (let jj = 0; jj < j; jj++) {
      const s = starts[jj];
      const mask = 2 ** widths[jj] - 1;
      const v = s >= 32 ? h >>> (s - 32) : s === 0 ? l : (l >>> s) | (h << (32 - s));
      if (popcount32(((v >>> 0) & mask) ^ keys[jj][i]) <= r) return true;
    }
    return false;
  };
  const uf = new UnionFind(n);
  const pairs: NearDuplicatePair[] = [];
  let comparisons = 0;
  let lookups = 0;
  // Loops run per band and per probe mask over the occupied keys in ascending order, so the buckets read
  // (key, and key XOR mask) move through memory in runs instead of at random: the same pairs and the same
  // checks as probing hash by hash, but cache-friendly once the tables outgrow the caches (10^5 hashes).
  for (let j = 0; j < m; j++) {
    const start = bucketStart[j];
    const idx = memIdx[j];
    const mh = memHi[j];
    const ml = memLo[j];
    const pr = probes[j];
    // Occupied keys, ascending (the slots are in key order).
    const distinct: number[] = [];
    for (let t = 0; t < n; t++) {
      const k = keys[j][idx[t]];
      if (distinct.length === 0 || distinct[distinct.length - 1] !== k) distinct.push(k);
    }
    for (let p = 0; p < pr.length; p++) {
      const mu = pr[p];
      for (let t = 0; t < distinct.length; t++) {
        const k = distinct[t];
        const k2 = k ^ mu;
        // Each unordered pair of buckets once: {k, k2} is met again from k2 with the same mask.
        if (mu !== 0 && k2 < k) continue;
        lookups++;
        const s2 = start[k2];
        const e2 = start[k2 + 1];
        if (s2 === e2) continue;
        const e1 = start[k + 1];
        for (let a = start[k]; a < e1; a++) {
          const ha = mh[a];
          const la = ml[a];
          for (let b = mu === 0 ? a + 1 : s2; b < e2; b++) {
            comparisons++;
            const d = popcount32((ha ^ mh[b]) >>> 0) + popcount32((la ^ ml[b]) >>> 0);
            // A pair close in several bands is met in each: keep it from the first band only.
            if (d <= maxDistance && !foundEarlier(j, idx[a], mh[b], ml[b])) {
              const x = Math.min(idx[a], idx[b]);
              const y = Math.max(idx[a], idx[b]);
              pairs.push({ a: x, b: y, distance: d });
              uf.union(x, y);
            }
          }
        }
      }
    }
  }
  const byRoot = new Map<number, number[]>();
  for (const { a, b } of pairs) {
    for (const i of [a, b]) {
      const r = uf.find(i);
      let g = byRoot.get(r);
      if (!g) byRoot.set(r, (g = []));
      g.push(i);
    }
  }
  const groups = [...byRoot.values()].map((g) => [...new Set(g)].sort((x, y) => x - y)).sort((x, y) => x[0] - y[0]);
  return { groups, pairs, comparisons, lookups };
}
