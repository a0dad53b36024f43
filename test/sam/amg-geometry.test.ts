// Point grids, crop boxes and coordinate transforms of the SAM automatic mask generator.
// Expected values are hand computations from segment-anything's formulas (quoted in each test) and the
// worked 1500x1000 example of ../shared/docs/algorithms.md §4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAllLayerPointGrids, buildPointGrid, linspace } from '../../src/models/sam/amg/grid.js';
import { boxArea, boxXyxyToXywh, generateCropBoxes } from '../../src/models/sam/amg/crops.js';
import { applyBox, applyCoords, getPreprocessShape } from '../../src/models/sam/transforms.js';

test('point grid: n x n points from 1/(2n) to 1-1/(2n), x fastest', () => {
  // n = 4: offset 1/8, linspace(0.125, 0.875, 4) = 0.125, 0.375, 0.625, 0.875
  const g = buildPointGrid(4);
  assert.equal(g.length, 32);
  const side = [0.125, 0.375, 0.625, 0.875];
  for (let iy = 0; iy < 4; iy++) {
    for (let ix = 0; ix < 4; ix++) {
      const k = 2 * (iy * 4 + ix);
      assert.ok(Math.abs(g[k] - side[ix]) < 1e-15, `x of point ${iy},${ix}`);
      assert.ok(Math.abs(g[k + 1] - side[iy]) < 1e-15, `y of point ${iy},${ix}`);
    }
  }
  // n = 1: numpy.linspace(0.5, 0.5, 1) = [0.5]
  assert.deepEqual(Array.from(buildPointGrid(1)), [0.5, 0.5]);
  // the last linspace element is exactly `stop`, as numpy sets it
  assert.equal(linspace(1 / 64, 1 - 1 / 64, 32)[31], 1 - 1 / 64);
  assert.throws(() => buildPointGrid(0));
});

test('layer grids: int(n / factor^i) points per side', () => {
  // 32 with factor 2 over 2 crop layers: 32, 16, 8 per side
  assert.deepEqual(buildAllLayerPointGrids(32, 2, 2).map((g) => Math.sqrt(g.length / 2)), [32, 16, 8]);
  // factor 1 (the defaults and the seed preset): the same 32x32 grid in every layer
  assert.deepEqual(buildAllLayerPointGrids(32, 1, 1).map((g) => g.length / 2), [1024, 1024]);
  // int(3 / 2) = 1
  assert.deepEqual(buildAllLayerPointGrids(3, 1, 2).map((g) => g.length / 2), [9, 1]);
});

test('crop boxes: the 1500x1000 example of algorithms.md §4', () => {
  const { boxes, layers } = generateCropBoxes(1000, 1500, 1, 512 / 1500);
  // overlap = int(512/1500 * 1000 * 2/2) = 341; crop w = ceil((341 + 1500)/2) = 921, h = ceil((341+1000)/2) = 671;
  // x starts (921-341)*i = 0, 580; y starts (671-341)*i = 0, 330; order itertools.product(x0s, y0s)
  assert.deepEqual(layers, [0, 1, 1, 1, 1]);
  assert.deepEqual(boxes, [
    [0, 0, 1500, 1000],
    [0, 0, 921, 671],
    [0, 330, 921, 1000],
    [580, 0, 1500, 671],
    [580, 330, 1500, 1000],
  ]);
  // the last crop is clipped: 580 + 921 = 1501 > 1500
  assert.equal(boxArea(boxes[4]), 920 * 670);
});

test('crop boxes: second layer', () => {
  const { boxes, layers } = generateCropBoxes(1000, 1500, 2, 512 / 1500);
  assert.equal(boxes.length, 1 + 4 + 16);
  assert.equal(layers.filter((l) => l === 2).length, 16);
  // layer 2: overlap = int(512/1500*1000*(2/4)) = int(170.67) = 170; w = ceil((170*3+1500)/4) = 503,
  // h = ceil((510+1000)/4) = 378; x starts 333*i, y starts 208*i
  const l2 = boxes.slice(5);
  assert.deepEqual(l2[0], [0, 0, 503, 378]);
  assert.deepEqual(l2[1], [0, 208, 503, 586]); // y varies fastest
  assert.deepEqual(l2[4], [333, 0, 836, 378]);
  assert.deepEqual(l2[15], [999, 624, 1500, 1000]); // clipped to the image
});

test('XYWH as SAM: w = x1 - x0 of the inclusive box', () => {
  assert.deepEqual(boxXyxyToXywh([10, 20, 15, 40]), [10, 20, 5, 20]);
});

test('ResizeLongestSide: new size int(x*scale + 0.5) and coordinate scaling', () => {
  // 1500x1000 (W x H): scale 1024/1500, H -> 682.67 + 0.5 -> 683
  assert.deepEqual(getPreprocessShape(1000, 1500, 1024), [683, 1024]);
  assert.deepEqual(getPreprocessShape(1024, 1024, 1024), [1024, 1024]);
  // 3 x 1 (H x W): 1024/3 = 341.33 -> 341
  assert.deepEqual(getPreprocessShape(3, 1, 1024), [1024, 341]);
  // apply_coords: x * newW/oldW, y * newH/oldH; for 1000x1500: x * 1024/1500, y * 683/1000
  const c = applyCoords([750, 500], [1000, 1500]);
  assert.ok(Math.abs(c[0] - (750 * 1024) / 1500) < 1e-9);
  assert.ok(Math.abs(c[1] - (500 * 683) / 1000) < 1e-9);
  // apply_boxes: both corners
  const b = applyBox([0, 0, 1500, 1000], [1000, 1500]);
  assert.deepEqual(Array.from(b).map((v) => Math.round(v * 1e9) / 1e9), [0, 0, 1024, 683]);
});
