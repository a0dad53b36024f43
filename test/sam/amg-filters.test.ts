// Stability score, mask boxes, the crop-edge rule, NMS, crop RLE and small-region removal of the AMG.
// Expected values are hand computations on tiny inputs (written out in the comments), and for RLE the
// project's pycocotools-compatible encoder (src/mask/rle.ts, written and tested separately) on the padded mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBoxNearCropEdge, maskBoxInclusive, stabilityScore } from '../../src/models/sam/amg/filters.js';
import { nms } from '../../src/models/sam/amg/nms.js';
import { binaryStride, binaryToCropRle, cropMaskToRle, rleToMask, scoreAndBinarize } from '../../src/models/sam/amg/rle.js';
import { cleanSmallRegions, removeSmallRegionsSam } from '../../src/models/sam/amg/small-regions.js';
import { decodeRle, encodeRle } from '../../src/mask/rle.js';
import type { Box } from '../../src/mask/types.js';

test('stability score = count(logit > t+o) / count(logit > t-o)', () => {
  // > 1: {2, 1.5} = 2 (1.0 is not > 1); > -1: {2, 0.5, -0.5, 1.5, 1.0} = 5  -> 0.4
  assert.equal(stabilityScore(Float32Array.from([2, 0.5, -0.5, -2, 1.5, 1.0]), 0, 1), 0.4);
  // offset 0.4: > 0.4: {2, 0.5, 1.5, 1.0} = 4; > -0.4: same 4 -> 1
  assert.equal(stabilityScore(Float32Array.from([2, 0.5, -0.5, -2, 1.5, 1.0]), 0, 0.4), 1);
  // nothing above -1: 0/0 = NaN as in PyTorch, which no ">= threshold" keeps
  assert.ok(Number.isNaN(stabilityScore(Float32Array.from([-5, -1]), 0, 1)));
});

test('one pass: stability counts + binary mask (rows padded to 4 bytes); RLE scan gives the inclusive box', () => {
  // 4 wide x 3 high; foreground (> 0) at (1,0), (2,1), (1,2); > 1: 3 and 5; > -1: 3, 0, 0.1, 0, 5 (5 values)
  const logits = Float32Array.from([-1, 3, -2, 0, /**/ -1, -1, 0.1, -1, /**/ 0, 5, -3, -1]);
  const bin = new Uint8Array(12);
  assert.deepEqual(scoreAndBinarize(logits, 4, 3, 0, 1, bin), { high: 2, low: 5 });
  assert.equal(stabilityScore(logits, 0, 1), 2 / 5);
  assert.deepEqual(Array.from(bin), [0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
  const r = binaryToCropRle(bin, [0, 0, 4, 3], 4, 3);
  assert.deepEqual(r.box, [1, 0, 2, 2]);
  // column-major 0,0,0 | 1,0,1 | 0,1,0 | 0,0,0 -> runs 3,1,1,1,1,1,4
  assert.deepEqual(r.rle.counts, [3, 1, 1, 1, 1, 1, 4]);
  assert.equal(r.area, 3);
  // width 3 -> stride 4 with a zero padding byte per row
  assert.equal(binaryStride(3), 4);
  const bin3 = new Uint8Array(8);
  scoreAndBinarize(Float32Array.from([1, -1, 1, 1, 1, 1]), 3, 2, 0, 1, bin3);
  assert.deepEqual(Array.from(bin3), [1, 0, 1, 0, 1, 1, 1, 0]);
  // empty mask -> box [0, 0, 0, 0] (batched_mask_to_box)
  assert.deepEqual(binaryToCropRle(new Uint8Array(12), [0, 0, 4, 3], 4, 3).box, [0, 0, 0, 0]);
  assert.deepEqual(binaryToCropRle(new Uint8Array(12), [0, 0, 4, 3], 4, 3).rle.counts, [12]);
  assert.deepEqual(maskBoxInclusive(Uint8Array.from([0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]), 4, 3), [1, 0, 2, 2]);
  assert.deepEqual(maskBoxInclusive(new Uint8Array(12), 4, 3), [0, 0, 0, 0]);
  // random logits: counts agree with the plain formula, the mask with a direct threshold
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const [w, h] = [150, 70];
  const big = Float32Array.from({ length: w * h }, () => (rand() - 0.5) * 6);
  const binBig = new Uint8Array(binaryStride(w) * h);
  const c = scoreAndBinarize(big, w, h, 0, 1, binBig);
  assert.equal(c.high / c.low, stabilityScore(big, 0, 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) assert.equal(binBig[y * binaryStride(w) + x], big[y * w + x] > 0 ? 1 : 0);
});

test('RLE from the binary mask equals pycocotools-style encoding of the padded mask (many random cases)', () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let t = 0; t < 200; t++) {
    const W = 1 + Math.floor(rand() * 23);
    const H = 1 + Math.floor(rand() * 19);
    const cx0 = Math.floor(rand() * W);
    const cy0 = Math.floor(rand() * H);
    const crop: Box = [cx0, cy0, cx0 + 1 + Math.floor(rand() * (W - cx0)), cy0 + 1 + Math.floor(rand() * (H - cy0))];
    const cw = crop[2] - crop[0];
    const ch = crop[3] - crop[1];
    const p = rand(); // density, including all-0 / all-1 extremes
    const m = Uint8Array.from({ length: cw * ch }, () => (rand() < p * 1.2 - 0.1 ? 1 : 0));
    const full = new Uint8Array(W * H);
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) full[(y + crop[1]) * W + x + crop[0]] = m[y * cw + x];
    const got = cropMaskToRle(m, crop, W, H);
    assert.deepEqual(got.rle, encodeRle({ data: full, width: W, height: H }), `case ${t}: ${W}x${H} crop ${crop}`);
    assert.equal(got.area, full.reduce((a, b) => a + b, 0));
    assert.deepEqual(rleToMask(got.rle).data, full);
  }
});

