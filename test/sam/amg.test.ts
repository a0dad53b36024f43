// End-to-end automatic mask generator on small images with the fake SAM models, against hand-derived
// segment lists. The fake decoder's output m is a disc of radius radii[m] around the prompt point with logit
// slopes[m] * (radii[m] - distance) and predicted IoU ious[m] (defaults radii [5.5, 6.2, 7.5, 30], ious
// [0.99, 0.9, 0.95, 0.8], slopes 10). With SAM's defaults, for every grid point:
//  - output 0 (single-mask token) is not used by the AMG (multimask outputs 1..3 only);
//  - output 3 (r 30, IoU 0.8) fails pred_iou_thresh 0.88;
//  - outputs 1 (r 6.2, IoU 0.9) and 2 (r 7.5, IoU 0.95) are stable: with slope 10 the cut-offs +-1 move the
//    edge by 0.1 px, and no lattice point has d^2 in (6.1^2, 6.3^2) = (37.2, 39.7) or (7.4^2, 7.6^2) = (54.8, 57.8)
//    (38, 39, 55, 56, 57 are not sums of two squares), so both scores are 1 (the tests count them anyway);
//  - NMS: the r 6.2 box (|dx| <= 6, side 12) lies inside the r 7.5 box (side 14): box IoU 144/196 = 0.73 > 0.7,
//    so the r 7.5 disc (higher IoU) wins.
// Expected masks, areas and stability scores are counted by enumerating lattice points (helpers.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SamDecoder } from '../../src/models/sam/decoder.js';
import { SamEncoder } from '../../src/models/sam/encoder.js';
import { AMG_DEFAULTS, AutomaticMaskGenerator, ORIGINAL_PRESET, type AmgSegment } from '../../src/models/sam/amg/generator.js';
import { createSamProposer } from '../../src/models/sam/index.js';
import { AnimesegError } from '../../src/errors.js';
import { discArea, discMask, fakePair, grayImage, tempDir } from './helpers.js';
import type { FakeDecoderOptions } from '../../testing/sam/fake-sam.js';

const tmp = await tempDir();
after(() => tmp.cleanup());

async function load(dec: FakeDecoderOptions = {}) {
  const p = await fakePair(tmp.dir, dec);
  return { encoder: await SamEncoder.load(p.encoderPath), decoder: await SamDecoder.load(p.decoderPath), paths: p };
}

/** Stability of a fake disc: count(d < r - 1/slope) / count(d < r + 1/slope), counted on the lattice. */
function discStability(cx: number, cy: number, r: number, slope: number, w: number, h: number): number {
  return discArea(cx, cy, r - 1 / slope, w, h) / discArea(cx, cy, r + 1 / slope, w, h);
}

function checkDisc(s: AmgSegment, cx: number, cy: number, r: number, w: number, h: number, what: string) {
  const want = discMask(cx, cy, r, w, h);
  assert.equal(s.mask.width, w);
  assert.equal(s.mask.height, h);
  let diff = 0;
  for (let i = 0; i < want.length; i++) if (s.mask.data[i] !== want[i]) diff++;
  assert.equal(diff, 0, `${what}: mask differs in ${diff} px`);
  assert.equal(s.area, discArea(cx, cy, r, w, h), `${what}: area`);
  assert.ok(Math.abs(s.pointCoords[0][0] - cx) < 1e-9 && Math.abs(s.pointCoords[0][1] - cy) < 1e-9, `${what}: point ${s.pointCoords[0]}`);
}

test('defaults are segment-anything\'s; the seed preset is algorithms.md §5', () => {
  assert.equal(AMG_DEFAULTS.pointsPerSide, 32);
  assert.equal(AMG_DEFAULTS.pointsPerBatch, 64);
  assert.equal(AMG_DEFAULTS.predIouThresh, 0.88);
  assert.equal(AMG_DEFAULTS.stabilityScoreThresh, 0.95);
  assert.equal(AMG_DEFAULTS.stabilityScoreOffset, 1.0);
  assert.equal(AMG_DEFAULTS.boxNmsThresh, 0.7);
  assert.equal(AMG_DEFAULTS.cropNLayers, 0);
  assert.equal(AMG_DEFAULTS.cropNmsThresh, 0.7);
  assert.equal(AMG_DEFAULTS.cropOverlapRatio, 512 / 1500);
  assert.equal(AMG_DEFAULTS.cropNPointsDownscaleFactor, 1);
  assert.equal(AMG_DEFAULTS.minMaskRegionArea, 0);
  assert.deepEqual({ ...ORIGINAL_PRESET }, { predIouThresh: 0.6, stabilityScoreThresh: 0.8, cropNLayers: 1, cropNPointsDownscaleFactor: 1, maxSide: 1920 });
});

