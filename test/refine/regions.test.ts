/**
 * The weight-free over-segmentation and the `regions` refiner on synthetic anime-like pictures (flat fills
 * bounded by dark line art). Expectations come from how the pictures are drawn: which pixels belong to which
 * fill is known by construction, so we check that segments never cross a drawn colour boundary, that a flat
 * fill is one segment, and that borders land on the true colour step at full resolution.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { felzenszwalb } from '../../src/refine/regions/felzenszwalb.js';
import { overSegment, createRegionsProposer, resolveRegionsOptions, labelMapToMasks } from '../../src/refine/regions/proposer.js';
import { createRegionsRefiner } from '../../src/refine/regions/refiner.js';
import { runRefineStage } from '../../src/refine/stage.js';
import { resolveSoftEdge } from '../../src/refine/softedge.js';
import { toPlanes } from '../../src/refine/regions/planes.js';
import { AnimesegError } from '../../src/errors.js';
import type { RawImage } from '../../src/image/types.js';
import type { Instance } from '../../src/pipeline/types.js';
import { maskIoU } from '../../src/mask/ops.js';
import { dilate } from '../../src/mask/morphology.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * A "character": an ellipse filled with skin colour, a rectangle of hair colour on top, a 2-px black outline,
 * on a noisy greenish background. Returns the image and the region id of every pixel
 * (0 background, 1 outline, 2 skin, 3 hair) plus the character mask (outline + fills).
 */
function drawCharacter(W: number, H: number, seed = 1) {
  const rnd = lcg(seed);
  const data = new Uint8Array(W * H * 3);
  const region = new Uint8Array(W * H);
  const cx = W / 2;
  const cy = H * 0.55;
  const rx = W * 0.22;
  const ry = H * 0.35;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const e = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      const eOut = ((x - cx) / (rx + 2)) ** 2 + ((y - cy) / (ry + 2)) ** 2;
      let id = 0;
      if (e <= 1) id = y < cy - ry * 0.4 ? 3 : 2;
      else if (eOut <= 1) id = 1;
      region[y * W + x] = id;
      const i = (y * W + x) * 3;
      const n = () => Math.round((rnd() - 0.5) * 24);
      const col = id === 0 ? [90 + n(), 140 + n(), 80 + n()] : id === 1 ? [20, 15, 25] : id === 2 ? [250, 220, 200] : [200, 60, 90];
      data[i] = Math.max(0, Math.min(255, col[0]));
      data[i + 1] = Math.max(0, Math.min(255, col[1]));
      data[i + 2] = Math.max(0, Math.min(255, col[2]));
    }
  const truth = { data: Uint8Array.from(region, (v) => (v > 0 ? 1 : 0)), width: W, height: H };
  const image: RawImage = { data, width: W, height: H, channels: 3 };
  return { image, region, truth };
}

test('felzenszwalb: each flat fill is one segment and no segment crosses a drawn boundary', () => {
  const { image, region } = drawCharacter(120, 90);
  const pl = toPlanes(image);
  const lm = felzenszwalb(pl.r, pl.g, pl.b, 120, 90, { k: 200, minSize: 10, connectivity: 8 });
  assert.equal(lm.labels.length, 120 * 90);
  // Label → region: every label must lie within one drawn region (segments never straddle an edge).
  // The outline is thin and anti-aliasing free; we check the large fills, which are what the vote uses.
  const regionOf = new Map<number, Set<number>>();
  for (let p = 0; p < lm.labels.length; p++) {
    if (region[p] === 1) continue;
    const s = regionOf.get(lm.labels[p]) ?? new Set<number>();
    s.add(region[p]);
    regionOf.set(lm.labels[p], s);
  }
  for (const [l, s] of regionOf) if (region.some((r, p) => r > 1 && lm.labels[p] === l)) assert.equal(s.size, 1, `label ${l} spans regions ${[...s]}`);
  // The skin fill (flat colour) is a single segment; so is the hair.
  for (const id of [2, 3]) {
    const labels = new Set<number>();
    region.forEach((r, p) => r === id && labels.add(lm.labels[p]));
    assert.equal(labels.size, 1, `region ${id} split into ${labels.size} segments`);
  }
});

test('felzenszwalb: a larger k never gives more segments on this picture; labels are 0..count-1', () => {
  const { image } = drawCharacter(100, 80, 5);
  const pl = toPlanes(image);
  const counts = [20, 200, 2000].map((k) => felzenszwalb(pl.r, pl.g, pl.b, 100, 80, { k, minSize: 1, connectivity: 4 }));
  for (const lm of counts) {
    let max = -1;
    for (const l of lm.labels) max = Math.max(max, l);
    assert.equal(max, lm.count - 1);
  }
  assert.ok(counts[0].count >= counts[1].count && counts[1].count >= counts[2].count, counts.map((c) => c.count).join(' '));
});

test('overSegment at reduced scale snaps borders to the full-resolution colour step', () => {
  // 200x100: colour A for x < 77, colour B from 77 (not on the 4x grid of a 50-px-wide working scale).
  // Nearest upsampling would put the border at a multiple of 4; edge-aware snapping must put it at 77.
  const W = 200;
  const H = 100;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      data.set(x < 77 ? [240, 200, 180] : [40, 60, 160], i);
    }
  const lm = overSegment({ data, width: W, height: H, channels: 3 }, { maxSide: 50, k: 100, minSize: 5 });
  assert.equal(lm.width, W);
  assert.equal(lm.height, H);
  for (let y = 0; y < H; y++) {
    assert.equal(lm.labels[y * W + 76], lm.labels[0], `row ${y}: x=76 should be with the left fill`);
    assert.equal(lm.labels[y * W + 77], lm.labels[W - 1], `row ${y}: x=77 should be with the right fill`);
  }
  assert.notEqual(lm.labels[0], lm.labels[W - 1]);
});

