// A SAM decoder exported with a single mask output makes the automatic mask generator use 1 mask per point
// instead of SAM's 3 (fewer segments than the original method): the result says so in NAME.json ("notes")
// and in the run summary, not only in a warning (issue 22). Real YOLO model on a small copy of a real
// illustration; the project's fake SAM pair (testing/sam/fake-sam.ts), one with 4 outputs and one with 1.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { formatSummary, runBatch } from '../../src/pipeline/run/batch.js';
import { writeFakeSamPair } from '../../testing/sam/fake-sam.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGE = resolve('../shared/data/illustrations/images/eren_1.jpg');
const root = await mkdtemp(join(tmpdir(), 'animeseg-vote-notes-'));
after(() => rm(root, { recursive: true, force: true }));

async function run(numMasks: 1 | 4, tag: string) {
  const pair = await writeFakeSamPair(root, numMasks === 1 ? { numMasks: 1, radii: [7.5], ious: [0.95], slopes: [10] } : {});
  const inDir = join(root, `in-${tag}`);
  await mkdir(inDir, { recursive: true });
  const input = join(inDir, 'eren_1.png');
  await sharp(IMAGE).resize({ width: 320 }).png().toFile(input);
  const seg = await createSegmenter({
    model: MODEL,
    refine: 'vote',
    // A small AMG (4x4 points, no crop layer) keeps the run short; warnings go nowhere.
    refineOptions: { sam: { encoder: pair.encoderPath, decoder: pair.decoderPath, amg: { pointsPerSide: 4, cropNLayers: 0 }, warn: () => undefined } },
  });
  try {
    const out = join(root, `out-${tag}`);
    const summary = await runBatch(seg, [{ path: input, name: 'eren_1' }], { outDir: out, progress: 'silent' });
    const json = JSON.parse(await readFile(join(out, 'eren_1.json'), 'utf8'));
    return { summary, json, decoderPath: pair.decoderPath };
  } finally {
    await seg.dispose();
  }
}

test('single-mask SAM decoder: noted in NAME.json and the run summary; a multimask one is not', { skip: !existsSync(MODEL) && 'shared YOLO model missing' }, async () => {
  const single = await run(1, 'single');
  assert.equal(single.summary.done, 1);
  assert.ok(single.json.instances.length > 0, 'the model finds the character');
  assert.equal(single.json.notes?.length, 1);
  assert.match(single.json.notes[0], /^vote: the SAM decoder .* returns one mask per prompt .*1 mask per point instead of 3/);
  assert.ok(single.json.notes[0].includes(single.decoderPath));
  assert.deepEqual(single.summary.notes, single.json.notes);
  assert.ok(formatSummary(single.summary).includes(`note: ${single.json.notes[0]}`));

  const multi = await run(4, 'multi');
  assert.equal(multi.json.notes, undefined);
  assert.deepEqual(multi.summary.notes, []);
  assert.doesNotMatch(formatSummary(multi.summary), /note:/);
});