test('3x3 grid on 96x96: nine r 7.5 discs in grid order (hand-derived)', async () => {
  const { encoder, decoder } = await load();
  const warnings: string[] = [];
  const amg = new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3 }, { warn: (m) => warnings.push(m) });
  const r = await amg.generate(grayImage(96, 96));
  // grid 96 * (1/6, 1/2, 5/6) = 16, 48, 80; x fastest; equal IoU 0.95 keeps grid order (stable sort)
  const centres = [16, 48, 80].flatMap((y) => [16, 48, 80].map((x) => [x, y]));
  assert.equal(r.segments.length, 9);
  r.segments.forEach((s, i) => {
    const [cx, cy] = centres[i];
    checkDisc(s, cx, cy, 7.5, 96, 96, `segment ${i}`);
    // inclusive box: |dx| <= 7 -> [c-7, c+7], XYWH width 14
    assert.deepEqual(s.bbox, [cx - 7, cy - 7, 14, 14]);
    assert.equal(s.predictedIou, Math.fround(0.95));
    assert.equal(s.stabilityScore, discStability(cx, cy, 7.5, 10, 96, 96));
    assert.deepEqual(s.cropBox, [0, 0, 96, 96]);
  });
  assert.equal(warnings.length, 0);
  assert.equal(r.masksPerPrompt, 3);
  // one encoder run; the public-style export takes one prompt per call: 9 calls
  assert.equal(r.timings.encoderRuns, 1);
  assert.equal(r.timings.decoderCalls, 9);
  // 9 points x 3 multimask outputs seen; 18 pass the filters (outputs 1 and 2), 9 survive NMS
  assert.equal(r.timings.candidates, 27);
  assert.equal(r.timings.afterFilters, 18);
  assert.ok(r.timings.post >= 0 && r.timings.total >= r.timings.decoder);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('batched decoder export: same segments, prompts batched by points_per_batch', async () => {
  const { encoder, decoder } = await load({ batched: true });
  const a = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3 }).generate(grayImage(96, 96));
  assert.equal(a.segments.length, 9);
  assert.equal(a.timings.decoderCalls, 1); // 9 points <= 64 per batch
  const b = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, pointsPerBatch: 4 }).generate(grayImage(96, 96));
  assert.equal(b.timings.decoderCalls, 3); // ceil(9 / 4)
  assert.deepEqual(b.segments.map((s) => s.bbox), a.segments.map((s) => s.bbox));
  assert.equal(b.timings.encoderRuns, 0); // embedding cached by the encoder within the run
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('NMS threshold above 0.73 keeps both discs; order by predicted IoU', async () => {
  const { encoder, decoder } = await load({ batched: true });
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, boxNmsThresh: 0.75 }).generate(grayImage(96, 96));
  assert.equal(r.segments.length, 18);
  // nine 0.95 (r 7.5) first, then nine 0.9 (r 6.2), each in grid order
  assert.deepEqual(r.segments.map((s) => s.predictedIou), [...Array(9).fill(Math.fround(0.95)), ...Array(9).fill(Math.fround(0.9))]);
  checkDisc(r.segments[9], 16, 16, 6.2, 96, 96, 'first r 6.2 disc');
  // pred_iou_thresh below 0.8 lets the r 30 disc in too (it is clipped by the image and overlaps others)
  const r2 = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, boxNmsThresh: 1, predIouThresh: 0.5 }).generate(grayImage(96, 96));
  assert.equal(r2.segments.length, 27);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('stability filter: a slope-1 disc is unstable and dropped', async () => {
  // output 2 with slope 1: cut-offs at r -+ 1 -> count(d < 6.5) / count(d < 8.5), well under 0.95
  const { encoder, decoder } = await load({ batched: true, slopes: [10, 10, 1, 10] });
  const want = discStability(48, 48, 7.5, 1, 96, 96);
  assert.ok(want < 0.95 && want > 0.5, `hand value ${want}`);
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3 }).generate(grayImage(96, 96));
  // only the r 6.2 discs remain
  assert.equal(r.segments.length, 9);
  r.segments.forEach((s) => assert.equal(s.predictedIou, Math.fround(0.9)));
  checkDisc(r.segments[4], 48, 48, 6.2, 96, 96, 'centre');
  // with the filter off (0) the unstable disc is kept and reports the counted score
  const r0 = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, stabilityScoreThresh: 0 }).generate(grayImage(96, 96));
  assert.equal(r0.segments.length, 9);
  assert.equal(r0.segments[4].stabilityScore, want);
  assert.equal(r0.segments[4].predictedIou, Math.fround(0.95));
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('crop layer: discs from each crop, smaller crops first (explicit point grids)', async () => {
  const { encoder, decoder } = await load({ batched: true });
  // 96x96, one crop layer: overlap int(512/1500*96) = 32, crop side ceil((32+96)/2) = 64, starts 0 and 32.
  // Grid (0.5, 0.5) in every crop: centres (32,32), (32,64), (64,32), (64,64) (x start outer), and (48,48)
  // in the whole image. No two discs overlap; the cross-crop NMS orders by 1/crop area: the four 64x64 crops
  // (equal scores, crop order) before the whole image.
  const half = Float64Array.from([0.5, 0.5]);
  const amg = new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: null, pointGrids: [half, half], cropNLayers: 1 });
  const r = await amg.generate(grayImage(96, 96));
  const want = [
    [32, 32, [0, 0, 64, 64]],
    [32, 64, [0, 32, 64, 64]],
    [64, 32, [32, 0, 64, 64]],
    [64, 64, [32, 32, 64, 64]],
    [48, 48, [0, 0, 96, 96]],
  ] as const;
  assert.equal(r.segments.length, 5);
  r.segments.forEach((s, i) => {
    checkDisc(s, want[i][0], want[i][1], 7.5, 96, 96, `segment ${i}`);
    assert.deepEqual(s.cropBox, want[i][2]);
  });
  assert.equal(r.timings.encoderRuns, 5);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('crop layer: masks near inner crop edges dropped; duplicates across crops keep the smaller crop', async () => {
  const { encoder, decoder } = await load({ batched: true });
  // layer 0 points (48,48) and (80,80); layer 1 point (0.75, 0.75) of each 64x64 crop:
  //  crop [0,0,64,64] -> (48,48), box right edge 55 is 9 px from the crop edge 64 (not an image edge): dropped
  //  crop [0,32,64,96] -> (48,80), right edge 55 near 64: dropped;  crop [32,0,96,64] -> (80,48): bottom 55: dropped
  //  crop [32,32,96,96] -> (80,80), box [73..87]: 87 is near 96, an image edge: kept
  // (80,80) then exists from layer 0 and from the last crop: identical boxes, the crop (score 1/4096 > 1/9216) wins.
  const amg = new AutomaticMaskGenerator(encoder, decoder, {
    pointsPerSide: null,
    pointGrids: [Float64Array.from([0.5, 0.5, 5 / 6, 5 / 6]), Float64Array.from([0.75, 0.75])],
    cropNLayers: 1,
  });
  const r = await amg.generate(grayImage(96, 96));
  assert.equal(r.segments.length, 2);
  checkDisc(r.segments[0], 80, 80, 7.5, 96, 96, 'crop disc');
  assert.deepEqual(r.segments[0].cropBox, [32, 32, 64, 64]);
  checkDisc(r.segments[1], 48, 48, 7.5, 96, 96, 'whole-image disc');
  assert.deepEqual(r.segments[1].cropBox, [0, 0, 96, 96]);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('single-mask export: a clear warning, the single output used', async () => {
  const { encoder, decoder } = await load({ numMasks: 1, radii: [7.5], ious: [0.95], slopes: [10] });
  const warnings: string[] = [];
  const amg = new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3 }, { warn: (m) => warnings.push(m) });
  const r = await amg.generate(grayImage(96, 96));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /single mask/);
  // and the result says so (the proposer turns it into a note for NAME.json and the run summary)
  assert.equal(r.masksPerPrompt, 1);
  assert.equal(r.segments.length, 9);
  checkDisc(r.segments[0], 16, 16, 7.5, 96, 96, 'first');
  await amg.generate(grayImage(96, 96));
  assert.equal(warnings.length, 1, 'warned once per generator');
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('maxSide: AMG on the shrunk image, masks back at full size (nearest)', async () => {
  const { encoder, decoder } = await load({ batched: true });
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, maxSide: 96 }).generate(grayImage(192, 192));
  assert.equal(r.segments.length, 9);
  // pixel (x, y) of the 192 mask samples the 96 mask at (x >> 1, y >> 1): area x4, box [2(c-7), 2(c+7)+1]
  const small = discMask(16, 16, 7.5, 96, 96);
  const s = r.segments[0];
  assert.equal(s.mask.width, 192);
  for (let y = 0; y < 192; y++) for (let x = 0; x < 192; x++) assert.equal(s.mask.data[y * 192 + x], small[(y >> 1) * 96 + (x >> 1)]);
  assert.equal(s.area, 4 * discArea(16, 16, 7.5, 96, 96));
  assert.deepEqual(s.bbox, [18, 18, 29, 29]);
  assert.deepEqual(s.pointCoords, [[32, 32]]);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test("decoder prompts follow SAM's contract: one positive point, the padding point (0,0) label -1, has_mask_input 0", async () => {
  // The strict fake decoder gives predicted IoU 0 to any prompt whose last point is not (0, 0) with label -1
  // or whose has_mask_input is not 0 (testing/sam/fake-sam.ts): a dropped or mislabelled padding point, or
  // a mask input flagged, leaves no segment at all. With the contract kept: the nine r 7.5 discs.
  for (const batched of [false, true]) {
    const { encoder, decoder } = await load({ strictPrompts: true, batched });
    const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3 }).generate(grayImage(96, 96));
    assert.equal(r.segments.length, 9, `batched ${batched}`);
    checkDisc(r.segments[4], 48, 48, 7.5, 96, 96, 'centre');
    await Promise.all([encoder.dispose(), decoder.dispose()]);
  }
});

