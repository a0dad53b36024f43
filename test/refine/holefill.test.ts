// holeFill: enclosed holes smaller than a fraction of the character's area are filled after the vote.
// Hand-made case (expected areas worked out by hand below), with the vote's morphology switched off so the
// fused mask is exactly the kept segment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVoteRefiner } from '../../src/refine/vote-refiner.js';
import { maskArea } from '../../src/mask/ops.js';
import type { Mask } from '../../src/mask/types.js';
import type { SegmentProposer } from '../../src/refine/types.js';
import type { Instance } from '../../src/pipeline/types.js';

const W = 40;
const H = 40;
const inSquare = (x: number, y: number) => x >= 5 && x < 35 && y >= 5 && y < 35; // 30 x 30 = 900 px
const inHole = (x: number, y: number) => x >= 18 && x < 21 && y >= 18 && y < 21; // 3 x 3 = 9 px

function maskOf(f: (x: number, y: number) => boolean): Mask {
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = f(x, y) ? 1 : 0;
  return { data, width: W, height: H };
}

// Two segments: the square without the hole (all inside YOLO: kept), and the outside plus the hole
// (9 of its 709 px inside YOLO: fraction 0.013 < 0.3, dropped). Every pixel is claimed by a segment.
const proposer: SegmentProposer = {
  name: 'hand',
  async propose() {
    return [maskOf((x, y) => inSquare(x, y) && !inHole(x, y)), maskOf((x, y) => !inSquare(x, y) || inHole(x, y))];
  },
};
const image = { data: new Uint8Array(W * H * 3), width: W, height: H, channels: 3 as const };
const instance: Instance = { classId: 0, className: 'character', score: 0.9, box: [5, 5, 35, 35], mask: maskOf(inSquare) };
const noMorph = { yoloErode: 0, yoloDilate: 0, finalErode: 0, finalDilate: 0 };

test('holeFill 0 keeps the 9 px hole: area 900 - 9 = 891', async () => {
  const r = createVoteRefiner({ proposer, ...noMorph, holeFill: 0 });
  const [out] = await r.refine(image, [instance]);
  assert.equal(maskArea(out.mask), 891);
  assert.equal(out.mask.data[19 * W + 19], 0);
});

test('holeFill 0.02 fills it (0.02 x 891 = 17.8 > 9): area 900; 0.005 does not (4.5 < 9)', async () => {
  const [filled] = await createVoteRefiner({ proposer, ...noMorph, holeFill: 0.02 }).refine(image, [instance]);
  assert.equal(maskArea(filled.mask), 900);
  const [kept] = await createVoteRefiner({ proposer, ...noMorph, holeFill: 0.005 }).refine(image, [instance]);
  assert.equal(maskArea(kept.mask), 891);
});

test('holeFill outside [0, 1] is a clear option error', () => {
  assert.throws(() => createVoteRefiner({ proposer, holeFill: 2 }), /holeFill must be a fraction in \[0, 1\]/);
});
