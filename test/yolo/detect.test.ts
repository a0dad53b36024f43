// Detection-only models, several models at once, recall-aid views and the box prior. Test models are
// generated here (testing/onnx/fake-models.ts) with constant outputs, so every expected box and mask
// follows by hand from the numbers written below; the real-model check compares the detect-only path with
// the segment path, which test/yolo/reference.test.ts ties to Ultralytics' own outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeOutput0, fakeYoloModel } from '../../testing/onnx/fake-models.js';
import { readOnnxInfo } from '../../src/models/onnx/proto.js';
import { readYoloContract } from '../../src/models/yolo/contract.js';
import { createSegmenter, modelList } from '../../src/pipeline/segmenter.js';
import { fuseCandidates, type Candidate } from '../../src/pipeline/fusion.js';
import { boxToOriginal, flipView, maskToOriginal, tileViews, touchesInnerEdge, salientRegion } from '../../src/pipeline/views.js';
import { boxPrior, clipToBox } from '../../src/pipeline/box-prior.js';
import { createValRunner } from '../../src/eval/model-runner.js';
import { maskArea, maskIoU } from '../../src/mask/ops.js';
import type { RawImage } from '../../src/image/types.js';
import type { Mask } from '../../src/mask/types.js';
import { AnimesegError } from '../../src/errors.js';

const REAL = new URL('../../../shared/models/yolov8n-seg_int8.onnx', import.meta.url).pathname;
const EREN = new URL('../../../shared/data/illustrations/images/eren_1.jpg', import.meta.url).pathname;
const isCode = (code: string, re?: RegExp) => (e: unknown) =>
  e instanceof AnimesegError && e.code === code && (!re || re.test(e.message)) ? true : assert.fail(`wrong error: ${String(e)}`);

/** A flat gray RGB image. */
function gray(w: number, h: number, v = 128): RawImage {
  return { data: new Uint8Array(w * h * 3).fill(v), width: w, height: h, channels: 3 };
}

test('contract: a detection export (one output [1, 4+nc, anchors]) is accepted as task detect', () => {
  const c = readYoloContract(readOnnxInfo(fakeYoloModel({ task: 'detect', imgsz: 320, names: ['person', 'face'] })), 'd.onnx');
  assert.equal(c.task, 'detect');
  assert.equal(c.nm, 0);
  assert.equal(c.protosName, undefined);
  assert.deepEqual(c.names, ['person', 'face']);
  // Without metadata the class count is channels - 4: 4 + 3 channels → 3 classes.
  const bare = readYoloContract(readOnnxInfo(fakeYoloModel({ task: 'detect', imgsz: 320, names: ['a', 'b', 'c'], noMetadata: true })), 'd.onnx');
  assert.deepEqual(bare.names, ['class0', 'class1', 'class2']);
  // Metadata that contradicts the graph is refused.
  assert.throws(
    () => readYoloContract(readOnnxInfo(fakeYoloModel({ task: 'detect', metadata: { task: 'segment' } })), 'd.onnx'),
    isCode('BAD_MODEL', /says task 'segment'.*detect model/),
  );
});

// One box: centre (320, 320), size 200 x 100 on a 640 input; on a 640 x 640 image (ratio 1, no padding) it is
// [220, 270, 420, 370] in original pixels.
const BOX = { cx: 320, cy: 320, w: 200, h: 100, classId: 0, score: 0.9 };