test('pred_iou_thresh keeps IoU > thresh, not >= (SAM: iou_preds > pred_iou_thresh)', async () => {
  // Output 1 (r 6.2) predicts exactly 0.75 (exact in float32 and double); pred_iou_thresh 0.75 drops it, so
  // only output 2 (r 7.5, 0.95) passes for each of the 9 points; output 3 (0.5) fails either way.
  const { encoder, decoder } = await load({ batched: true, ious: [0.99, 0.75, 0.95, 0.5] });
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, predIouThresh: 0.75 }).generate(grayImage(96, 96));
  assert.equal(r.timings.afterFilters, 9);
  const below = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, predIouThresh: 0.74 }).generate(grayImage(96, 96));
  assert.equal(below.timings.afterFilters, 18);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('non-square image: grid points scaled by width (x) and height (y)', async () => {
  // 120x71, 2x2 grid at (0.25, 0.75) of each side: x in {30, 90}, y in {17.75, 53.25}, x fastest. SAM's
  // 1024 frame is 1024 x int(71 * 1024/120 + 0.5) = 606 (int() would give 605). pred_iou_thresh 0.92 keeps
  // only output 2 (r 7.5, IoU 0.95). A width/height swap would put the first disc at (17.75, 30).
  const { encoder, decoder } = await load({ batched: true });
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 2, predIouThresh: 0.92 }).generate(grayImage(120, 71));
  const centres = [[30, 17.75], [90, 17.75], [30, 53.25], [90, 53.25]];
  assert.equal(r.segments.length, 4);
  r.segments.forEach((s, i) => checkDisc(s, centres[i][0], centres[i][1], 7.5, 120, 71, `segment ${i}`));
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('maxSide shrinks with int(x * scale), as the original before SAM', async () => {
  // 201x100 at maxSide 192: scale 192/201, 192 x int(95.52) = 95 (rounding would give 96). One grid point at
  // the centre of the shrunk image, (96, 47.5). pred_iou_thresh 0.92 keeps only the r 7.5 disc; around a
  // half-integer centre some lattice points lie within 0.1 px of its edge (d^2 = 55.25, 56.25), so its
  // stability is below SAM's 0.95: the original's 0.8 is used.
  // Back at 201x100, pixel (x, y) samples the shrunk mask at (floor((x + 0.5) * 192/201), floor((y + 0.5) * 95/100)).
  const { encoder, decoder } = await load({ batched: true });
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 1, maxSide: 192, predIouThresh: 0.92, stabilityScoreThresh: 0.8 }).generate(grayImage(201, 100));
  assert.equal(r.segments.length, 1);
  const small = discMask(96, 47.5, 7.5, 192, 95);
  const want = new Uint8Array(201 * 100);
  for (let y = 0; y < 100; y++) for (let x = 0; x < 201; x++) want[y * 201 + x] = small[Math.floor(((y + 0.5) * 95) / 100) * 192 + Math.floor(((x + 0.5) * 192) / 201)];
  assert.deepEqual(r.segments[0].mask.data, want);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('min_mask_region_area on clean discs changes nothing', async () => {
  const { encoder, decoder } = await load({ batched: true });
  const base = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3 }).generate(grayImage(96, 96));
  const r = await new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 3, minMaskRegionArea: 50 }).generate(grayImage(96, 96));
  assert.deepEqual(r.segments.map((s) => [s.bbox, s.area]), base.segments.map((s) => [s.bbox, s.area]));
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('progress hook counts prompts over all crops; bad images are BAD_INPUT', async () => {
  const { encoder, decoder } = await load({ batched: true });
  const seen: [number, number][] = [];
  // 4x4 grid in layer 0 and 2x2 (factor 2) in each of the 4 layer-1 crops: 16 + 4*4 = 32 prompts, 8 per call
  const amg = new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide: 4, cropNLayers: 1, cropNPointsDownscaleFactor: 2, pointsPerBatch: 8 }, { onProgress: (d, t) => seen.push([d, t]) });
  await amg.generate(grayImage(64, 64));
  assert.deepEqual(seen, [[8, 32], [16, 32], [20, 32], [24, 32], [28, 32], [32, 32]]);
  await assert.rejects(amg.generate({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT');
  await assert.rejects(amg.generate({ data: new Uint8Array(0), width: 0, height: 0, channels: 3 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT');
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('bad options are BAD_OPTION', async () => {
  const { encoder, decoder } = await load();
  const bad = (o: object) => assert.throws(() => new AutomaticMaskGenerator(encoder, decoder, o), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  bad({ pointsPerSide: 0 });
  bad({ pointsPerBatch: 0 });
  bad({ predIouThresh: 1.5 });
  bad({ cropNLayers: -1 });
  bad({ stabilityScoreOffset: -1 });
  bad({ pointsPerSide: 4, pointGrids: [Float64Array.from([0.5, 0.5])] });
  bad({ pointsPerSide: null, pointGrids: [Float64Array.from([0.5, 0.5])], cropNLayers: 1 });
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('SegmentProposer over the AMG (seed preset by default)', async () => {
  const p = await fakePair(tmp.dir, { batched: true });
  const seed = await createSamProposer({ encoder: p.encoderPath, decoder: p.decoderPath });
  assert.equal(seed.name, 'sam-amg');
  const o = seed.generator.options;
  assert.deepEqual([o.predIouThresh, o.stabilityScoreThresh, o.cropNLayers, o.cropNPointsDownscaleFactor, o.maxSide, o.pointsPerSide], [0.6, 0.8, 1, 1, 1920, 32]);
  await seed.dispose?.();
  // overrides on top of the preset: back to SAM's thresholds, 3x3 grid, no crops -> the nine r 7.5 discs
  const proposer = await createSamProposer({
    encoder: p.encoderPath,
    decoder: p.decoderPath,
    amg: { pointsPerSide: 3, cropNLayers: 0, predIouThresh: 0.88, stabilityScoreThresh: 0.95 },
  });
  const masks = await proposer.propose(grayImage(96, 96));
  assert.equal(masks.length, 9);
  assert.deepEqual(masks[0].data, discMask(16, 16, 7.5, 96, 96));
  assert.deepEqual(masks[8].data, discMask(80, 80, 7.5, 96, 96));
  assert.ok(proposer.lastTimings && proposer.lastTimings.decoderCalls === 1);
  await proposer.dispose?.();
  await assert.rejects(createSamProposer({ encoder: p.encoderPath }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
});
