/**
 * End to end: a small synthesized validation set (Katawa Shoujo sprites on backgrounds, labels traced from the
 * visible alpha), scored (1) from predictions that ARE the labels, where the answers are known by hand, and
 * (2) with the real shared model. Also checks that a bad label is reported and skipped, not fatal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, copyFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSynthSet, type SynthSet } from './synth-set.js';
import { evaluate, type EvaluateReport } from '../../src/eval/evaluate.js';
import { run as runCli } from '../../src/cli/commands/eval.js';
import { AnimesegError } from '../../src/errors.js';

const MODEL = '../shared/models/yolov8n-seg_int8.onnx';
let dir: string;
let set: SynthSet;
let modelRun: EvaluateReport | undefined;
const W = 480;
const H = 288;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'animeseg-eval-'));
  set = await buildSynthSet(dir, { images: 4, width: W, height: H, seed: 3 });
  // One image whose label is broken (a box line, not a polygon) and one background image without a label file.
  await copyFile(set.images[0], join(dir, 'images', 'val', 'broken.png'));
  await writeFile(join(dir, 'labels', 'val', 'broken.txt'), '0 0.5 0.5 0.2 0.3\n');
  await copyFile(set.images[1], join(dir, 'images', 'val', 'nolabel.png'));
  // a truncated picture (no label: a background image if it could be read)
  await writeFile(join(dir, 'images', 'val', 'corrupt.png'), (await readFile(set.images[3])).subarray(0, 100));
  // and one whose class is not in data.yaml (Ultralytics drops such an image)
  await copyFile(set.images[2], join(dir, 'images', 'val', 'badclass.png'));
  await writeFile(join(dir, 'labels', 'val', 'badclass.txt'), '5 0.1 0.1 0.2 0.1 0.2 0.2\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Predictions that are exactly the label polygons (pixels = normalised * size), read back from the label files. */
async function labelsAsPredictions(): Promise<string> {
  const preds: unknown[] = [];
  for (let i = 0; i < set.images.length; i++) {
    const name = `synth_${String(i).padStart(3, '0')}`;
    const text = await readFile(join(dir, 'labels', 'val', `${name}.txt`), 'utf8');
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .forEach((line, k) => {
        // float32, as label files are read (Ultralytics parses them with dtype float32)
        const v = line.split(' ').slice(1).map((t) => Math.fround(Number(t)));
        const poly = v.map((x, j) => (j % 2 === 0 ? x * W : x * H));
        const xs = poly.filter((_, j) => j % 2 === 0);
        const ys = poly.filter((_, j) => j % 2 === 1);
        preds.push({ image: name, cls: 0, score: 0.9 - 0.01 * k, box_xyxy: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], polygon: poly });
      });
  }
  const file = join(dir, 'perfect.json');
  await writeFile(file, JSON.stringify(preds));
  return file;
}

test('predictions equal to the labels: AP 0.995 (the 101-point maximum), P = R = 1, full-resolution IoU 1', async () => {
  const file = await labelsAsPredictions();
  const r = await evaluate({ data: set.dataYaml, predictions: file, progress: 'silent' });
  const nLabels = set.polygons.reduce((s, p) => s + p.length, 0);
  // 4 synthesized images, the background image and the truncated picture (scoring stored predictions reads only
  // image headers, and its header is intact: a background image with no prediction); the bad labels are skipped.
  assert.equal(r.ultralytics.images, 6);
  assert.deepEqual(r.skipped.map((x) => x.image.split('/').pop()), ['badclass.png', 'broken.png']);
  assert.match(r.skipped[0].reason, /class 5 is not in data.yaml/);
  assert.match(r.skipped[1].reason, /polygon/);
  assert.equal(r.ultralytics.instances, nLabels);
  // Every GT found once with IoU ~1: the PR curve is 1 up to recall 1, whose sample is the 0 sentinel:
  // 0.99 + 0.5 * 0.01 = 0.995 at every threshold for boxes (same box up to float32 rounding).
  assert.ok(Math.abs(r.ultralytics.box.map50 - 0.995) < 1e-9);
  assert.ok(Math.abs(r.ultralytics.box.map - 0.995) < 1e-9);
  assert.equal(r.ultralytics.box.mp, 1);
  assert.equal(r.ultralytics.box.mr, 1);
  // Masks: the validator resamples GT polygons to 1000 points but not predictions, so high thresholds may
  // miss a few; at 0.5 every one matches.
  assert.ok(Math.abs(r.ultralytics.mask.map50 - 0.995) < 1e-9);
  assert.ok(r.ultralytics.mask.map > 0.9);
  // Full resolution: same polygons through the same OpenCV rasteriser -> identical masks.
  const q = r.quality.sources.none;
  assert.equal(q.fgIoU, 1);
  assert.equal(q.instanceIoU, 1);
  assert.equal(q.boundaryF, 1);
  assert.equal(q.matched, nLabels);
});

