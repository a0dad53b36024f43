/**
 * `animeseg train --recipe anime`: the character split (pure), and one real run end to end on a tiny budget
 * with Ultralytics from ../shared/vendor and Debian's torch (few images, 1 epoch, 64 px). The real run skips,
 * saying why, only where /usr/bin/python3 cannot import torch or the vendored Ultralytics is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { characterKeys, splitByCharacter, splitFiles } from '../../src/train/recipe/split.js';
import { runRecipe } from '../../src/train/recipe/recipe.js';
import { readOnnxInfo } from '../../src/models/onnx/proto.js';
import { REAL_PYTHON, REAL_VENDOR, realTorchProblem } from './helpers.js';

const SHARED = resolve('../shared');
const VENDOR = REAL_VENDOR;
const PYTHON = REAL_PYTHON;

test('character keys: expression variants share a name; one-word names and prefix-less files use the folder', () => {
  assert.deepEqual(characterKeys('/d/ks/sprites_full/emi_basic_happy.png', '/d/ks'), ['name:emi']);
  assert.deepEqual(characterKeys('/d/ks/sprites_close/emi_close_smile.png', '/d/ks'), ['name:emi']);
  assert.deepEqual(characterKeys('/d/c/dialogic/Jane/pl3 sad.png', '/d/c'), ['folder:/d/c/dialogic/Jane']);
  assert.deepEqual(characterKeys('/d/c/dialogic/Princess/neutral.png', '/d/c'), ['name:neutral', 'folder:/d/c/dialogic/Princess']);
});

test('split by character: no character on both sides, outfit variants joined, about the asked share held out', () => {
  const root = '/d/ks';
  const names = ['emi_a', 'emi_b', 'emicas_a', 'emiwheel_b', 'misha_a', 'mishashort_b', 'rin_a', 'rin_b', 'lilly_a', 'hanako_a', 'kenji_a', 'kenji_b'];
  const files = names.map((n) => ({ file: `${root}/sprites_full/${n}.png`, root }));
  // Same characters in another folder, and two characters that live in their own folders with one-word names.
  files.push({ file: `${root}/sprites_close/rin_close.png`, root }, { file: `${root}/sprites_close/emi_close.png`, root });
  files.push({ file: '/c/Princess/neutral.png', root: '/c' }, { file: '/c/Princess/shock.png', root: '/c' }, { file: '/c/Jane/neutral.png', root: '/c' });
  for (const seed of [0, 1, 2, 3, 4]) {
    const s = splitByCharacter(files, 0.25, seed);
    assert.equal(s.train.length + s.val.length, files.length);
    const side = (f: string) => (s.val.includes(f) ? 'val' : 'train');
    // By hand: {emi, emicas, emiwheel} is Emi; {misha, mishashort} is Misha; sprites_full and sprites_close rin
    // are Rin; Princess/neutral links Princess's folder to Jane/neutral through the name "neutral".
    const together = [
      ['sprites_full/emi_a', 'sprites_full/emicas_a', 'sprites_full/emiwheel_b', 'sprites_close/emi_close'],
      ['sprites_full/misha_a', 'sprites_full/mishashort_b'],
      ['sprites_full/rin_a', 'sprites_close/rin_close'],
      ['/c/Princess/neutral', '/c/Princess/shock', '/c/Jane/neutral'],
    ];
    for (const group of together) {
      const sides = new Set(group.map((g) => side(files.find((f) => f.file.includes(g))!.file)));
      assert.equal(sides.size, 1, `seed ${seed}: ${group.join(', ')} straddle the split`);
    }
    assert.ok(s.val.length >= Math.ceil(files.length * 0.25), `seed ${seed}: only ${s.val.length} held out`);
    assert.ok(s.train.length > 0);
  }
  const b = splitFiles(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], 0.2, 0);
  assert.equal(b.val.length, 2);
  assert.equal(new Set([...b.val, ...b.train]).size, 10);
});

test('CLI: train --recipe without its inputs says which option is missing', () => {
  const r = spawnSync(process.execPath, ['bin/animeseg.js', 'train', '--recipe', 'anime', '--bg', 'x', '--out', 'y', '--model', 'z.pt'], { encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--fg DIR is required/);
  const r2 = spawnSync(process.execPath, ['bin/animeseg.js', 'train', '--recipe', 'anime', '--fg', 'a', '--bg', 'x', '--out', 'y', '--model', 'z.pt', '--coco', 'c.json'], { encoding: 'utf8', timeout: 120_000 });
  assert.match(r2.stderr, /--coco and --coco-images go together/);
});

test('real run, tiny budget: every stage, resumable, an ONNX with recommended_conf, figures in the card', { timeout: 600_000 }, async (t) => {
  const problem = realTorchProblem();
  if (problem) {
    t.skip(`recipe run skipped: ${problem}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-recipe-'));
  try {
    // Inputs: 6 sprites of 3 characters, 4 backgrounds, 3 illustrations, a COCO file with one person.
    const fg = join(dir, 'fg');
    const bg = join(dir, 'bg');
    const ill = join(dir, 'ill');
    await mkdir(fg);
    await mkdir(bg);
    await mkdir(join(ill, 'images'), { recursive: true });
    await mkdir(join(ill, 'info'));
    for (const f of ['emi_basic_happy_gym.png', 'emi_basic_shock.png', 'rin_basic_crying.png', 'rin_basic_awayabsent_cas.png', 'misha_cross_smile.png', 'misha_hips_grin.png']) {
      await symlink(join(SHARED, 'data/ks/sprites_full', f), join(fg, f));
    }
    await symlink(join(SHARED, 'data/cutouts2/osu_resources'), join(fg, 'osu_resources')); // excluded below
    for (const f of (await readdir(join(SHARED, 'data/ks/backgrounds'))).sort().slice(0, 4)) await symlink(join(SHARED, 'data/ks/backgrounds', f), join(bg, f));
    for (const n of ['aladdin_1.jpg', 'mio_1.jpg', 'kaoru_1.jpg']) {
      await symlink(join(SHARED, 'data/illustrations/images', n), join(ill, 'images', n));
      await symlink(join(SHARED, 'data/illustrations/info', n.replace('.jpg', '.json')), join(ill, 'info', n.replace('.jpg', '.json')));
    }
    const cocoImages = join(SHARED, 'data/coco128-seg/images/train2017');
    const coco = join(dir, 'instances_train.json');
    await writeFile(
      coco,
      JSON.stringify({
        images: [{ id: 36, file_name: '000000000036.jpg', width: 481, height: 640 }],
        annotations: [{ id: 1, image_id: 36, category_id: 1, iscrowd: 0, bbox: [100, 100, 200, 400], area: 80000, segmentation: [[100, 100, 300, 100, 300, 500, 100, 500]] }],
        categories: [{ id: 1, name: 'person' }],
      }),
    );
    const env = { ...process.env, PYTHONPATH: VENDOR, YOLO_OFFLINE: 'True', YOLO_CONFIG_DIR: join(dir, 'yolo-cfg') };
    const out = join(dir, 'run');
    const lines: string[] = [];
    const opts = {
      out,
      fg: [fg],
      bg: [bg],
      exclude: ['osu_resources'],
      coco: { annotations: coco, images: cocoImages },
      base: join(SHARED, 'models/yolov8n-seg-coco.pt'),
      images: 8,
      valImages: 4,
      generatedBackgrounds: 5,
      valFraction: 0.3,
      epochs: 1,
      imgsz: 64,
      batch: 4,
      extra: ['workers=0'],
      conf: 0.4,
      illustrations: ill,
      wiseFt: 0.9,
      python: PYTHON,
      workers: 1,
      env,
      progress: 'silent' as const,
      log: (l: string) => lines.push(l),
    };
    const r = await runRecipe(opts);

    // Split: the osu folder is left out; 3 characters of 2 files, 30 % of 6 files → 1 character (2 files) held out.
    const recipe = JSON.parse(await readFile(join(out, 'recipe.json'), 'utf8'));
    assert.deepEqual(recipe.stages.inputs.foregrounds, { train: 4, val: 2, characters: 3, valCharacters: 1 });
    assert.deepEqual(recipe.stages.inputs.backgrounds, { train: 3, val: 1, generatedTrain: 4, generatedVal: 1 });
    // Mix: 8 synthesized training images by RECIPE_SHARES (round(8 x .17, .43, .19, .21) = 1, 3, 2, 2),
    // val 2 + 2, one COCO image, and the 3 + 4 training backgrounds as negatives.
    const counts = recipe.stages.mix.counts;
    assert.deepEqual(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, (v as { images: number }).images])), {
      simple: 1, enhanced: 3, pairs: 2, generated: 2, 'val-simple': 2, 'val-enhanced': 2, coco: 1, negatives: 7,
    });
    assert.equal(await readFile(join(out, 'mix/labels/train', (await readdir(join(out, 'mix/labels/train'))).find((f) => f.startsWith('negatives__'))!), 'utf8'), '');
    // The one-class start came from COCO's person channel.
    assert.equal(recipe.stages.base.classesBefore, 80);
    assert.match(recipe.stages.base.how, /'person'/);
    // The ONNX: 64 px input, one class (4 + 1 + 32 channels), recommended_conf in its metadata.
    const info = readOnnxInfo(await readFile(r.onnx));
    assert.deepEqual(info.inputs[0].dims, [1, 3, 64, 64]);
    assert.equal(info.outputs[0].dims[1], 37);
    assert.equal(info.metadata.recommended_conf, '0.4');
    // Ultralytics wrote the data.yaml's local path into `description`; the recipe replaces it.
    assert.doesNotMatch(info.metadata.description, /\//);
    assert.match(info.metadata.description, /animeseg train --recipe anime/);
    // Evaluation on the held-out split, with the regions refiner, and the illustration sweep.
    const ev = recipe.stages.evaluate.report;
    assert.equal(typeof ev.ultralytics.mean['metrics/mAP50-95(M)'], 'number');
    assert.match(await readFile(join(out, 'MODEL.md'), 'utf8'), /Mask mAP50 [0-9.]+ mAP50-95 [0-9.]+/);
    assert.ok(ev.quality.sources.regions, 'no --refine regions figures');
    assert.equal(ev.images, 4);
    const il = recipe.stages.illustrations.count;
    assert.equal(il.images, 3);
    assert.equal(il.listed, 1 + 2 + 2); // aladdin 1, mio 2, kaoru 2 (info/*.json)
    const card = await readFile(r.card, 'utf8');
    assert.match(card, /\| negatives \| train \| 7 \|/);
    assert.match(card, /\| 0\.4 \(recommended\) \|/);
    // --wise-ft: the delivered and measured model is the mix with the run's own start.
    assert.equal(r.onnx, join(out, 'runs/train/wise-ft.onnx'));
    assert.equal(recipe.stages['wise-ft'].from, join(out, 'base.pt'));
    assert.match(card, /- Model: WiSE-FT weights 0\.9 x trained \(best\.pt\) \+ 0\.1 x /);
    assert.match(card, /Most found minus extra on the sweep: conf 0\.\d+ \(chosen on the counted illustrations/);

    // A rerun of the same command finds every stage done and trains nothing.
    lines.length = 0;
    await runRecipe(opts);
    assert.ok(lines.some((l) => l === '[train] done before, skipped'));
    assert.ok(!lines.some((l) => l.startsWith('[train] ...')));
    // Other settings in the same folder are refused.
    await assert.rejects(runRecipe({ ...opts, images: 9 }), /other settings/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