test('detect-only model end to end: the box becomes an instance with a box-prior mask, found by model/full', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-det-'));
  try {
    const path = join(dir, 'det.onnx');
    await writeFile(path, fakeYoloModel({ task: 'detect', imgsz: 640, names: ['person'], output0: fakeOutput0(640, 1, 0, [BOX]) }));
    const seg = await createSegmenter({ model: path, refine: 'none', boxPrior: 'box' });
    try {
      assert.equal(seg.info.models[0].task, 'detect');
      const r = await seg.segment(gray(640, 640));
      assert.equal(r.instances.length, 1);
      const i = r.instances[0];
      assert.deepEqual(i.box, [220, 270, 420, 370]);
      assert.equal(i.maskSource, 'box-prior');
      assert.deepEqual(i.foundBy, { model: path, pass: 'full' });
      // The 'box' prior is the box's pixels: 200 x 100.
      assert.equal(maskArea(i.mask), 200 * 100);
      assert.equal(i.mask.data[300 * 640 + 300], 1);
      assert.equal(i.mask.data[269 * 640 + 300], 0);
    } finally {
      await seg.dispose();
    }
    // Without --refine the detect-only default is regions.
    const seg2 = await createSegmenter({ model: path });
    assert.equal(seg2.info.refine, 'regions');
    await seg2.dispose();
    // Evaluation scores masks: a detection model is refused there with a clear message.
    await assert.rejects(createValRunner({ model: path }), isCode('BAD_MODEL', /detection-only/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('two models: one character, the detector box kept when it scores higher, the mask from the segment model', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-det-'));
  try {
    const det = join(dir, 'det.onnx');
    const segPath = join(dir, 'seg.onnx');
    await writeFile(det, fakeYoloModel({ task: 'detect', imgsz: 640, names: ['person'], output0: fakeOutput0(640, 1, 0, [BOX]) }));
    // Segment model: same box shifted 10 px right (IoU 190*100 / 210*100 = 0.905 > 0.5), score 0.6, mask
    // coefficient 0 = 1 with prototype 0 = 1 everywhere: the mask is its box, [230, 270, 430, 370).
    const protos = new Float32Array(32 * 160 * 160);
    protos.fill(1, 0, 160 * 160);
    const o0 = fakeOutput0(640, 1, 32, [{ ...BOX, cx: 330, score: 0.6, coeffs: [1] }]);
    await writeFile(segPath, fakeYoloModel({ imgsz: 640, names: ['character'], output0: o0, protos }));
    assert.deepEqual(modelList(`${segPath},${det}`), [segPath, det]);
    const seg = await createSegmenter({ model: `${segPath},${det}`, refine: 'none' });
    try {
      assert.equal(seg.info.model, `${segPath}+${det}`);
      const r = await seg.segment(gray(640, 640));
      assert.equal(r.instances.length, 1);
      const i = r.instances[0];
      assert.equal(i.score, Math.fround(0.9));
      assert.deepEqual(i.box, [220, 270, 420, 370]);
      assert.deepEqual(i.foundBy, { model: det, pass: 'full', maskModel: segPath });
      assert.equal(i.maskSource, 'yolo');
      assert.equal(maskArea(i.mask), 200 * 100);
      assert.equal(i.mask.data[300 * 640 + 425], 1); // inside the segment model's box only
    } finally {
      await seg.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const cand = (box: [number, number, number, number], score: number, source: string, pass: Candidate['pass'] = 'full', mask?: Mask): Candidate =>
  ({ classId: 0, className: 'c', score, box, mask, model: source, pass, source });

test('fusion: cross-source duplicates by IoU or containment, same source never, whole-image views first', () => {
  // IoU of [0,0,10,10] and [1,0,11,10] = 90 / 110 = 0.82 > 0.5: one character.
  assert.equal(fuseCandidates([cand([0, 0, 10, 10], 0.9, 'a'), cand([1, 0, 11, 10], 0.8, 'b')]).length, 1);
  // The same pair from one source: the model's NMS already kept both.
  assert.equal(fuseCandidates([cand([0, 0, 10, 10], 0.9, 'a'), cand([1, 0, 11, 10], 0.8, 'a')]).length, 2);
  // [2,2,6,6] lies inside [0,0,10,10]: intersection over the smaller box = 1 > 0.8, though IoU = 0.16.
  assert.equal(fuseCandidates([cand([0, 0, 10, 10], 0.5, 'a'), cand([2, 2, 6, 6], 0.9, 'b')]).length, 1);
  // A tile's part-of-character box scoring higher does not replace the full view's box.
  const kept = fuseCandidates([cand([0, 0, 10, 10], 0.5, 'a'), cand([0, 0, 10, 6], 0.95, 't', 'tile')]);
  assert.deepEqual(kept.map((k) => [k.pass, k.box]), [['full', [0, 0, 10, 10]]]);
});

test('views: flip and tile boxes and masks map back to the original', () => {
  const img = gray(100, 50);
  const f = flipView(img);
  // Mirrored: x' = W - x, so [10, 0, 30, 5] comes from [70, 0, 90, 5].
  assert.deepEqual(boxToOriginal(f, [10, 0, 30, 5]), [70, 0, 90, 5]);
  const m = { data: new Uint8Array(100 * 50), width: 100, height: 50 };
  m.data[3 * 100 + 0] = 1; // (0, 3) in the mirror is (99, 3)
  assert.equal(maskToOriginal(f, m, 100, 50).data[3 * 100 + 99], 1);
  const tiles = tileViews(img);
  // 2 x 2 tiles of ceil(0.6 * side): 60 x 30 at (0,0), (40,0), (0,20), (40,20).
  assert.deepEqual(tiles.map((t) => [t.x, t.y, t.image.width, t.image.height]), [[0, 0, 60, 30], [40, 0, 60, 30], [0, 20, 60, 30], [40, 20, 60, 30]]);
  assert.deepEqual(boxToOriginal(tiles[3], [1, 2, 3, 4]), [41, 22, 43, 24]);
  // Tile 0's right and bottom edges are inside the image: a box reaching them is a cut character.
  assert.equal(touchesInnerEdge(tiles[0], [10, 5, 59, 20]), true);
  assert.equal(touchesInnerEdge(tiles[0], [0, 0, 20, 20]), false); // image edges are fine
});

test('box prior: the colour prior finds a disc of a colour the surroundings do not have', () => {
  // Gray 200 x 200 image, a red disc of radius 40 at (100, 100), its box [60, 60, 140, 140] grown by 5 px.
  const W = 200;
  const img = gray(W, W);
  const disc = { data: new Uint8Array(W * W), width: W, height: W };
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) {
    if ((x + 0.5 - 100) ** 2 + (y + 0.5 - 100) ** 2 <= 40 * 40) {
      disc.data[y * W + x] = 1;
      img.data.set([220, 30, 30], (y * W + x) * 3);
    }
  }
  const prior = boxPrior(img, [55, 55, 145, 145], 'colour');
  assert.ok(maskIoU(prior, disc) > 0.95, `IoU ${maskIoU(prior, disc)}`);
  // The ellipse inscribed in a square box is a disc of radius 45 (area pi 45^2 = 6362 px, within 1 %).
  const e = boxPrior(img, [55, 55, 145, 145], 'ellipse');
  assert.ok(Math.abs(maskArea(e) - Math.PI * 45 * 45) < 0.01 * Math.PI * 45 * 45);
  // clipToBox keeps the box grown by 5 % of its size: the disc clipped to [60, 60, 100, 100] ± 2.
  const clipped = clipToBox(disc, [60, 60, 100, 100]);
  assert.equal(clipped.data[101 * W + 101], 1);
  assert.equal(clipped.data[103 * W + 103], 0);
});

test('second pass: the salient region no box covers, or none when every salient pixel is covered', () => {
  const W = 300;
  const H = 200;
  const img = gray(W, H, 240);
  for (let y = 50; y < 150; y++) for (let x = 200; x < 260; x++) img.data.set([20, 60, 200], (y * W + x) * 3);
  const r = salientRegion(img, []);
  assert.ok(r, 'a region');
  const [x0, y0, x1, y1] = r!;
  // It holds the blue block [200, 260) x [50, 150) (plus a margin) and not the whole image.
  assert.ok(x0 <= 200 && y0 <= 50 && x1 >= 260 && y1 >= 150 && x0 > 100, JSON.stringify(r));
  assert.equal(salientRegion(img, [[195, 45, 265, 155]]), null);
});

test('real model: the detect-only path gives exactly the segment path boxes, masks from the prior', async () => {
  const a = await createSegmenter({ model: REAL, threads: 1 });
  const b = await createSegmenter({ model: REAL, threads: 1, detectOnly: true, refine: 'none' });
  try {
    const ra = await a.segment(EREN);
    const rb = await b.segment(EREN);
    assert.ok(ra.instances.length >= 1);
    assert.deepEqual(rb.instances.map((i) => [i.box, i.score]), ra.instances.map((i) => [i.box, i.score]));
    assert.ok(rb.instances.every((i) => i.maskSource === 'box-prior' && i.foundBy?.pass === 'full'));
    // Default recall settings change nothing: no fusion, the boxes are the model's own NMS output.
    assert.ok(ra.instances.every((i) => i.anchor !== undefined && i.boxLetterbox));
  } finally {
    await a.dispose();
    await b.dispose();
  }
});

test('CLI: a detection model on stdin with --json says which model and pass found the character; bad recall flags exit 2', async () => {
  const { spawnSync } = await import('node:child_process');
  const { encodeImage } = await import('../../src/image/encode.js');
  const BIN = new URL('../../bin/animeseg.js', import.meta.url).pathname;
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-det-'));
  try {
    const det = join(dir, 'det.onnx');
    await writeFile(det, fakeYoloModel({ task: 'detect', imgsz: 640, names: ['person'], output0: fakeOutput0(640, 1, 0, [BOX]) }));
    const png = await encodeImage(gray(640, 640), 'png');
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'segment', ...args], { input: png, encoding: 'buffer' });
    const r = run(['-', '--model', det, '--json', '--refine', 'none', '--box-prior', 'box', '--tta', 'flip']);
    assert.equal(r.status, 0, String(r.stderr));
    const j = JSON.parse(String(r.stdout));
    // The flipped view finds the mirrored box, which maps back onto the same box: one character.
    assert.equal(j.instances.length, 1);
    assert.deepEqual(j.instances[0].box, [220, 270, 420, 370]);
    assert.equal(j.instances[0].area, 200 * 100);
    assert.equal(j.instances[0].mask_source, 'box-prior');
    assert.deepEqual(j.instances[0].found_by, { model: det, pass: 'full' });
    assert.equal(run(['-', '--model', det, '--tta', 'sideways']).status, 2);
    assert.equal(run(['-', '--model', det, '--box-prior', 'star']).status, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
