// WD14 captions through a tagger the project generates (testing/onnx/fake-tagger.ts): the same input and
// output contract and CSV as SmilingWolf's models, with probabilities sigmoid(w . mean(B, G, R) + b), so
// the expected tags are computed by hand below from the weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeTaggerModel, fakeTagsCsv, type FakeTag } from '../../testing/onnx/fake-tagger.js';
import { captionOf, loadTagger, parseTagsCsv, selectTags, taggerInput } from '../../src/curate/tagger.js';
import { AnimesegError } from '../../src/errors.js';

// For a red picture the model sees B = 0, G = 0, R = 255 everywhere.
const TAGS: FakeTag[] = [
  { name: 'red_hair', category: 0, w: [0, 0, 0.02], b: -2 }, // 0.02 x 255 - 2 = 3.1 -> p 0.957: kept
  { name: 'blue_hair', category: 0, w: [0.02, 0, 0], b: -2 }, // -2 -> 0.119: under 0.35
  { name: 'solo', category: 0, w: [0, 0, 0], b: 0 }, // 0 -> 0.5: kept
  { name: 'hakurei_reimu', category: 4, w: [0, 0, 0.01], b: 0 }, // 2.55 -> 0.928 >= 0.85: kept
  { name: 'kirisame_marisa', category: 4, w: [0, 0, 0.01], b: -0.9 }, // 1.65 -> 0.839 < 0.85: not
  { name: 'general', category: 9, w: [0, 0, 0], b: 5 }, // a rating: never a caption tag
  { name: '^_^', category: 0, w: [0, 0, 0], b: -0.5 }, // 0.378: kept, a kaomoji keeps its underscore
  { name: 'bow_(weapon)', category: 0, w: [0, 0, 0], b: -0.6 }, // 0.354: kept, brackets escaped
];
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
let dir = '';
let modelPath = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'animeseg-tagger-'));
  modelPath = join(dir, 'fake-tagger.onnx');
  await writeFile(modelPath, fakeTaggerModel(TAGS));
  await writeFile(join(dir, 'fake-tagger.csv'), fakeTagsCsv(TAGS));
});
after(() => rm(dir, { recursive: true, force: true }));

const red = (w: number, h: number) => ({ data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i % 3 === 0 ? 255 : 0)), width: w, height: h, channels: 3 as const });

test('tagger input: white-padded square, 448 x 448, BGR order, 0..255', async () => {
  const x = await taggerInput(red(16, 16), 448);
  assert.equal(x.length, 448 * 448 * 3);
  // A constant picture stays constant through the resize: every pixel B = 0, G = 0, R = 255.
  for (let p = 0; p < 448 * 448; p++) assert.ok(x[p * 3] === 0 && x[p * 3 + 1] === 0 && x[p * 3 + 2] === 255, `pixel ${p}`);
  // A 16 x 8 picture is padded with white rows above and below: the corners are white.
  const y = await taggerInput(red(16, 8), 448);
  assert.deepEqual(Array.from(y.subarray(0, 3)), [255, 255, 255]);
  assert.deepEqual(Array.from(y.subarray(224 * 448 * 3, 224 * 448 * 3 + 3)), [0, 0, 255]);
});

test('fake tagger: probabilities as computed by hand, turned into the expected tags and caption', async () => {
  const tagger = await loadTagger(modelPath, { env: { ...process.env, ANIMESEG_OFFLINE: '1' } });
  try {
    assert.equal(tagger.side, 448);
    const p = await tagger.probabilities(red(16, 16));
    // onnxruntime's float32 ReduceMean over 448 x 448 values is off by ~0.2 % (255.5 for 255), so the tags
    // with weights are compared at 1e-3; those are far from their thresholds, the bias-only ones exact.
    TAGS.forEach((t, k) => assert.ok(Math.abs(p[k] - sigmoid(t.w[0] * 0 + t.w[1] * 0 + t.w[2] * 255 + t.b)) < (t.w.some((w) => w !== 0) ? 1e-3 : 1e-6), `${t.name} ${p[k]}`));
    const tags = selectTags(p, tagger.tags, { general: 0.35, character: 0.85 });
    assert.deepEqual(tags.map((t) => t.name), ['hakurei_reimu', 'red_hair', 'solo', '^_^', 'bow_(weapon)']);
    assert.equal(captionOf(tags, 'mychar'), 'mychar, hakurei reimu, red hair, solo, ^_^, bow \\(weapon\\)');
    // Excluded tags go, in either spelling.
    assert.deepEqual(selectTags(p, tagger.tags, { exclude: new Set(['solo', 'red hair']) }).map((t) => t.name), ['hakurei_reimu', '^_^', 'bow_(weapon)']);
  } finally {
    await tagger.dispose();
  }
});

test('a tags CSV that does not match the model is a clear error', async () => {
  await writeFile(join(dir, 'short.onnx'), fakeTaggerModel(TAGS));
  await writeFile(join(dir, 'short.csv'), fakeTagsCsv(TAGS.slice(0, 3)));
  const tagger = await loadTagger(join(dir, 'short.onnx'));
  try {
    await assert.rejects(tagger.probabilities(red(4, 4)), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_MODEL' && /8 outputs but its tags CSV has 3 rows/.test(e.message));
  } finally {
    await tagger.dispose();
  }
  assert.throws(() => parseTagsCsv('id,label\n1,x\n'), (e: unknown) => e instanceof AnimesegError && /no 'name' and 'category' columns/.test(e.message));
});
