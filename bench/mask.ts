/**
 * Mask primitive speed on 1920x1080 masks. Run: npx tsx bench/mask.ts [--runs N]
 * Prints the median of N runs per operation, and a ratio against baselines measured in the same run:
 * erode/dilate against a naive 3x3 window loop repeated 3 times (what a direct port of cv2.erode(it=3) does),
 * everything else against one plain pass that reads every pixel (the floor for any whole-mask operation).
 */
import { encodeRle, decodeRle } from '../src/mask/rle.js';
import { erode, dilate } from '../src/mask/morphology.js';
import { maskToPolygons, fillPolygons } from '../src/mask/polygon.js';
import { labelComponents } from '../src/mask/components.js';
import { boundaryFScore } from '../src/mask/boundary.js';
import { resizeMaskLinear, resizeMaskNearest, resizeBilinearF32 } from '../src/mask/resize.js';
import { maskIoU } from '../src/mask/ops.js';
import type { Mask } from '../src/mask/types.js';

const W = 1920;
const H = 1080;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 9;

/** A character-like mask: a union of ellipses (body, head, limbs) plus a few specks and holes. */
function sceneMask(seed: number): Mask {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const data = new Uint8Array(W * H);
  const blobs: [number, number, number, number, number][] = [];
  for (let k = 0; k < 12; k++) blobs.push([W * (0.3 + 0.4 * rand()), H * (0.1 + 0.8 * rand()), 40 + 250 * rand(), 40 + 300 * rand(), 1]);
  for (let k = 0; k < 30; k++) blobs.push([W * rand(), H * rand(), 3 + 10 * rand(), 3 + 10 * rand(), rand() < 0.5 ? 1 : 0]);
  for (const [cx, cy, rx, ry, v] of blobs) {
    const y0 = Math.max(0, Math.floor(cy - ry));
    const y1 = Math.min(H - 1, Math.ceil(cy + ry));
    for (let y = y0; y <= y1; y++) {
      const t = 1 - ((y - cy) / ry) ** 2;
      if (t < 0) continue;
      const half = rx * Math.sqrt(t);
      const x0 = Math.max(0, Math.ceil(cx - half));
      const x1 = Math.min(W - 1, Math.floor(cx + half));
      if (x1 >= x0) data.fill(v, y * W + x0, y * W + x1 + 1);
    }
  }
  return { data, width: W, height: H };
}

function naiveMorph3(m: Mask, op: 'min' | 'max'): Mask {
  let cur = m.data;
  for (let it = 0; it < 3; it++) {
    const out = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v = op === 'min' ? 1 : 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= H) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= W) continue;
            const p = cur[yy * W + xx];
            v = op === 'min' ? (p < v ? p : v) : p > v ? p : v;
          }
        }
        out[y * W + x] = v;
      }
    }
    cur = out;
  }
  return { data: cur, width: W, height: H };
}

function readPass(m: Mask): number {
  let n = 0;
  const d = m.data;
  for (let i = 0; i < d.length; i++) n += d[i];
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn: () => unknown, runs = RUNS): number {
  fn(); // warm-up (JIT)
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const a = sceneMask(1);
const b = sceneMask(1);
// b: a shifted by a few pixels so boundary F and IoU have work to do
b.data.copyWithin(3, 0, b.data.length - 3);
const rle = encodeRle(a);
const polys = maskToPolygons(a);
const logits = new Float32Array(160 * 160).map((_, i) => Math.sin(i * 0.01));

const base = time(() => readPass(a));
const naiveErode = time(() => naiveMorph3(a, 'min'), Math.min(RUNS, 3));
const naiveDilate = time(() => naiveMorph3(a, 'max'), Math.min(RUNS, 3));

const rows: [string, number, string][] = [];
const add = (name: string, ms: number, ref: number, refName: string) =>
  rows.push([name, ms, `${(ms / ref).toFixed(2)}x ${refName}`]);
add('erode x3', time(() => erode(a, 3)), naiveErode, 'naive 3x3 loop');
add('dilate x3', time(() => dilate(a, 3)), naiveDilate, 'naive 3x3 loop');
add('encodeRle', time(() => encodeRle(a)), base, 'read pass');
add('decodeRle', time(() => decodeRle(rle)), base, 'read pass');
add('maskToPolygons', time(() => maskToPolygons(a)), base, 'read pass');
add('fillPolygons', time(() => fillPolygons(polys, W, H)), base, 'read pass');
add('labelComponents(8)', time(() => labelComponents(a, 8)), base, 'read pass');
add('boundaryFScore(2px)', time(() => boundaryFScore(a, b, 2)), base, 'read pass');
add('maskIoU', time(() => maskIoU(a, b)), base, 'read pass');
add('resizeMaskNearest 1/2', time(() => resizeMaskNearest(a, W / 2, H / 2)), base, 'read pass');
add('resizeMaskLinear 640x360', time(() => resizeMaskLinear(a, 640, 360)), base, 'read pass');
add('resizeBilinearF32 160->640', time(() => resizeBilinearF32(logits, 160, 160, 640, 640)), base, 'read pass');

console.log(`mask primitives, ${W}x${H}, median of ${RUNS} runs (node ${process.version})`);
console.log(`  baselines: read pass ${base.toFixed(2)} ms, naive erode x3 ${naiveErode.toFixed(1)} ms, naive dilate x3 ${naiveDilate.toFixed(1)} ms`);
console.log(`  mask area ${readPass(a)} px, RLE runs ${rle.counts.length}, polygons ${polys.length} (${polys.reduce((s, p) => s + p.length / 2, 0)} vertices)`);
for (const [name, ms, ratio] of rows) console.log(`  ${name.padEnd(28)} ${ms.toFixed(2).padStart(8)} ms   ${ratio}`);
