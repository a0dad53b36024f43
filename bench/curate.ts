/**
 * Near-duplicate search at scale (not a test): images/s for perceptual hashing (dHash + pHash of 128x128
 * RGBA cutouts already decoded: synthetic copies of real illustrations, each slightly shifted and
 * re-toned) and for grouping (multi-index hashing + union-find, src/curate/group.ts) at 10^3, 10^4, 10^5
 * images, against brute-force all-pairs grouping in the same run (10^3 and 10^4 only: 10^5 would be
 * 5 x 10^9 pairs). 10 % of the hashes are planted
 * near-duplicates (0-13 bits flipped). Times are CPU seconds of this process (the machine may be shared).
 * Prints medians of
 * --runs runs, comparisons per image, and peak RSS / heap.
 *
 *   npx tsx bench/curate.ts [--runs 3] [--max 100000] [--no-hash]
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { imageHashes, hamming, type Hash64 } from '../src/curate/hash.js';
import { groupNearDuplicates } from '../src/curate/group.js';
import type { RawImage } from '../src/image/types.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, max: { type: 'string', default: '100000' }, 'hash-max': { type: 'string', default: '100000' }, 'no-hash': { type: 'boolean' } } });
const RUNS = Number(values.runs);
const SIZES = [1000, 10000, 100000].filter((n) => n <= Number(values.max));

let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const timer = setInterval(sample, 50);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/**
 * Seconds of CPU this process spent (user + system) while fn ran: on a machine shared with other work, wall
 * time measures the scheduler more than the code; CPU time does not (caches shared with others still do).
 */
function cpuSeconds(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
}

// Base pictures: real illustrations scaled to 136x136 RGBA; each synthetic copy is a 128x128 window at a
// pseudo-random offset with a brightness change, so no two inputs are byte-identical.
const dir = resolve('../shared/data/illustrations/images');
const bases: RawImage[] = [];
for (const f of readdirSync(dir).slice(0, 20)) {
  const { data, info } = await sharp(resolve(dir, f)).resize(136, 136, { fit: 'fill' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  bases.push({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 4 });
}
let seed = 1;
const rng = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const copy = new Uint8Array(128 * 128 * 4);
function syntheticCopy(i: number): RawImage {
  const b = bases[i % bases.length];
  const ox = Math.floor(rng() * 8);
  const oy = Math.floor(rng() * 8);
  const gain = 0.8 + rng() * 0.4;
  for (let y = 0; y < 128; y++) {
    for (let x = 0; x < 128; x++) {
      const s = ((y + oy) * 136 + x + ox) * 4;
      const d = (y * 128 + x) * 4;
      for (let c = 0; c < 3; c++) copy[d + c] = Math.min(255, b.data[s + c] * gain);
      copy[d + 3] = 255;
    }
  }
  return { data: copy, width: 128, height: 128, channels: 4 };
}

function hashRun(n: number): number {
  return cpuSeconds(() => {
    for (let i = 0; i < n; i++) imageHashes(syntheticCopy(i));
  });
}

function randomHashes(n: number): Hash64[] {
  const out: Hash64[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) {
      let { hi, lo } = out[Math.floor(rng() * out.length)];
      for (let k = Math.floor(rng() * 14); k > 0; k--) {
        const bit = Math.floor(rng() * 64);
        if (bit < 32) lo = (lo ^ (1 << bit)) >>> 0;
        else hi = (hi ^ (1 << (bit - 32))) >>> 0;
      }
      out.push({ hi, lo });
    } else out.push({ hi: Math.floor(rng() * 2 ** 32) >>> 0, lo: Math.floor(rng() * 2 ** 32) >>> 0 });
  }
  return out;
}

function bruteForce(h: Hash64[], T: number): number {
  let pairs = 0;
  for (let i = 0; i < h.length; i++) for (let j = i + 1; j < h.length; j++) if (hamming(h[i], h[j]) <= T) pairs++;
  return pairs;
}

console.log(`curate near-duplicates, median of ${RUNS} run(s) (hashing: one at 10^4 and up), Node ${process.version}`);
console.log('\nhashing (dHash + pHash of a 128x128 RGBA picture, decoded already), per CPU second');
for (const n of values['no-hash'] ? [] : SIZES.filter((k) => k <= Number(values['hash-max']))) {
  const s = median(Array.from({ length: n >= 10000 ? 1 : RUNS }, () => hashRun(n)));
  sample();
  console.log(`  n = ${String(n).padEnd(7)} ${(n / s).toFixed(0).padStart(7)} img/s`);
}
console.log('\ngrouping at 10 bits (10 % planted near-duplicates), CPU seconds');
console.log('  n          img/s     cpu s    lookups/img  comparisons/img   all-pairs cpu s   all-pairs / indexed');
for (const n of SIZES) {
  const hashes = randomHashes(n);
  let brute = NaN;
  if (n <= 10000) brute = median(Array.from({ length: RUNS }, () => cpuSeconds(() => bruteForce(hashes, 10))));
  const runs = RUNS;
  let comparisons = 0;
  let lookups = 0;
  groupNearDuplicates(hashes, 10); // warm-up (JIT, first touch of the arrays), not timed
  const s = median(Array.from({ length: runs }, () => cpuSeconds(() => {
    const r = groupNearDuplicates(hashes, 10);
    comparisons = r.comparisons;
    lookups = r.lookups;
  })));
  sample();
  console.log(
    `  ${String(n).padEnd(8)} ${(n / s).toFixed(0).padStart(7)}   ${s.toFixed(3).padStart(7)}   ${(lookups / n).toFixed(0).padStart(10)}  ${(comparisons / n).toFixed(1).padStart(15)}   ${Number.isNaN(brute) ? '              -' : brute.toFixed(3).padStart(15)}   ${Number.isNaN(brute) ? '-' : (brute / s).toFixed(1)}`,
  );
}
clearInterval(timer);
console.log(`\npeak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, peak heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB`);
