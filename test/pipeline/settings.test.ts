// Per-model defaults through the one settings resolver (src/pipeline/settings.ts): explicit options win,
// then the model's recommendation (its manifest entry, else its ONNX metadata recommended_conf), then the
// option table's defaults; NAME.json and the results say which. Test models are generated with three
// boxes of hand-chosen scores (0.3, 0.5, 0.9), so the count each conf keeps follows from those numbers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fakeOutput0, fakeYoloModel } from '../../testing/onnx/fake-models.js';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { DETECT_DEFAULTS } from '../../src/pipeline/options.js';
import { detectSettingsJson, modelRecommendation, resolveDetectSettings } from '../../src/pipeline/settings.js';
import { registerModel } from '../../src/models/resolver/manifest.js';
import { DEFAULT_MODEL } from '../../src/models/resolver/index.js';
import { AnimesegError } from '../../src/errors.js';
import type { RawImage } from '../../src/image/types.js';

const run = promisify(execFile);
const dir = await mkdtemp(join(tmpdir(), 'animeseg-settings-'));
after(() => rm(dir, { recursive: true, force: true }));

const gray = (w: number, h: number): RawImage => ({ data: new Uint8Array(w * h * 3).fill(128), width: w, height: h, channels: 3 });
const SCORES = [0.3, 0.5, 0.9];
/** Scores as the model's float32 output gives them, to 2 decimals. */
const scoresOf = (r: { instances: { score: number }[] }) => r.instances.map((i) => Math.round(i.score * 100) / 100).sort();
/**
 * A 320 px model with three separate 40 x 40 boxes scored 0.3, 0.5 and 0.9, each with a filled mask (protos
 * all 1, first coefficient 10: sigmoid(10) > 0.5 inside its box), and the given metadata.
 */
async function model(name: string, metadata: Record<string, string> = {}): Promise<string> {
  const dets = SCORES.map((score, k) => ({ cx: 60 + 100 * k, cy: 160, w: 40, h: 40, classId: 0, score, coeffs: [10] }));
  const path = join(dir, name);
  await writeFile(path, fakeYoloModel({ imgsz: 320, names: ['character'], output0: fakeOutput0(320, 1, 32, dets), protos: new Float32Array(32 * 80 * 80).fill(1), metadata }));
  return path;
}

test('resolveDetectSettings: option > model recommendation > table default, each with its source', () => {
  const none = resolveDetectSettings({}, { defaultClasses: null });
  assert.deepEqual([none.conf, none.iou, none.maxDet, none.agnostic, none.classes], [DETECT_DEFAULTS.conf, DETECT_DEFAULTS.iou, DETECT_DEFAULTS.maxDet, DETECT_DEFAULTS.agnostic, null]);
  assert.deepEqual(none.from, { conf: 'default', iou: 'default', maxDet: 'default', agnostic: 'default', classes: 'default' });
  const rec = resolveDetectSettings({}, { recommended: { conf: 0.45 }, defaultClasses: [0] });
  assert.deepEqual([rec.conf, rec.from.conf, rec.iou, rec.from.iou, rec.classes, rec.from.classes], [0.45, 'model', DETECT_DEFAULTS.iou, 'default', [0], 'model']);
  const given = resolveDetectSettings({ conf: 0.2, classes: 'all', maxDet: 5 }, { recommended: { conf: 0.45 }, defaultClasses: [0] });
  assert.deepEqual([given.conf, given.from.conf, given.classes, given.from.classes, given.maxDet, given.from.maxDet], [0.2, 'option', null, 'option', 5, 'option']);
  // Frozen: nothing downstream can change what was resolved.
  assert.ok(Object.isFrozen(given) && Object.isFrozen(given.from));
  assert.deepEqual(detectSettingsJson(rec), { conf: 0.45, iou: 0.7, max_det: 300, agnostic: false, classes: [0], from: { conf: 'model', iou: 'default', max_det: 'default', agnostic: 'default', classes: 'model' } });
});

test('modelRecommendation: the manifest entry wins over the ONNX metadata; a bad metadata value is a BAD_MODEL error', () => {
  assert.deepEqual(modelRecommendation({ recommended_conf: '0.45' }), { conf: 0.45 });
  assert.deepEqual(modelRecommendation({ recommended_conf: '0.45', recommended_iou: '0.6' }, { conf: 0.3 }), { conf: 0.3, iou: 0.6 });
  assert.deepEqual(modelRecommendation({}), {});
  for (const bad of ['high', '', '1.5']) {
    assert.throws(() => modelRecommendation({ recommended_conf: bad }, {}, 'm.onnx'), (e) => e instanceof AnimesegError && e.code === 'BAD_MODEL' && e.file === 'm.onnx' && /recommended_conf/.test(e.message));
  }
});

