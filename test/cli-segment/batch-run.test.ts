// The batch runner's record keeping, as a user meets it: empty images named (issue 11 defect 1), resume only
// for the same source and settings (issue 11 defect 2, issue 14 item 3), junk-instance options (defect 8),
// the user's files never replaced (issue 14 item 1), outputs not read back as inputs (item 4), stale temp
// files removed (item 5), the output folder checked first (item 7), watch mode and library progress.
// Real model, small copies of real illustrations; "no character" comes from a blank white picture.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { runBatch, type ImageEvent } from '../../src/pipeline/run/batch.js';
import { expandInputs } from '../../src/pipeline/run/inputs.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
let root = '';
let inDir = '';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'segment', ...args, '--model', MODEL, '--progress', 'silent'], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: { stdout: string; stderr: string }) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`no JSON summary: ${r.stderr}`);
  }
};
const manifestLines = async (out: string) => (await readFile(join(out, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-batch-'));
  inDir = join(root, 'in');
  await mkdir(inDir);
  for (const name of ['eren_1.jpg', 'cirno_1.png']) await sharp(join(IMAGES, name)).resize({ width: 400 }).toFile(join(inDir, name));
  await sharp({ create: { width: 320, height: 320, channels: 3, background: '#fff' } }).png().toFile(join(inDir, 'blank.png'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('images with no character are named in the summary and the manifest; --skip-empty writes no cutout for them', async () => {
  const out = join(root, 'empty');
  const r = cli([inDir, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no character found in 1 image\(s\):\n\s+\S*blank\.png/);
  const lines = await manifestLines(out);
  assert.deepEqual(lines.map((l) => [l.name, l.status]).sort(), [['blank', 'empty'], ['cirno_1', 'ok'], ['eren_1', 'ok']]);
  const eren = lines.find((l) => l.name === 'eren_1');
  assert.equal(eren.instances, eren.scores.length);
  assert.equal(eren.areas.length, eren.instances);
  assert.deepEqual(eren.outputs, ['eren_1.png', 'eren_1.mask.png', 'eren_1.json']);

  const skip = join(root, 'skip-empty');
  const s = json(cli([inDir, '-o', skip, '--skip-empty', '--json']));
  assert.deepEqual(s.empty, [join(inDir, 'blank.png')]);
  const files = await readdir(skip);
  assert.ok(files.includes('blank.json') && !files.includes('blank.png') && !files.includes('blank.mask.png'), files.join(' '));
  assert.ok(files.includes('eren_1.png'));
  // A rerun still names the empty image although it does nothing.
  const again = json(cli([inDir, '-o', skip, '--skip-empty', '--json']));
  assert.deepEqual([again.skipped, again.empty], [3, [join(inDir, 'blank.png')]]);
});

test('a rerun with other settings redoes the images and says so; another source with the same name is not "done"', async () => {
  const out = join(root, 'settings');
  const one = [join(inDir, 'eren_1.jpg'), join(inDir, 'cirno_1.png')];
  assert.equal(cli([...one, '-o', out]).code, 0);
  const same = json(cli([...one, '-o', out, '--json']));
  assert.deepEqual([same.done, same.skipped], [0, 2]);
  const conf = cli([...one, '-o', out, '--conf', '0.1']);
  assert.match(conf.stderr, /2 done, 0 skipped.*\n\s+redone: 2 because settings changed/);
  const refine = json(cli([...one, '-o', out, '--conf', '0.1', '--refine', 'regions', '--json']));
  assert.deepEqual([refine.done, refine.redone.settings], [2, 2]);
  const j = JSON.parse(await readFile(join(out, 'eren_1.json'), 'utf8'));
  assert.equal(j.settings.refine, 'regions');
  assert.equal(j.settings.conf, 0.1);
  // NAME.json is snake_case throughout (issue 10: the detection keys came as camelCase maxDet beside min_area).
  assert.equal(j.settings.max_det, 300); // the default, DETECT_DEFAULTS / Ultralytics' max_det
  for (const k of Object.keys(j.settings)) assert.match(k, /^[a-z0-9_]+$/, `settings key ${k}`);

  // d2/eren_1.jpg after in/eren_1.jpg: the JSON names the first source, so it is redone, not skipped.
  const d2 = join(root, 'd2');
  await mkdir(d2);
  await sharp(join(IMAGES, 'cirno_1.png')).resize({ width: 300 }).jpeg().toFile(join(d2, 'eren_1.jpg'));
  const other = json(cli([join(d2, 'eren_1.jpg'), '-o', out, '--conf', '0.1', '--refine', 'regions', '--json']));
  assert.deepEqual([other.done, other.skipped, other.redone.source], [1, 0, 1]);
  const j2 = JSON.parse(await readFile(join(out, 'eren_1.json'), 'utf8'));
  assert.equal(j2.image, join(d2, 'eren_1.jpg'));
  assert.equal(j2.width, 300);
});

test("a user's own file is never replaced without --overwrite; the refusal comes before the model loads", async () => {
  const out = join(root, 'user');
  await mkdir(out);
  const mine = Buffer.from('my own picture, not made by animeseg');
  await writeFile(join(out, 'eren_1.png'), mine);
  const r = spawnSync(process.execPath, [BIN, 'segment', join(inDir, 'eren_1.jpg'), '-o', out, '--model', join(root, 'no-such-model.onnx')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /refusing to replace 1 file\(s\) that animeseg did not write: eren_1\.png/);
  assert.match(r.stderr, /--overwrite/);
  assert.doesNotMatch(r.stderr, /no-such-model/); // refused before the model was looked for
  assert.deepEqual(await readFile(join(out, 'eren_1.png')), mine);
  assert.deepEqual(await readdir(out), ['eren_1.png']);
  const ok = cli([join(inDir, 'eren_1.jpg'), '-o', out, '--overwrite']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.notDeepEqual(await readFile(join(out, 'eren_1.png')), mine);
  // Now the file is ours (the manifest names it): a plain rerun with other settings may redo it.
  assert.equal(cli([join(inDir, 'eren_1.jpg'), '-o', out, '--conf', '0.3']).code, 0);
  // A run with --only-mask records no cutout; a picture the user puts there afterwards is theirs.
  assert.equal(cli([join(inDir, 'cirno_1.png'), '-o', out, '--only-mask']).code, 0);
  await writeFile(join(out, 'cirno_1.png'), mine);
  const later = cli([join(inDir, 'cirno_1.png'), '-o', out]);
  assert.equal(later.code, 1);
  assert.match(later.stderr, /refusing to replace 1 file\(s\) that animeseg did not write: cirno_1\.png/);
  assert.deepEqual(await readFile(join(out, 'cirno_1.png')), mine);
});

test('-o equal to the input folder: a rerun does not take the outputs as inputs', async () => {
  const dir = join(root, 'same-folder');
  await mkdir(dir);
  await copyFile(join(inDir, 'eren_1.jpg'), join(dir, 'eren_1.jpg'));
  const first = json(cli([dir, '-o', dir, '--overlay', '--json']));
  assert.deepEqual([first.total, first.done], [1, 1]);
  const second = json(cli([dir, '-o', dir, '--overlay', '--json']));
  assert.deepEqual([second.total, second.skipped], [1, 1]);
  assert.ok((await readdir(dir)).every((f) => !f.includes('-2')));
});

test('temp files of a killed run are removed; an unusable output folder fails first, with a clear message', async () => {
  const out = join(root, 'temps');
  await mkdir(out);
  await writeFile(join(out, '.animeseg-tmp-0123456789ab-eren_1.png'), 'half');
  assert.equal(cli([join(inDir, 'eren_1.jpg'), '-o', out]).code, 0);
  assert.ok((await readdir(out)).every((f) => !f.startsWith('.animeseg-tmp-')));

  await writeFile(join(root, 'a-file'), 'x');
  const r = spawnSync(process.execPath, [BIN, 'segment', join(inDir, 'eren_1.jpg'), '-o', join(root, 'a-file', 'out'), '--model', join(root, 'no-such-model.onnx')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a-file\/out: cannot create the output folder: \S*a-file is a file, not a folder/);
  assert.doesNotMatch(r.stderr, /no-such-model|internal error|animeseg-tmp/);
});

test('--min-area drops characters smaller than the fraction; --max-covered is part of the settings', async () => {
  const out = join(root, 'min-area');
  assert.equal(cli([join(inDir, 'eren_1.jpg'), '-o', out]).code, 0);
  const j = JSON.parse(await readFile(join(out, 'eren_1.json'), 'utf8'));
  const fracs: number[] = j.instances.map((i: { area: number }) => i.area / (j.width * j.height)).sort((a: number, b: number) => b - a);
  assert.ok(fracs.length >= 1);
  // Just above the largest character: nothing is left, the image is reported empty.
  const none = json(cli([join(inDir, 'eren_1.jpg'), '-o', out, '--min-area', String(fracs[0] + 1e-4), '--json']));
  assert.deepEqual(none.empty, [join(inDir, 'eren_1.jpg')]);
  // Just below it: exactly the characters at least that large stay.
  const big = json(cli([join(inDir, 'eren_1.jpg'), '-o', out, '--min-area', String(fracs[0] - 1e-4), '--json']));
  assert.equal(big.instances, fracs.filter((f) => f >= fracs[0] - 1e-4).length);
  const again = json(cli([join(inDir, 'eren_1.jpg'), '-o', out, '--min-area', String(fracs[0] - 1e-4), '--max-covered', '0.5', '--json']));
  assert.equal(again.redone.settings, 1);
  assert.equal(cli([join(inDir, 'eren_1.jpg'), '-o', out, '--min-area', '2']).code, 2);
});

test('--watch processes files that appear, once they are complete, and ends cleanly on SIGTERM', async () => {
  const watched = join(root, 'watched');
  const out = join(root, 'watch-out');
  await mkdir(watched);
  const child = spawn(process.execPath, [BIN, 'segment', watched, '-o', out, '--watch', '--model', MODEL, '--progress', 'silent', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const waitFor = async (cond: () => boolean, what: string, ms = 60000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await waitFor(() => /watching/.test(stderr), 'the watch to start');
    // A file written in two halves with a pause: it must not be read while incomplete.
    const bytes = await readFile(join(inDir, 'eren_1.jpg'));
    await writeFile(join(watched, 'eren_1.jpg'), bytes.subarray(0, bytes.length >> 1));
    await new Promise((r) => setTimeout(r, 700));
    await writeFile(join(watched, 'eren_1.jpg'), bytes);
    await copyFile(join(inDir, 'blank.png'), join(watched, 'blank.png'));
    await waitFor(() => existsSync(join(out, 'manifest.jsonl')) && /blank\.png: empty/.test(stderr) && /eren_1\.jpg: ok/.test(stderr), 'both images');
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0, stderr);
    const s = JSON.parse(stdout);
    assert.deepEqual([s.done, s.failed.length], [2, 0]);
    const lines = await manifestLines(out);
    assert.deepEqual(lines.map((l) => [l.name, l.status]).sort(), [['blank', 'empty'], ['eren_1', 'ok']]);
  } finally {
    child.kill('SIGKILL');
  }
});

test('library: onProgress gets each image with its status, instances and outputs', async () => {
  const seg = await createSegmenter({ model: MODEL });
  try {
    const items = await expandInputs([join(inDir, 'eren_1.jpg'), join(inDir, 'blank.png')]);
    const events: ImageEvent[] = [];
    const out = join(root, 'lib');
    await runBatch(seg, items, { outDir: out, progress: 'silent', onProgress: (e) => events.push(e) });
    const byName = new Map(events.map((e) => [e.item.name, e]));
    const eren = byName.get('eren_1')!;
    assert.equal(eren.status, 'ok');
    assert.ok(eren.instances!.length >= 1 && eren.instances!.every((i) => i.mask.width === 400));
    assert.deepEqual(eren.outputs, ['eren_1.png', 'eren_1.mask.png', 'eren_1.json'].map((f) => join(out, f)));
    assert.equal(byName.get('blank')!.status, 'empty');
    assert.deepEqual(events.map((e) => e.finished).sort(), [1, 2]);
    const again: ImageEvent[] = [];
    await runBatch(seg, items, { outDir: out, progress: 'silent', onProgress: (e) => again.push(e) });
    assert.deepEqual(again.map((e) => [e.status, e.record?.status]).sort(), [['skipped', 'empty'], ['skipped', 'ok']]);
  } finally {
    await seg.dispose();
  }
});
