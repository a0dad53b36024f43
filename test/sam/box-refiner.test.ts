// The `box` refiner (src/refine/sam-box.ts) with the fake SAM models: prompts sent to the decoder, output
// choice, batching, fallbacks. The fake decoder draws discs around the FIRST prompt point (radii
// [5.5, 6.2, 7.5, 30], predicted IoU [0.99, 0.9, 0.95, 0.8]); expected results are worked out by hand below.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSamBoxRefiner, sampleInteriorPoints } from '../../src/refine/sam-box.js';
import { SamDecoder, type SamPrompts } from '../../src/models/sam/decoder.js';
import { SamEncoder } from '../../src/models/sam/encoder.js';
import type { Instance } from '../../src/pipeline/types.js';
import type { Mask, Box } from '../../src/mask/types.js';
import { AnimesegError } from '../../src/errors.js';
import { discArea, discMask, fakePair, grayImage, tempDir } from './helpers.js';

const tmp = await tempDir();
after(() => tmp.cleanup());

function squareMask(x0: number, y0: number, x1: number, y1: number, w: number, h: number): Mask {
  const data = new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * w + x] = 1;
  return { data, width: w, height: h };
}

function instance(mask: Mask, box: Box): Instance {
  return { classId: 0, className: 'person', score: 0.9, box, mask, maskSource: 'yolo' };
}

test('interior points: distance-transform maximum first, then spread out, all inside', () => {
  // 15x15 square [33..47] x [43..57] in 96x96: the distance to the background (8 px at the centre, less
  // everywhere else) peaks only at its centre (40, 50)
  const m = squareMask(33, 43, 47, 57, 96, 96);
  const pts = sampleInteriorPoints(m, [33, 43, 48, 58], 3);
  assert.deepEqual(pts[0], [40, 50]);
  assert.equal(pts.length, 3);
  for (const [x, y] of pts) assert.equal(m.data[y * 96 + x], 1);
  // the later points are away from the first
  for (const [x, y] of pts.slice(1)) assert.ok(Math.hypot(x - 40, y - 50) >= 3);
  // deterministic
  assert.deepEqual(sampleInteriorPoints(m, [33, 43, 48, 58], 3), pts);
  // empty mask or box outside: no points
  assert.deepEqual(sampleInteriorPoints(squareMask(0, 0, -1, -1, 96, 96), [0, 0, 96, 96], 3), []);
  assert.deepEqual(sampleInteriorPoints(m, [100, 100, 120, 120], 3), []);
});

