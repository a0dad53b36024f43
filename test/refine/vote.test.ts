/**
 * Vote fusion (../shared/docs/algorithms.md §5) on small hand-made masks. Every expected grid below was worked
 * out by hand from the rule, step by step in the comments; none is copied from the code's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { voteFusion, voteFusionPerInstance, resolveVoteOptions } from '../../src/refine/vote.js';
import { createVoteRefiner, workingSize } from '../../src/refine/vote-refiner.js';
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

test('segments at another size: YOLO resized (nearest) up, result resized back', () => {
  // YOLO 4x4 = cols 0-1 → nearest to 8x8 = cols 0-3. S1 = 8x8 cols 0-4 (40 px, 32 inside = 0.8, keep),
  // S2 = cols 5-7 (0, drop). Final 8x8 = cols 0-4. Back to 4x4 with src x = floor(2x): cols 0,2,4 are set,
  // col 6 is not → 4x4 cols 0-2.
  const yolo = rect(4, 4, 0, 0, 1, 3);
  const out = voteFusion(yolo, [rect(8, 8, 0, 0, 4, 7), rect(8, 8, 5, 0, 7, 7)], NO_MORPH);
  assert.deepEqual(show(out), show(rect(4, 4, 0, 0, 2, 3)));
});

test('per-instance: a kept segment goes to the instance covering more of it; ties to the earlier one', () => {
  // 8x3. Instance A = cols 0-3, B = cols 3-7 (they share col 3). Segments by column: [0 0 1 1 1 2 2 2].
  // Seg 0 (cols 0-1): A 6, B 0 → A. Seg 1 (cols 2-4): A has cols 2-3 = 6, B cols 3-4 = 6 → tie → A.
  // Seg 2 (cols 5-7): B. So A = cols 0-4, B = cols 5-7.
  const A = rect(8, 3, 0, 0, 3, 2);
  const B = rect(8, 3, 3, 0, 7, 2);
  const row = [0, 0, 1, 1, 1, 2, 2, 2];
  const labels = Int32Array.from([...row, ...row, ...row]);
  const lm = { labels, count: 3, width: 8, height: 3 };
  const [a, b] = voteFusionPerInstance([A, B], lm, NO_MORPH);
  assert.deepEqual(show(a), show(rect(8, 3, 0, 0, 4, 2)));
  assert.deepEqual(show(b), show(rect(8, 3, 5, 0, 7, 2)));
  // Same segments as masks give the same answer.
  const masks = [rect(8, 3, 0, 0, 1, 2), rect(8, 3, 2, 0, 4, 2), rect(8, 3, 5, 0, 7, 2)];
  const [a2, b2] = voteFusionPerInstance([A, B], masks, NO_MORPH);
  assert.deepEqual(show(a2), show(a));
  assert.deepEqual(show(b2), show(b));
  // With B listed first, the tie on seg 1 goes to B: B = cols 2-7, A = cols 0-1.
  const [b3, a3] = voteFusionPerInstance([B, A], lm, NO_MORPH);
  assert.deepEqual(show(b3), show(rect(8, 3, 2, 0, 7, 2)));
  assert.deepEqual(show(a3), show(rect(8, 3, 0, 0, 1, 2)));
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
