/**
 * Near-duplicate groups of 64-bit hashes within a Hamming distance, in near-linear time: multi-index
 * hashing. The 64 bits are cut into 4 bands of 16; two hashes at distance <= T differ in at most
 * floor(T / 4) bits of some band (pigeonhole: four bands each with more would sum to more than T), so
 * every pair within T is found by looking up, per band, the buckets of the keys within floor(T / 4) bits of
 * the hash's own key (1 + 16 + 120 keys for T < 12) and checking the full distance of what they hold.
 * Buckets are a counting sort per band (no maps, no per-item objects): memory is O(n) plus 4 x 65536 ints,
 * and the work per hash is the probe count plus the bucket sizes, about n / 65536 each for spread hashes.
 * Pairs within T are joined transitively (union-find): a chain A~B~C is one group.
 */
import { popcount32, type Hash64 } from './hash.js';

/** All 16-bit masks with at most r bits set. */
function masksUpTo(r: number): Int32Array {
  const out: number[] = [];
  for (let m = 0; m < 1 << 16; m++) if (popcount32(m) <= r) out.push(m);
  return Int32Array.from(out);
}

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
  /** Every pair found within the distance (a < b); the report shows each member's distance to the kept one. */
  pairs: NearDuplicatePair[];
  /** Full-distance checks made (the figure that shows the work is not n^2). */
  comparisons: number;
}

/** Group hashes (hi[i], lo[i]) within `maxDistance` bits (0..31). */
export function groupNearDuplicates(hashes: readonly Hash64[] | { hi: Uint32Array; lo: Uint32Array }, maxDistance: number): GroupResult {
  if (!(Number.isInteger(maxDistance) && maxDistance >= 0 && maxDistance < 32)) throw new RangeError(`maxDistance must be an integer in 0..31, got ${maxDistance}`);
  const { hi, lo } = Array.isArray(hashes)
    ? { hi: Uint32Array.from(hashes as Hash64[], (h) => h.hi), lo: Uint32Array.from(hashes as Hash64[], (h) => h.lo) }
    : (hashes as { hi: Uint32Array; lo: Uint32Array });
  const n = hi.length;
  const band = (b: number, i: number): number => (b < 2 ? lo[i] >>> (16 * b) : hi[i] >>> (16 * (b - 2))) & 0xffff;
  // Counting sort per band: start[b][key] .. start[b][key + 1] index into members[b].
  const starts: Int32Array[] = [];
  const members: Int32Array[] = [];
  for (let b = 0; b < 4; b++) {
    const start = new Int32Array(65537);
    for (let i = 0; i < n; i++) start[band(b, i) + 1]++;
    for (let k = 0; k < 65536; k++) start[k + 1] += start[k];
    const fill = start.slice(0, 65536);
    const m = new Int32Array(n);
    for (let i = 0; i < n; i++) m[fill[band(b, i)]++] = i;
    starts.push(start);
    members.push(m);
  }
  const probes = masksUpTo(Math.floor(maxDistance / 4));
  const seen = new Int32Array(n).fill(-1);
  const uf = new UnionFind(n);
  const pairs: NearDuplicatePair[] = [];
  let comparisons = 0;
  for (let i = 0; i < n; i++) {
    const hiI = hi[i];
    const loI = lo[i];
    for (let b = 0; b < 4; b++) {
      const key = band(b, i);
      const start = starts[b];
      const m = members[b];
      for (let p = 0; p < probes.length; p++) {
        const k = key ^ probes[p];
        for (let s = start[k], e = start[k + 1]; s < e; s++) {
          const j = m[s];
          // Each pair once (j > i), each candidate once per i whatever band found it.
          if (j <= i || seen[j] === i) continue;
          seen[j] = i;
          comparisons++;
          const d = popcount32((hiI ^ hi[j]) >>> 0) + popcount32((loI ^ lo[j]) >>> 0);
          if (d <= maxDistance) {
            pairs.push({ a: i, b: j, distance: d });
            uf.union(i, j);
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
  return { groups, pairs, comparisons };
}
