/**
 * Vote fusion (../shared/docs/algorithms.md §5) on small hand-made masks. Every expected grid below was worked
 * out by hand from the rule, step by step in the comments; none is copied from the code's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numpySumOfRatios, voteFusion, voteFusionPerInstance, resolveVoteOptions, yoloEvidence } from '../../src/refine/vote.js';
import { createVoteRefiner, workingSize, yoloMaskSize } from '../../src/refine/vote-refiner.js';
import type { SegmentProposer } from '../../src/refine/types.js';
import type { RawImage } from '../../src/image/types.js';
import type { Instance } from '../../src/pipeline/types.js';
import { AnimesegError } from '../../src/errors.js';
import { grid, rect, show } from './support/grid.js';

const NO_MORPH = { yoloErode: 0, yoloDilate: 0, finalErode: 0, finalDilate: 0 };

test('voting rule: keep segments more than threshold inside YOLO, add unclaimed YOLO pixels', () => {
  const yolo = grid([
    '0 0 1 1 1 0',
    '0 0 1 1 1 0',
    '0 0 1 1 1 0',
    '0 0 1 0 0 0',
  ]);
  // A = cols 0-1 (8 px, 0 inside → 0, drop); B = cols 2-3 rows 0-2 (6 px, all inside → 1, keep);
  // C = cols 4-5 (8 px, col 4 rows 0-2 inside → 3/8 = 0.375 > 0.3, keep). Row 3 cols 2-3 belong to no
  // segment, and yolo has (3,2) there → it stays.
  const A = rect(6, 4, 0, 0, 1, 3);
  const B = rect(6, 4, 2, 0, 3, 2);
  const C = rect(6, 4, 4, 0, 5, 3);
  const out = voteFusion(yolo, [A, B, C], { ...NO_MORPH });
  assert.deepEqual(show(out), ['0 0 1 1 1 1', '0 0 1 1 1 1', '0 0 1 1 1 1', '0 0 1 0 1 1']);
  // threshold 0.4: C (0.375) is dropped; a score equal to the threshold is dropped too (strict '>').
  const expectNoC = ['0 0 1 1 0 0', '0 0 1 1 0 0', '0 0 1 1 0 0', '0 0 1 0 0 0'];
  assert.deepEqual(show(voteFusion(yolo, [A, B, C], { ...NO_MORPH, threshold: 0.4 })), expectNoC);
  assert.deepEqual(show(voteFusion(yolo, [A, B, C], { ...NO_MORPH, threshold: 0.375 })), expectNoC);
});

test('default morphology: YOLO eroded 3 / dilated 2, final erode 3 / dilate 3 (hand-worked 12x12)', () => {
  // YOLO = 8x8 square rows 2-9, cols 2-9. Erode x3 (3x3) → rows 5-6 cols 5-6; dilate x2 → rows 3-8 cols 3-8.
  const yolo = rect(12, 12, 2, 2, 9, 9);
  // S1 = rows 3-9 cols 2-9 (56 px) plus a 1-px spur at row 5 cols 10-11 → 58 px; 36 of them in the processed
  // YOLO (rows 3-8 x cols 3-8) → 0.62 → keep. S2 = row 2 cols 2-9: inside the raw YOLO but not the processed
  // one → 0 → drop. Every processed-YOLO pixel is covered by S1, so no unclaimed pixels are added.
  const S1 = rect(12, 12, 2, 3, 9, 9);
  S1.data[5 * 12 + 10] = 1;
  S1.data[5 * 12 + 11] = 1;
  const S2 = rect(12, 12, 2, 2, 9, 2);
  // Final opening of S1: erode x3 → rows 4-8 cols 3-8 → rows 5-7 cols 4-7 → row 6 cols 5-6 (the spur dies
  // in the first step); dilate x3 → rows 3-9 cols 2-9.
  const out = voteFusion(yolo, [S1, S2]);
  assert.deepEqual(show(out), show(rect(12, 12, 2, 3, 9, 9)));
});

test('segments at another size: YOLO resized bilinearly (float, truncated) to them; the result stays at their size', () => {
  // YOLO 4x4 = cols 0-1. cv2 bilinear to 8x8: dst x samples src fx = (x + 0.5) / 2 - 0.5: x = 3 → 1.25 →
  // 1 * 0.75 + 0 * 0.25 = 0.75 → truncated to 0 (nearest would give 1); x = 2 → 0.75 → 1 * 0.25 + 1 * 0.75 = 1.
  // So the evidence is cols 0-2. S1 = cols 0-4 (40 px, 24 inside = 0.6, keep), S2 = cols 5-7 (0, drop).
  // The result stays at the segments' 8x8 (the original returns it there): cols 0-4.
  const yolo = rect(4, 4, 0, 0, 1, 3);
  const out = voteFusion(yolo, [rect(8, 8, 0, 0, 4, 7), rect(8, 8, 5, 0, 7, 7)], NO_MORPH);
  assert.deepEqual(show(out), show(rect(8, 8, 0, 0, 4, 7)));
  assert.deepEqual(show({ data: yoloEvidence([yolo], 8, 8, resolveVoteOptions(NO_MORPH)), width: 8, height: 8 }), show(rect(8, 8, 0, 0, 2, 7)));
});

test('per-instance: a kept segment goes to the instance covering more of it; ties to the earlier one', () => {
  // 8x3. Instance A = cols 0-3, B = cols 3-7 (they share col 3). Segments by column: [0 0 1 1 1 2 2 2].
  // 'corrected': seg 0 (cols 0-1): A 6, B 0 → A. Seg 1 (cols 2-4): A has cols 2-3 = 6, B cols 3-4 = 6 →
  // tie → A. Seg 2 (cols 5-7): B. So A = cols 0-4, B = cols 5-7.
  const A = rect(8, 3, 0, 0, 3, 2);
  const B = rect(8, 3, 3, 0, 7, 2);
  const row = [0, 0, 1, 1, 1, 2, 2, 2];
  const labels = Int32Array.from([...row, ...row, ...row]);
  const lm = { labels, count: 3, width: 8, height: 3 };
  const corrected = { ...NO_MORPH, mode: 'corrected' } as const;
  const [a, b] = voteFusionPerInstance([A, B], lm, corrected);
  assert.deepEqual(show(a), show(rect(8, 3, 0, 0, 4, 2)));
  assert.deepEqual(show(b), show(rect(8, 3, 5, 0, 7, 2)));
  // Same segments as masks give the same answer.
  const masks = [rect(8, 3, 0, 0, 1, 2), rect(8, 3, 2, 0, 4, 2), rect(8, 3, 5, 0, 7, 2)];
  const [a2, b2] = voteFusionPerInstance([A, B], masks, corrected);
  assert.deepEqual(show(a2), show(a));
  assert.deepEqual(show(b2), show(b));
  // With B listed first, the tie on seg 1 goes to B: B = cols 2-7, A = cols 0-1.
  const [b3, a3] = voteFusionPerInstance([B, A], lm, corrected);
  assert.deepEqual(show(b3), show(rect(8, 3, 2, 0, 7, 2)));
  assert.deepEqual(show(a3), show(rect(8, 3, 0, 0, 1, 2)));
  // 'original': the shared col 3 has YOLO value 2; the original adds it back although seg 1 covers it
  // (bitwise_not(1) = 254, 254 & 2 = 2), and an added-back pixel belongs to every instance holding it, so B
  // also gets col 3: B = col 3 + cols 5-7. A is unchanged.
  const [a4, b4] = voteFusionPerInstance([A, B], masks, NO_MORPH);
  assert.deepEqual(show(a4), show(a));
  assert.deepEqual(show(b4), ['0 0 0 1 0 1 1 1', '0 0 0 1 0 1 1 1', '0 0 0 1 0 1 1 1']);
});

test('YOLO morphology runs at the YOLO mask size, before the resize to the segments (item 1)', () => {
  // YOLO 12x12 = square rows/cols 2-9. Default erode 3 → 5-6, dilate 2 → 3-8, at 12x12. cv2 bilinear to
  // 24x24 (fx = d/2 - 0.25): even d = 2k reads src k-1 (0.25) and k (0.75), odd d = 2k+1 reads k (0.75) and
  // k+1 (0.25); the value is exactly 1 only when both taps are in 3-8, i.e. d in 7-16, and every partial
  // value (0.25, 0.75) truncates to 0: a 10x10 square (100 px). Morphology after the resize (at 24x24, the
  // old order) would give rows/cols 5-18 (196 px). One 1-px segment at (0,0) is dropped, so the output is
  // the evidence (added back, uncovered) with no final opening.
  const yolo = rect(12, 12, 2, 2, 9, 9);
  const dot = rect(24, 24, 0, 0, 0, 0);
  const out = voteFusion(yolo, [dot], { finalErode: 0, finalDilate: 0 });
  assert.deepEqual(show(out), show(rect(24, 24, 7, 7, 16, 16)));
});

test('touching instances: morphology, keep decision and add-back on the union, then split by owner (item 2)', () => {
  // 12x8, A = cols 0-5, B = cols 6-11, full height: they touch. YOLO erode 1, no dilation, no final opening.
  // On the union (the whole image; the image border never erodes) nothing is eroded, so the segment on the
  // seam, S = cols 5-6 (16 px), is fully inside → kept; A and B each cover 8 of it → tie → A (earlier).
  // Eroding each instance on its own would open a gap at cols 5-6 and drop S (score 0), as the old form did.
  const A = rect(12, 8, 0, 0, 5, 7);
  const B = rect(12, 8, 6, 0, 11, 7);
  const segs = [rect(12, 8, 0, 0, 4, 7), rect(12, 8, 5, 0, 6, 7), rect(12, 8, 7, 0, 11, 7)];
  const opts = { yoloErode: 1, yoloDilate: 0, finalErode: 0, finalDilate: 0 };
  for (const mode of ['original', 'corrected'] as const) {
    const [a, b] = voteFusionPerInstance([A, B], segs, { ...opts, mode });
    assert.deepEqual(show(a), show(rect(12, 8, 0, 0, 6, 7)), mode);
    assert.deepEqual(show(b), show(rect(12, 8, 7, 0, 11, 7)), mode);
  }
});

test("exact ties at the threshold fall as the original's float64 sum does (item 5)", () => {
  // np.sum(yolo * seg / seg.sum()) on an 8x8 image, segment = the first A pixels in row-major order, YOLO =
  // the first k of them. Values computed with numpy 2.4.6 (same pairwise summation as the original's 1.24):
  //   A 10, k 3  → 0.30000000000000004 (> 0.3: kept although 3/10 = 0.3)
  //   A 34, k 17 → 0.49999999999999994 (< 0.5: dropped)
  //   ten 0.1 (np.sum(np.full(10, 0.1))) → 1.0, where a plain running sum gives 0.9999999999999999.
  const first = (n: number) => {
    const m = new Uint8Array(64);
    m.fill(1, 0, n);
    return m;
  };
  assert.equal(numpySumOfRatios(first(3), first(10), 10, 0, 2), 0.30000000000000004);
  assert.equal(numpySumOfRatios(first(17), first(34), 34, 0, 16), 0.49999999999999994);
  assert.equal(numpySumOfRatios(new Uint8Array(10).fill(1), new Uint8Array(10).fill(1), 10, 0, 9), 1);
  const img = (m: Uint8Array) => ({ data: m, width: 8, height: 8 });
  // Through the fusion (no morphology): the 3/10 segment is kept at 0.3 → the output is the segment; the
  // 17/34 one is dropped at 0.5 → nothing (its YOLO pixels are covered, so none is added back).
  assert.deepEqual(voteFusion(img(first(3)), [img(first(10))], { ...NO_MORPH, threshold: 0.3 }).data, first(10));
  assert.deepEqual(voteFusion(img(first(17)), [img(first(34))], { ...NO_MORPH, threshold: 0.5 }).data, new Uint8Array(64));
  // 'corrected' compares exact ratios: 3/10 is not > 0.3.
  assert.deepEqual(voteFusion(img(first(3)), [img(first(10))], { ...NO_MORPH, threshold: 0.3, mode: 'corrected' }).data, new Uint8Array(64));
});

test("'original' counts a pixel two instances share twice; 'corrected' once (item 6)", () => {
  // Two identical instances on cols 0-1 of a 10x1 image: YOLO value 2 there. Segment = all 10 px.
  // original: (2 + 2) / 10 = 0.4 > 0.3 → kept (whole row); corrected: 2 / 10 = 0.2 → dropped (nothing).
  const yolo = grid(['1 1 0 0 0 0 0 0 0 0']);
  const seg = grid(['1 1 1 1 1 1 1 1 1 1']);
  assert.deepEqual(show(voteFusion([yolo, yolo], [seg], NO_MORPH)), ['1 1 1 1 1 1 1 1 1 1']);
  assert.deepEqual(show(voteFusion([yolo, yolo], [seg], { ...NO_MORPH, mode: 'corrected' })), ['0 0 0 0 0 0 0 0 0 0']);
  // Added back under a dropped segment: threshold 0.5 drops it in both modes; the original still adds the
  // value-2 pixels back (254 & 2 = 2), the corrected form does not (they are covered).
  assert.deepEqual(show(voteFusion([yolo, yolo], [seg], { ...NO_MORPH, threshold: 0.5 })), ['1 1 0 0 0 0 0 0 0 0']);
  assert.deepEqual(show(voteFusion([yolo, yolo], [seg], { ...NO_MORPH, threshold: 0.5, mode: 'corrected' })), ['0 0 0 0 0 0 0 0 0 0']);
});

test('label map: label -1 means no segment, so YOLO keeps those pixels', () => {
  // 4x1: yolo = [1 1 0 0]; labels [-1, 0, 0, 0]: label 0 has 1/3 inside = 0.333 > 0.3 → keep; pixel 0 is
  // unclaimed and in YOLO → set. Result [1 1 1 1]. With threshold 0.34 label 0 is dropped → [1 0 0 0].
  const yolo = grid(['1 1 0 0']);
  const lm = { labels: Int32Array.from([-1, 0, 0, 0]), count: 1, width: 4, height: 1 };
  assert.deepEqual(show(voteFusion(yolo, lm, NO_MORPH)), ['1 1 1 1']);
  assert.deepEqual(show(voteFusion(yolo, lm, { ...NO_MORPH, threshold: 0.34 })), ['1 0 0 0']);
});

test('union form equals the union of several YOLO masks', () => {
  // Two YOLO masks [1 0 0 0] and [0 0 0 1]; segments [0 0 1 1]: label 0 = 1/2 inside → keep, label 1 = 1/2 → keep.
  const lm = { labels: Int32Array.from([0, 0, 1, 1]), count: 2, width: 4, height: 1 };
  assert.deepEqual(show(voteFusion([grid(['1000']), grid(['0001'])], lm, NO_MORPH)), ['1 1 1 1']);
});

test('bad options and mismatched sizes are reported as AnimesegError', () => {
  assert.throws(() => resolveVoteOptions({ threshold: 1.5 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  assert.throws(() => resolveVoteOptions({ yoloErode: -1 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  assert.throws(
    () => voteFusionPerInstance([rect(4, 4, 0, 0, 1, 1), rect(5, 4, 0, 0, 1, 1)], [], NO_MORPH),
    (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT',
  );
});

function instance(mask: ReturnType<typeof rect>): Instance {
  return { classId: 0, className: 'person', score: 0.9, box: [0, 0, mask.width, mask.height], mask, maskSource: 'yolo' };
}

test('vote refiner: resizes to workingMaxSide before proposing and returns full-size masks', async () => {
  // 40x20 image, workingMaxSide 20 → working 20x10 (seed rounding int(x*0.5+0.5)).
  assert.deepEqual(workingSize(40, 20, 20), [20, 10]);
  assert.deepEqual(workingSize(1000, 600, 1920), [1000, 600]);
  const seen: [number, number][] = [];
  // Proposer: left 12 columns of the working image as one segment, the rest as another.
  const proposer: SegmentProposer = {
    name: 'fake',
    async propose(img: RawImage) {
      seen.push([img.width, img.height]);
      return [rect(img.width, img.height, 0, 0, 11, img.height - 1), rect(img.width, img.height, 12, 0, img.width - 1, img.height - 1)];
    },
  };
  const image: RawImage = { data: new Uint8Array(40 * 20 * 3), width: 40, height: 20, channels: 3 };
  // YOLO = cols 0-19 of 40 → working cols 0-9 (10 of the 12-col segment → 0.83, keep; other 0).
  // Result at working size: cols 0-11 → at 40 wide with src x = floor(x/2): cols 0-23.
  const refiner = createVoteRefiner({ proposer, ...NO_MORPH, workingMaxSide: 20 });
  const [out] = await refiner.refine(image, [instance(rect(40, 20, 0, 0, 19, 19))]);
  assert.deepEqual(seen, [[20, 10]]);
  assert.equal(out.maskSource, 'vote');
  assert.deepEqual(show(out.mask), show(rect(40, 20, 0, 0, 23, 19)));
  assert.deepEqual(await refiner.refine(image, []), []);
  await assert.rejects(refiner.refine(image, [instance(rect(10, 10, 0, 0, 1, 1))]), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT');
});

test('vote refiner: working size int(x * scale), where rounding would differ (item 3)', async () => {
  // 201x100 at workingMaxSide 192: scale 192/201, height 95.52 → int() 95 (rounding: 96); 2001x1000 at
  // 1920: 959.52 → 959 (rounding: 960), as the original's cv2.resize(image, (int(w*s), int(h*s))).
  assert.deepEqual(workingSize(201, 100, 192), [192, 95]);
  assert.deepEqual(workingSize(2001, 1000, 1920), [1920, 959]);
  const seen: [number, number][] = [];
  const proposer: SegmentProposer = {
    name: 'fake',
    async propose(img: RawImage) {
      seen.push([img.width, img.height]);
      return [rect(img.width, img.height, 0, 0, img.width - 1, img.height - 1)];
    },
  };
  const image: RawImage = { data: new Uint8Array(201 * 100 * 3), width: 201, height: 100, channels: 3 };
  await createVoteRefiner({ proposer, workingMaxSide: 192 }).refine(image, [instance(rect(201, 100, 50, 20, 150, 80))]);
  assert.deepEqual(seen, [[192, 95]]);
});

test('vote refiner: the fused mask goes back to the image bilinearly, as the original resizes it (item 4)', async () => {
  // Image 21x10 → working 20x9 (scale 20/21); yoloMaskSide 21 keeps the YOLO masks at the image size.
  // YOLO = cols 4-16 of 21. Evidence at 20 wide (cv2 float bilinear, fx = 1.05x + 0.025, truncated): x = 3
  // reads cols 3, 4 → 0.175 → 0; x = 4 reads 4, 5 → 1; x = 15 reads 15, 16 → 1; x = 16 reads 16 (0.175),
  // 17 → 0: cols 4-15. Segments: cols 0-3 and 16-19 (0 inside, dropped), cols 4-15 (all inside, kept);
  // every pixel is covered, so nothing is added back. Fused = working cols 4-15, all rows.
  // Back to 21 wide, cv2 bilinear on the 0/1 uint8 mask (fx = (x + 0.5) * 20/21 - 0.5): x = 4 → fx 3.79, 0.79
  // of col 4; x = 16 → fx 15.21, 0.79 of col 15; x = 3 and 17 read only unset columns. A weight of 0.79 gives
  // 1 in OpenCV's fixed point (11-bit weights, its SIMD vertical rounding; any fraction >= 0.75 does), so
  // cols 4-16. Nearest (src = floor(x * 20/21)) would give cols 5-16.
  const proposer: SegmentProposer = {
    name: 'fake',
    propose: async (img) => [rect(img.width, img.height, 0, 0, 3, img.height - 1), rect(img.width, img.height, 4, 0, 15, img.height - 1), rect(img.width, img.height, 16, 0, img.width - 1, img.height - 1)],
  };
  const image: RawImage = { data: new Uint8Array(21 * 10 * 3), width: 21, height: 10, channels: 3 };
  const [out] = await createVoteRefiner({ proposer, ...NO_MORPH, workingMaxSide: 20, yoloMaskSide: 21 }).refine(image, [instance(rect(21, 10, 4, 0, 16, 9))]);
  assert.deepEqual(show(out.mask), show(rect(21, 10, 4, 0, 16, 9)));
});

test('vote refiner: YOLO masks are brought to the YOLO mask size (640 long side, letterbox rounding)', () => {
  // r = min(640 / h, 640 / w); sides round-half-even(x * r) as Ultralytics' letterbox: 1000x750 → 640x480;
  // 333x200 → r = 1.9219, 640 x 384.38 → 384; 200x100 → 640x320 (enlarged like the letterbox does).
  assert.deepEqual(yoloMaskSize(1000, 750, 640), [640, 480]);
  assert.deepEqual(yoloMaskSize(333, 200, 640), [640, 384]);
  assert.deepEqual(yoloMaskSize(200, 100, 640), [640, 320]);
});

test('vote refiner: an instance the fusion erases keeps its YOLO mask', async () => {
  // YOLO is a 2x2 blob: default erosion (3x) removes it entirely, so no segment is kept and nothing is
  // unclaimed → empty fused mask → the refiner falls back to the YOLO mask.
  const proposer: SegmentProposer = { name: 'fake', propose: async (img) => [rect(img.width, img.height, 0, 0, img.width - 1, img.height - 1)] };
  const image: RawImage = { data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, channels: 3 };
  const yolo = rect(16, 16, 4, 4, 5, 5);
  const [out] = await createVoteRefiner({ proposer }).refine(image, [instance(yolo)]);
  assert.deepEqual(out.mask.data, yolo.data);
  assert.equal(out.maskSource, 'yolo');
});