test("createSegmenter: the model's recommended_conf is used unless conf is given (per segmenter or per call)", async () => {
  const path = await model('rec.onnx', { recommended_conf: '0.45' });
  const seg = await createSegmenter({ model: path });
  try {
    assert.deepEqual(seg.info.recommended, { conf: 0.45 });
    // 0.45 keeps 0.5 and 0.9 of (0.3, 0.5, 0.9).
    const r = await seg.segment(gray(320, 320));
    assert.deepEqual(scoresOf(r), [0.5, 0.9]);
    assert.deepEqual([r.settings.conf, r.settings.from.conf], [0.45, 'model']);
    const low = await seg.segment(gray(320, 320), { conf: 0.25 });
    assert.equal(low.instances.length, 3);
    assert.deepEqual([low.settings.conf, low.settings.from.conf], [0.25, 'option']);
  } finally {
    await seg.dispose();
  }
  const given = await createSegmenter({ model: path, conf: 0.6 });
  try {
    const r = await given.segment(gray(320, 320));
    assert.deepEqual(scoresOf(r), [0.9]);
    assert.equal(r.settings.from.conf, 'option');
  } finally {
    await given.dispose();
  }
  // A model without the key keeps the table's default: 0.25 keeps all three.
  const plain = await createSegmenter({ model: await model('plain.onnx') });
  try {
    const r = await plain.segment(gray(320, 320));
    assert.equal(r.instances.length, 3);
    assert.deepEqual([r.settings.conf, r.settings.from.conf], [DETECT_DEFAULTS.conf, 'default']);
  } finally {
    await plain.dispose();
  }
});

test("a manifest entry's recommended conf wins over the file's metadata", async () => {
  const path = await model('registered.onnx', { recommended_conf: '0.45' });
  // The test runner points ANIMESEG_CONFIG_DIR at a temp folder: this entry lives only there.
  await registerModel({ name: 'settings-test-model', file: 'registered.onnx', path, licence: 'MIT', description: 'test', kind: 'yolo-seg', recommended: { conf: 0.6 } });
  const seg = await createSegmenter({ model: 'settings-test-model' });
  try {
    const r = await seg.segment(gray(320, 320));
    assert.deepEqual([r.instances.length, r.settings.conf, r.settings.from.conf], [1, 0.6, 'model']);
  } finally {
    await seg.dispose();
  }
});

test('the default model is the shipped anime model, at its recommended conf 0.3 (the card)', async () => {
  const seg = await createSegmenter();
  try {
    assert.equal(seg.info.model, DEFAULT_MODEL);
    assert.equal(DEFAULT_MODEL, 'animeseg-char-n416');
    assert.deepEqual(seg.info.classNames, ['character']);
    assert.deepEqual(seg.info.imgsz, [416, 416]);
    assert.deepEqual(seg.info.recommended, { conf: 0.3 });
    // tewi_1 shows two characters (examples/ATTRIBUTION.md, from the set's info file); at conf 0.3 version 3
    // adds a box over the whole scene scored 0.49 (the card's "where it fails"), which a conf of 0.5 drops.
    const r = await seg.segment('examples/tewi_1.jpg');
    assert.equal(r.instances.length, 3);
    assert.deepEqual([r.settings.conf, r.settings.from.conf], [0.3, 'model']);
    const strict = await seg.segment('examples/tewi_1.jpg', { conf: 0.5 });
    assert.equal(strict.instances.length, 2);
  } finally {
    await seg.dispose();
  }
});

test('segment: NAME.json records the values used and where they came from; a given --conf wins and changes the settings hash', async () => {
  const path = await model('cli.onnx', { recommended_conf: '0.45' });
  const img = join(dir, 'img.png');
  const sharp = (await import('sharp')).default;
  await writeFile(img, await sharp(Buffer.alloc(320 * 320 * 3, 128), { raw: { width: 320, height: 320, channels: 3 } }).png().toBuffer());
  const seg = async (out: string, ...extra: string[]) => {
    await run(process.execPath, ['bin/animeseg.js', 'segment', img, '-o', join(dir, out), '--model', path, '--max-covered', '1', '--progress', 'silent', ...extra]);
    return JSON.parse(await readFile(join(dir, out, 'img.json'), 'utf8'));
  };
  const byModel = await seg('a');
  assert.equal(byModel.instances.length, 2);
  assert.deepEqual([byModel.settings.conf, byModel.settings.from.conf, byModel.settings.iou, byModel.settings.from.iou], [0.45, 'model', 0.7, 'default']);
  const byOption = await seg('b', '--conf', '0.25');
  assert.equal(byOption.instances.length, 3);
  assert.deepEqual([byOption.settings.conf, byOption.settings.from.conf], [0.25, 'option']);
  assert.notEqual(byModel.settings_hash, byOption.settings_hash);
  // Giving the recommended value by hand writes the same outputs, so it is the same run (same hash).
  const same = await seg('c', '--conf', '0.45');
  assert.equal(same.settings.from.conf, 'option');
  assert.equal(same.settings_hash, byModel.settings_hash);
});