test('box refiner: square YOLO mask becomes the best-scoring SAM disc (hand-derived)', async () => {
  const p = await fakePair(tmp.dir);
  const encoder = await SamEncoder.load(p.encoderPath);
  const decoder = await SamDecoder.load(p.decoderPath);
  const seen: SamPrompts[] = [];
  const orig = decoder.predict.bind(decoder);
  decoder.predict = (emb, pr) => {
    seen.push({ ...pr, coords: pr.coords.slice(), labels: pr.labels.slice() });
    return orig(emb, pr);
  };
  const refiner = await createSamBoxRefiner({ encoder, decoder, points: 3 });
  const yolo = squareMask(33, 43, 47, 57, 96, 96); // 225 px, first point (40, 50)
  const box: Box = [33, 43, 48, 58];
  const [out] = await refiner.refine(grayImage(96, 96), [instance(yolo, box)]);
  // Candidates = discs around (40, 50). Score = 0.5 * predicted IoU + 0.5 * IoU with the square; each disc
  // up to r 7.5 lies inside the square (|dx|, |dy| <= 7), so IoU = area / 225:
  const a = [5.5, 6.2, 7.5].map((r) => discArea(40, 50, r, 96, 96));
  const big = discArea(40, 50, 30, 96, 96); // contains the square
  const scores = [0.5 * 0.99 + (0.5 * a[0]) / 225, 0.5 * 0.9 + (0.5 * a[1]) / 225, 0.5 * 0.95 + (0.5 * a[2]) / 225, 0.5 * 0.8 + (0.5 * 225) / big];
  assert.equal(scores.indexOf(Math.max(...scores)), 2, `hand scores ${scores}`);
  assert.deepEqual(out.mask.data, discMask(40, 50, 7.5, 96, 96));
  assert.equal(out.maskSource, 'box');
  assert.deepEqual(out.box, box);
  // one decoder call: 3 points + 2 box corners, labels 1,1,1,2,3, coordinates scaled by 1024/96
  assert.equal(seen.length, 1);
  assert.equal(seen[0].points, 5);
  assert.deepEqual(Array.from(seen[0].labels), [1, 1, 1, 2, 3]);
  const s = 1024 / 96;
  assert.deepEqual(Array.from(seen[0].coords.slice(0, 2)), [Math.fround(40 * s), Math.fround(50 * s)]);
  assert.deepEqual(Array.from(seen[0].coords.slice(6)), [33, 43, 48, 58].map((v) => Math.fround(v * s)));
  // yoloWeight 0: SAM's predicted IoU alone picks output 0 (0.99)
  const r0 = await createSamBoxRefiner({ encoder, decoder, points: 1, yoloWeight: 0 });
  const [o0] = await r0.refine(grayImage(96, 96), [instance(yolo, box)]);
  assert.deepEqual(o0.mask.data, discMask(40, 50, 5.5, 96, 96));
  assert.equal(encoder.runs, 1, 'one encoder run for the image (cached across calls)');
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('box refiner: instances batched on a batch export; order kept; empty mask -> box-only prompt', async () => {
  const p = await fakePair(tmp.dir, { batched: true });
  const encoder = await SamEncoder.load(p.encoderPath);
  const decoder = await SamDecoder.load(p.decoderPath);
  const refiner = await createSamBoxRefiner({ encoder, decoder, points: 2 });
  const a = squareMask(10, 10, 24, 24, 96, 96); // centre (17, 17)
  const b = squareMask(60, 40, 74, 54, 96, 96); // centre (67, 47)
  const empty = squareMask(0, 0, -1, -1, 96, 96);
  const res = await refiner.refine(grayImage(96, 96), [instance(a, [10, 10, 25, 25]), instance(b, [60, 40, 75, 55]), instance(empty, [80, 80, 90, 90])]);
  assert.equal(res.length, 3);
  assert.deepEqual(res[0].mask.data, discMask(17, 17, 7.5, 96, 96));
  assert.deepEqual(res[1].mask.data, discMask(67, 47, 7.5, 96, 96));
  // no interior point: prompt = the box only, so the fake's "first point" is the box corner (80, 80)
  assert.equal(res[2].maskSource, 'box');
  assert.equal(res[2].mask.data[80 * 96 + 80], 1);
  // two decoder calls: a and b share one (2 points + 2 corners each), the box-only prompt has its own
  assert.equal(decoder.runs, 2);
  const t = refiner.lastTimings!;
  assert.equal(t.instances, 3);
  assert.ok(t.decoder >= 0 && t.encoder >= 0);
  await Promise.all([encoder.dispose(), decoder.dispose()]);
});

test('box refiner: a SAM answer that barely overlaps the YOLO mask keeps the YOLO mask', async () => {
  const p = await fakePair(tmp.dir);
  const refiner = await createSamBoxRefiner({ encoderPath: p.encoderPath, decoderPath: p.decoderPath, points: 1 });
  // 121x121 square [20..140] in 160x160, centre (80, 80) = the first point. Every fake disc lies inside the
  // square, so IoU = disc area / 14641; even the r 30 disc (~2800 px) gives < 0.25 = the default minYoloIou.
  const W = 160;
  const yolo = squareMask(20, 20, 140, 140, W, W);
  const radii = [5.5, 6.2, 7.5, 30];
  const ious = [0.99, 0.9, 0.95, 0.8];
  const overlap = radii.map((r) => discArea(80, 80, r, W, W) / (121 * 121));
  assert.ok(Math.max(...overlap) < 0.25, `hand IoUs ${overlap}`);
  const inst = instance(yolo, [20, 20, 141, 141]);
  const [out] = await refiner.refine(grayImage(W, W), [inst]);
  assert.equal(out, inst);
  // with the guard off, the best 0.5 * predicted IoU + 0.5 * IoU disc replaces it
  const r0 = await createSamBoxRefiner({ encoderPath: p.encoderPath, decoderPath: p.decoderPath, points: 1, minYoloIou: 0 });
  const [o0] = await r0.refine(grayImage(W, W), [inst]);
  const scores = ious.map((v, m) => 0.5 * v + 0.5 * overlap[m]);
  const best = scores.indexOf(Math.max(...scores));
  assert.equal(o0.maskSource, 'box');
  assert.deepEqual(o0.mask.data, discMask(80, 80, radii[best], W, W));
  await Promise.all([refiner.dispose?.(), r0.dispose?.()]);
});

test('box refiner: no instances, size mismatch, bad options', async () => {
  const p = await fakePair(tmp.dir);
  const refiner = await createSamBoxRefiner({ encoderPath: p.encoderPath, decoderPath: p.decoderPath });
  assert.deepEqual(await refiner.refine(grayImage(32, 32), []), []);
  await assert.rejects(
    refiner.refine(grayImage(32, 32), [instance(squareMask(1, 1, 5, 5, 16, 16), [1, 1, 6, 6])]),
    (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT',
  );
  await refiner.dispose?.();
  await assert.rejects(createSamBoxRefiner({ encoderPath: p.encoderPath, decoderPath: p.decoderPath, points: -1 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  await assert.rejects(createSamBoxRefiner({ encoderPath: p.encoderPath, decoderPath: p.decoderPath, yoloWeight: 2 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
});
