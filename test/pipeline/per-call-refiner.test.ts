// The segmenter's per-call refiner and soft edge (what the server uses to pick refinement per request).
// Expected values: the same segmenter path configured at creation (refine 'regions' / 'none') on the same
// image and the real YOLO model, byte for byte; soft alpha from src/refine/softedge.ts's addSoftAlpha applied
// to the unrefined instances directly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { createSegmenter, type Segmenter } from '../../src/pipeline/segmenter.js';
import { createRefiner } from '../../src/refine/index.js';
import { softAlpha } from '../../src/refine/softedge.js';
import type { Instance, Refiner } from '../../src/pipeline/types.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGE = resolve('../shared/data/illustrations/images/luffy_1.jpg'); // two characters

let plain: Segmenter;
let regionsSeg: Segmenter;
let regions: Refiner;

before(async () => {
  plain = await createSegmenter({ model: MODEL, refine: 'none' });
  regionsSeg = await createSegmenter({ model: MODEL, refine: 'regions' });
  regions = await createRefiner('regions', {});
});

after(async () => {
  await plain?.dispose();
  await regionsSeg?.dispose();
  await regions?.dispose?.();
});

function sameMasks(a: Instance[], b: Instance[], what: string): void {
  assert.equal(b.length, a.length, `${what}: instance count`);
  assert.ok(a.length > 0, `${what}: the image has characters`);
  a.forEach((x, i) => {
    assert.ok(Buffer.from(b[i].mask.data).equals(Buffer.from(x.mask.data)), `${what} #${i}: mask bytes`);
    assert.equal(b[i].maskSource, x.maskSource, `${what} #${i}: mask source`);
    assert.deepEqual(b[i].box, x.box, `${what} #${i}: box`);
  });
}

test('a refiner given per call refines like the same refiner fixed at creation', async () => {
  const fixed = await regionsSeg.segment(IMAGE);
  const perCall = await plain.segment(IMAGE, { refiner: regions });
  sameMasks(fixed.instances, perCall.instances, 'per-call regions');
  assert.equal(perCall.instances[0].maskSource, 'regions');
  assert.ok((perCall.timings.refine ?? 0) > 0, 'the refine stage is timed');
});

test('refiner null per call turns the segmenter\'s own refiner off', async () => {
  const none = await plain.segment(IMAGE);
  const off = await regionsSeg.segment(IMAGE, { refiner: null });
  sameMasks(none.instances, off.instances, 'refiner null');
  assert.equal(off.timings.refine, undefined);
});

test('softEdge per call adds the soft-edge module\'s alpha to every instance', async () => {
  const none = await plain.segment(IMAGE);
  const soft = await plain.segment(IMAGE, { softEdge: true });
  const want = none.instances.map((i) => ({ alpha: softAlpha(none.image, i.mask, true) }));
  assert.equal(soft.instances.length, want.length);
  soft.instances.forEach((x, i) => assert.ok(Buffer.from(x.alpha!).equals(Buffer.from(want[i].alpha!)), `#${i}: alpha bytes`));
  assert.equal(none.instances[0].alpha, undefined, 'no alpha without softEdge');
});