test('box near a crop edge that is not an image edge (atol 20)', () => {
  const orig: Box = [0, 0, 96, 96];
  // crop at the top-left; box right edge 55 is 9 px from the crop's right edge 64, which is inside the image
  assert.equal(isBoxNearCropEdge([41, 41, 55, 55], [0, 0, 64, 64], orig), true);
  // left/top edges near 0 are image edges too: kept
  assert.equal(isBoxNearCropEdge([5, 5, 20, 20], [0, 0, 64, 64], orig), false);
  // crop at the bottom-right: local box [41..55] -> image [73..87]; 87 is near 96, an image edge: kept
  assert.equal(isBoxNearCropEdge([41, 41, 55, 55], [32, 32, 96, 96], orig), false);
  // local box [5..] -> image x0 = 37, 5 px from the crop's left edge 32 (not an image edge): dropped
  assert.equal(isBoxNearCropEdge([5, 30, 30, 40], [32, 32, 96, 96], orig), true);
  // torch.isclose is |a - b| <= atol: exactly 20 px away counts as near
  assert.equal(isBoxNearCropEdge([10, 10, 44, 30], [0, 0, 64, 64], orig), true);
  assert.equal(isBoxNearCropEdge([10, 10, 43, 30], [0, 0, 64, 64], orig), false);
  // the whole image as crop: never near
  assert.equal(isBoxNearCropEdge([0, 0, 95, 95], orig, orig), false);
});

test('NMS with torchvision semantics on hand boxes', () => {
  // A [0,0,10,10] 0.9, B [1,1,11,11] 0.8, C [0,0,10,9] 0.95.
  // IoU(C,A) = 90 / 100 = 0.9 > 0.7 -> A dropped. IoU(C,B) = (9*8) / (90 + 100 - 72) = 0.61 -> B kept.
  const boxes = [0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 9];
  assert.deepEqual(Array.from(nms(boxes, [0.9, 0.8, 0.95], 0.7)), [2, 1]);
  // IoU exactly 0.5 ([0,0,3,1] vs [1,0,4,1]: inter 2, union 4) is not > 0.5: both kept
  assert.deepEqual(Array.from(nms([0, 0, 3, 1, 1, 0, 4, 1], [0.6, 0.5], 0.5)), [0, 1]);
  assert.deepEqual(Array.from(nms([0, 0, 3, 1, 1, 0, 4, 1], [0.6, 0.5], 0.49)), [0]);
  // equal scores: stable order (torch.sort(stable=True)), the earlier box wins
  assert.deepEqual(Array.from(nms([0, 0, 10, 10, 0, 0, 10, 10, 50, 50, 60, 60], [0.5, 0.5, 0.5], 0.7)), [0, 2]);
  // result sorted by score, not by index
  assert.deepEqual(Array.from(nms([0, 0, 1, 1, 5, 5, 6, 6, 9, 9, 10, 10], [0.1, 0.3, 0.2], 0.7)), [1, 2, 0]);
  assert.deepEqual(Array.from(nms([], [], 0.7)), []);
});