test('the real model on the synthesized set: table, metrics.json, plots, contact sheet', async () => {
  const out = join(dir, 'out');
  const r = await evaluate({ data: set.dataYaml, model: MODEL, out, progress: 'silent', worst: 3 });
  assert.equal(r.ultralytics.images, 5);
  assert.deepEqual(r.skipped.map((x) => x.image.split('/').pop()), ['badclass.png', 'broken.png', 'corrupt.png']);
  assert.ok(r.skipped.every((x) => !x.reason.includes('internal error')), JSON.stringify(r.skipped));
  assert.equal(r.settings.imgsz, 320); // the model's input size (static 320 export)
  // 480x288 images: the model's letterbox is the validator's, so the model's own proto masks were compared
  assert.equal(r.settings.mask_source, 'proto');
  modelRun = r;
  for (const k of ['mp', 'mr', 'map50', 'map75', 'map'] as const) {
    assert.ok(r.ultralytics.box[k] >= 0 && r.ultralytics.box[k] <= 1);
    assert.ok(r.ultralytics.mask[k] >= 0 && r.ultralytics.mask[k] <= 1);
  }
  // COCO 'person' finds standing anime characters: on 20 such images we measured fg IoU 0.88 (docs/EVAL.md);
  // a loose floor catches a broken mask path (e.g. masks misplaced by the letterbox) without being brittle.
  assert.ok(r.quality.sources.none.fgIoU > 0.5, `fg IoU ${r.quality.sources.none.fgIoU}`);
  assert.ok(r.ultralytics.mask.map50 > 0.3, `mask mAP50 ${r.ultralytics.mask.map50}`);
  assert.match(r.table, /Class\s+Images\s+Instances\s+Box\(P\s+R\s+mAP50\s+mAP50-95\)\s+Mask\(P/);
  for (const f of ['metrics.json', 'BoxPR_curve.png', 'BoxF1_curve.png', 'MaskPR_curve.png', 'MaskF1_curve.png', 'worst.png']) {
    assert.ok(existsSync(join(out, f)), f);
    assert.ok((await stat(join(out, f))).size > 1000, `${f} is not empty`);
  }
  const saved = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
  assert.equal(saved.ultralytics.box.map50, r.ultralytics.box.map50);
  assert.equal(saved.perImage.length, 5);
});

test('--imgsz other than the model input: native masks sampled on the grid, box metrics unchanged', async () => {
  const r = await evaluate({ data: set.dataYaml, model: MODEL, imgsz: 640, progress: 'silent' });
  assert.equal(r.settings.mask_source, 'native');
  assert.ok(modelRun, 'runs after the model test');
  // Boxes do not depend on the mask grid: only float32 rounding of the letterbox round trip differs.
  for (const k of ['mp', 'mr', 'map50', 'map'] as const) assert.ok(Math.abs(r.ultralytics.box[k] - modelRun!.ultralytics.box[k]) < 1e-3, k);
  assert.ok(r.ultralytics.mask.map50 > 0.3);
});

test('CLI: --predictions run returns 1 when images were skipped and writes metrics.json', async () => {
  const file = join(dir, 'perfect.json');
  const out = join(dir, 'cli-out');
  const logs: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => logs.push(a.join(' '));
  let code: number;
  try {
    code = await runCli(['--data', set.dataYaml, '--predictions', file, '--out', out, '--no-plots', '--progress', 'silent']);
  } finally {
    console.log = orig;
  }
  assert.equal(code, 1);
  assert.ok(existsSync(join(out, 'metrics.json')));
  assert.ok(logs.some((l) => l.includes('mAP50-95)')));
  assert.ok(logs.some((l) => /2 image\(s\) skipped/.test(l))); // the two bad labels (stored predictions read only headers)
});

test('CLI: bad options are usage errors (BAD_OPTION, which src/cli/main.ts exits 2 on: test/cli/args.test.ts)', async () => {
  const usage = (re: RegExp) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && re.test(e.message);
  await assert.rejects(runCli(['--data', set.dataYaml]), usage(/give --model NAME\|PATH or --predictions FILE/));
  await assert.rejects(runCli(['--data', set.dataYaml, '--model', MODEL, '--refine', 'magic']), usage(/--refine must be none, regions, vote or box, got 'magic'/));
  await assert.rejects(runCli(['--data', set.dataYaml, '--model', MODEL, '--imgsz', '100']), usage(/--imgsz must be a multiple of 32/));
});