test('regions proposer: partition masks cover every pixel exactly once', async () => {
  const { image } = drawCharacter(60, 40, 9);
  const p = createRegionsProposer({ maxSide: 40 });
  const masks = await p.propose(image);
  const cover = new Uint8Array(60 * 40);
  for (const m of masks) for (let i = 0; i < cover.length; i++) cover[i] += m.data[i];
  assert.ok(cover.every((v) => v === 1));
  assert.equal(masks.length, (await p.proposeLabels(image)).count);
  assert.equal(labelMapToMasks({ labels: Int32Array.from([0, 1, 1, 0]), count: 2, width: 2, height: 2 })[1].data.join(''), '0110');
});

test('regions refiner: a coarse, dilated YOLO mask snaps back to the drawn character', async () => {
  // YOLO-like coarse mask: the true character mask dilated by 6 px (YOLO masks bulge over the background).
  // The refined mask must be closer to the truth than the coarse one, and nearly exact on this clean picture.
  const { image, truth } = drawCharacter(240, 180, 3);
  const coarse = dilate(truth, 6);
  const inst: Instance = { classId: 0, className: 'person', score: 0.9, box: [0, 0, 240, 180], mask: coarse, maskSource: 'yolo' };
  const refiner = createRegionsRefiner();
  const [out] = await refiner.refine(image, [inst]);
  const before = maskIoU(coarse, truth);
  const after = maskIoU(out.mask, truth);
  assert.equal(out.maskSource, 'regions');
  assert.ok(after > before, `IoU ${after} should beat the coarse mask's ${before}`);
  assert.ok(after > 0.97, `IoU ${after}`);
  assert.equal(out.alpha, undefined);
  const { instances: [soft] } = await runRefineStage(createRegionsRefiner(), image, [inst], resolveSoftEdge(true));
  assert.equal(soft.alpha?.length, 240 * 180);
  assert.ok(refiner.lastTimings && refiner.lastTimings.propose >= 0 && refiner.lastTimings.fusion >= 0);
});

test('regions options are checked', () => {
  for (const bad of [{ k: 0 }, { maxSide: 4 }, { minSize: -1 }, { sigma: 20 }, { connectivity: 6 as 4 }]) {
    assert.throws(() => resolveRegionsOptions(bad), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION', JSON.stringify(bad));
  }
  assert.throws(() => createRegionsRefiner({ colour: { weight: -1 } }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
});

test('colour prior: segments coloured like the YOLO core get a positive bias, like the ring a negative one', async () => {
  const { colourBias } = await import('../../src/refine/regions/colour-prior.js');
  // 100x100: left half red, right half green. YOLO union = x < 60 (it bulges 10 px over the green side).
  // Core = YOLO eroded by 12 px (x < 48: red only); ring = 10 px outside YOLO (x 60..69: green only).
  // Labels: 0 = red half, 1 = the green strip under YOLO (x 50..59), 2 = the rest of the green.
  // With 16^3 bins and +1 smoothing: red P_core = 4801/8896, P_ring = 1/5096 → llr ≈ +7.9; green
  // P_core = 1/8896, P_ring = 1001/5096 → llr ≈ -7.5; bias = 0.8 tanh(llr / 2) → about ±0.80.
  const W = 100;
  const data = new Uint8Array(W * W * 3);
  const labels = new Int32Array(W * W);
  const yolo = new Uint8Array(W * W);
  for (let y = 0; y < W; y++)
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      data.set(x < 50 ? [220, 40, 40] : [40, 200, 60], p * 3);
      labels[p] = x < 50 ? 0 : x < 60 ? 1 : 2;
      yolo[p] = x < 60 ? 1 : 0;
    }
  const bias = colourBias(
    { data, width: W, height: W, channels: 3 },
    { labels, count: 3, width: W, height: W },
    { data: yolo, width: W, height: W },
    { weight: 0.8, coreErode: 0.12, ringWidth: 0.1, scale: 2 },
  );
  const expect = (llr: number) => 0.8 * Math.tanh(llr / 2);
  const llrRed = Math.log(4801 / 8896) - Math.log(1 / 5096);
  const llrGreen = Math.log(1 / 8896) - Math.log(1001 / 5096);
  assert.ok(Math.abs(bias[0] - expect(llrRed)) < 1e-4, `red ${bias[0]} vs ${expect(llrRed)}`);
  assert.ok(Math.abs(bias[1] - expect(llrGreen)) < 1e-4, `green strip ${bias[1]} vs ${expect(llrGreen)}`);
  assert.ok(Math.abs(bias[2] - expect(llrGreen)) < 1e-4, `green ${bias[2]}`);
  // Weight 0 switches it off.
  assert.deepEqual([...colourBias({ data, width: W, height: W, channels: 3 }, { labels, count: 3, width: W, height: W }, { data: yolo, width: W, height: W }, { weight: 0, coreErode: 0.05, ringWidth: 0.1, scale: 2 })], [0, 0, 0]);
});