test('crop mask straight to full-image COCO RLE', () => {
  // image 3 wide x 2 high, crop [1,0,3,2] with mask rows [1,0],[1,1]:
  // full rows [0,1,0],[0,1,1]; column-major 0,0 | 1,1 | 0,1 -> counts [2,2,1,1], area 3
  const r = cropMaskToRle(Uint8Array.from([1, 0, 1, 1]), [1, 0, 3, 2], 3, 2);
  assert.deepEqual(r.rle, { size: [2, 3], counts: [2, 2, 1, 1] });
  assert.equal(r.area, 3);
  // first pixel foreground: counts start with 0
  assert.deepEqual(cropMaskToRle(Uint8Array.from([1, 1]), [0, 0, 1, 2], 2, 2).rle.counts, [0, 2, 2]);
  // empty mask: one background run
  assert.deepEqual(cropMaskToRle(new Uint8Array(4), [1, 1, 3, 3], 4, 4).rle.counts, [16]);

  // a random crop mask against padding it into the full image and encoding with src/mask/rle.ts
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const [W, H] = [13, 11];
  const crop: Box = [3, 2, 11, 9];
  const cw = crop[2] - crop[0];
  const ch = crop[3] - crop[1];
  const m = Uint8Array.from({ length: cw * ch }, () => (rand() < 0.4 ? 1 : 0));
  const full = new Uint8Array(W * H);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) full[(y + crop[1]) * W + x + crop[0]] = m[y * cw + x];
  const got = cropMaskToRle(m, crop, W, H);
  assert.deepEqual(got.rle, encodeRle({ data: full, width: W, height: H }));
  assert.equal(got.area, full.reduce((a, b) => a + b, 0));
  // box in crop coordinates, inclusive, against a direct scan
  let [bx0, by0, bx1, by1] = [cw, ch, -1, -1];
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) if (m[y * cw + x]) [bx0, by0, bx1, by1] = [Math.min(bx0, x), Math.min(by0, y), Math.max(bx1, x), Math.max(by1, y)];
  assert.deepEqual(got.box, [bx0, by0, bx1, by1]);
  // back to a row-major mask: same as src/mask/rle.ts decodeRle
  assert.deepEqual(rleToMask(got.rle), decodeRle(got.rle));
  assert.deepEqual(rleToMask(got.rle).data, full);
});

/** Parse a picture: '#' = 1, '.' = 0. */
function pic(rows: string[]) {
  const h = rows.length;
  const w = rows[0].length;
  const data = new Uint8Array(w * h);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * w + x] = c === '#' ? 1 : 0)));
  return { data, width: w, height: h };
}

test('remove_small_regions: holes, islands, 8-connectivity, keep-largest', () => {
  const m = pic([
    '#####...',
    '#.###...',
    '#####..#',
    '........',
    '.......#',
  ]);
  // holes (threshold 2): the 1-px hole at (1,1) is filled; the outside background (one big 8-connected region) stays
  const h = removeSmallRegionsSam(m, 2, 'holes');
  assert.equal(h.changed, true);
  assert.equal(h.mask.data[1 * 8 + 1], 1);
  assert.equal(h.mask.data.reduce((a, b) => a + b, 0), 17);
  // islands (threshold 2): the single pixels (7,2) and (7,4) are separate 8-components of area 1 -> removed
  const i = removeSmallRegionsSam(m, 2, 'islands');
  assert.equal(i.changed, true);
  assert.equal(i.mask.data[2 * 8 + 7], 0);
  assert.equal(i.mask.data[4 * 8 + 7], 0);
  assert.equal(i.mask.data.reduce((a, b) => a + b, 0), 14);
  // nothing small: unchanged, same object
  const same = removeSmallRegionsSam(m, 1, 'islands');
  assert.equal(same.changed, false);
  assert.equal(same.mask, m);
  // diagonal neighbours are connected (8-connectivity): one island of area 2
  const diag = pic(['#.', '.#']);
  assert.equal(removeSmallRegionsSam(diag, 2, 'islands').changed, false);
  // every island small: the largest is kept (area 3 vs 1)
  const all = removeSmallRegionsSam(pic(['###..#']), 10, 'islands');
  assert.deepEqual(Array.from(all.mask.data), [1, 1, 1, 0, 0, 0]);
  // holes then islands
  const both = cleanSmallRegions(m, 2);
  assert.equal(both.changed, true);
  assert.equal(both.mask.data.reduce((a, b) => a + b, 0), 15);
});
