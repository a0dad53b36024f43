// `animeseg segment` as a user runs it (child process), with the real model on small copies of real
// illustrations plus one file of each bad kind. Checks exit codes, messages, outputs, resume, stdin mode,
// and that inputs are never modified (sha256 before/after) and no partial outputs are left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { fakeYoloModel } from '../../testing/onnx/fake-models.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
let root = '';
let inDir = '';

function cli(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [BIN, 'segment', ...args], { input, encoding: input ? 'buffer' : 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models') } });
  return { code: r.status, stdout: r.stdout, stderr: String(r.stderr) };
}
async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await readdir(dir)) out[f] = createHash('sha256').update(await readFile(join(dir, f))).digest('hex');
  return out;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-cli-'));
  inDir = join(root, 'in');
  await mkdir(inDir);
  // Small copies keep the test fast; the model input is 320 px anyway.
  for (const name of ['eren_1.jpg', 'cirno_1.png']) {
    await sharp(join(IMAGES, name)).resize({ width: 400 }).toFile(join(inDir, name));
  }
  const good = await readFile(join(inDir, 'eren_1.jpg'));
  await writeFile(join(inDir, 'truncated.jpg'), good.subarray(0, good.length >> 1));
  await writeFile(join(inDir, 'empty.png'), new Uint8Array(0));
  await writeFile(join(inDir, 'text.webp'), 'not an image at all');
  await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#fff' } }).jpeg().toFile(join(inDir, 'huge.jpg'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a folder with good and bad images: good ones done, bad ones reported, exit 1, inputs unchanged', async () => {
  const before = await hashes(inDir);
  const out = join(root, 'out');
  const r = cli([inDir, '-o', out, '--model', MODEL, '--max-pixels', '5000000', '--overlay', '--instances', '--progress', 'plain']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /6 image\(s\): 2 done, 0 skipped \(already done\), 4 failed/);
  assert.match(r.stderr, /truncated\.jpg: cannot decode image/);
  assert.match(r.stderr, /empty\.png: file is empty/);
  assert.match(r.stderr, /text\.webp: not a readable image/);
  assert.match(r.stderr, /huge\.jpg: image is 3000x2000 = 6000000 pixels, more than the limit of 5000000/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack traces
  const files = (await readdir(out)).sort();
  for (const stem of ['eren_1', 'cirno_1']) {
    for (const ext of ['png', 'mask.png', 'json', 'overlay.png']) assert.ok(files.includes(`${stem}.${ext}`), `${stem}.${ext}`);
  }
  assert.ok(files.some((f) => /^eren_1\.inst00\.png$/.test(f)));
  // Nothing for the bad ones, and no temp files.
  assert.ok(files.every((f) => /^(eren_1|cirno_1)\./.test(f) || f === 'manifest.jsonl'), files.join(' '));
  assert.deepEqual(await hashes(inDir), before);

  const j = JSON.parse(await readFile(join(out, 'eren_1.json'), 'utf8'));
  assert.equal(j.width, 400);
  assert.ok(j.instances.length >= 1);
  const inst = j.instances[0];
  assert.equal(inst.class_name, 'person');
  assert.equal(inst.rle.size[0] * inst.rle.size[1], j.width * j.height);
  const cut = await sharp(join(out, 'eren_1.png')).metadata();
  assert.deepEqual([cut.width, cut.channels], [400, 4]);
  const mask = await sharp(join(out, 'eren_1.mask.png')).raw().toBuffer({ resolveWithObject: true });
  let area = 0;
  for (const v of mask.data) if (v > 127) area++;
  // The mask image is the union of the instance masks, so it is at least the largest instance.
  assert.ok(area >= Math.max(...j.instances.map((i: { area: number }) => i.area)));

  // Rerun: everything done is skipped; --overwrite redoes it.
  const again = cli([join(inDir, 'eren_1.jpg'), join(inDir, 'cirno_1.png'), '-o', out, '--model', MODEL, '--json', '--overlay', '--instances']);
  assert.equal(again.code, 0, again.stderr);
  const s = JSON.parse(String(again.stdout));
  assert.deepEqual([s.done, s.skipped, s.failed.length], [0, 2, 0]);
  const redo = JSON.parse(String(cli([join(inDir, 'eren_1.jpg'), '-o', out, '--model', MODEL, '--json', '--overwrite']).stdout));
  assert.equal(redo.done, 1);
  // Asking for other outputs (the overlay) is another setting: both are redone (issue 11, defect 2).
  const fill = JSON.parse(String(cli([join(inDir, 'eren_1.jpg'), join(inDir, 'cirno_1.png'), '-o', out, '--model', MODEL, '--json', '--overlay']).stdout));
  assert.deepEqual([fill.done, fill.skipped, fill.redone.settings], [2, 0, 2]);
  // An output the record lists is missing (the overlay): that image is redone, the other skipped.
  await rm(join(out, 'cirno_1.overlay.png'));
  const again2 = JSON.parse(String(cli([join(inDir, 'eren_1.jpg'), join(inDir, 'cirno_1.png'), '-o', out, '--model', MODEL, '--json', '--overlay']).stdout));
  assert.deepEqual([again2.done, again2.skipped], [1, 1]);
  assert.ok((await readdir(out)).includes('cirno_1.overlay.png'));
});

test('stdin to stdout: a PNG cutout of the same size', async () => {
  const img = await readFile(join(inDir, 'eren_1.jpg'));
  const r = cli(['-', '--model', MODEL], img);
  assert.equal(r.code, 0, r.stderr);
  const meta = await sharp(r.stdout as unknown as Buffer).metadata();
  assert.deepEqual([meta.format, meta.width, meta.channels], ['png', 400, 4]);
});

test('stdin applies --min-area/--max-covered as a file run does: the same kept instances, settings and cutout (issue 19)', async () => {
  const img = join(inDir, 'eren_1.jpg');
  const read = async (dir: string) => JSON.parse(await readFile(join(dir, 'eren_1.json'), 'utf8'));
  const plain = join(root, 'filter-plain');
  assert.equal(cli([img, '-o', plain, '--model', MODEL, '--progress', 'silent']).code, 0);
  const all = await read(plain);
  const fracs: number[] = all.instances.map((i: { area: number }) => i.area / (all.width * all.height)).sort((a: number, b: number) => a - b);
  assert.ok(fracs.length >= 2, `eren_1 should have several characters, has ${fracs.length}`);
  // Midway between the smallest and the largest character: the file run drops at least one and keeps one.
  const flags = ['--min-area', String((fracs[0] + fracs[fracs.length - 1]) / 2), '--max-covered', '0.9', '--model', MODEL];
  const filtered = join(root, 'filter-file');
  assert.equal(cli([img, '-o', filtered, '--progress', 'silent', ...flags]).code, 0);
  const file = await read(filtered);
  assert.ok(file.instances.length >= 1 && file.instances.length < all.instances.length, `file run kept ${file.instances.length} of ${all.instances.length}`);

  // The expected values are the file run's: the same instances, the filter recorded the same way.
  const bytes = await readFile(img);
  const j = cli(['-', '--json', ...flags], bytes);
  assert.equal(j.code, 0, j.stderr);
  const fromStdin = JSON.parse(String(j.stdout));
  assert.deepEqual(fromStdin.instances.map((i: { score: number; area: number }) => [i.score, i.area]), file.instances.map((i: { score: number; area: number }) => [i.score, i.area]));
  assert.deepEqual([fromStdin.settings.min_area, fromStdin.settings.max_covered], [file.settings.min_area, file.settings.max_covered]);
  const png = cli(['-', ...flags], bytes);
  assert.equal(png.code, 0, png.stderr);
  const pixels = (b: Buffer | string) => sharp(b).raw().toBuffer();
  assert.ok((await pixels(png.stdout as unknown as Buffer)).equals(await pixels(join(filtered, 'eren_1.png'))), 'the stdin cutout differs from the file run\'s');
});

test('an output that would overwrite an input is refused, the input stays intact', async () => {
  const dir = join(root, 'same');
  await mkdir(dir);
  await copyFile(join(inDir, 'cirno_1.png'), join(dir, 'cirno_1.png'));
  const before = await hashes(dir);
  const r = cli([join(dir, 'cirno_1.png'), '-o', dir, '--model', MODEL]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /would overwrite an input image/);
  // The input is intact; the only new file is the run manifest recording the failure.
  const { 'manifest.jsonl': manifest, ...after } = await hashes(dir);
  assert.deepEqual(after, before);
  assert.equal(JSON.parse(await readFile(join(dir, 'manifest.jsonl'), 'utf8')).status, 'failed', manifest);
});

test('model problems and usage errors: clear messages and exit codes', async () => {
  const cls = join(root, 'classify.onnx');
  await writeFile(cls, fakeYoloModel({ task: 'classify' }));
  let r = cli([join(inDir, 'eren_1.jpg'), '-o', join(root, 'o2'), '--model', cls]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /model task is 'classify'/);
  r = cli([join(inDir, 'eren_1.jpg'), '-o', join(root, 'o3'), '--model', join(root, 'missing.onnx')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /missing\.onnx/);
  r = cli([join(inDir, 'eren_1.jpg'), '-o', join(root, 'o4'), '--conf', '7']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--conf must be a number in \[0, 1\]/);
  r = cli([join(inDir, 'eren_1.jpg')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing -o OUT/);
  await assert.rejects(readdir(join(root, 'o2')));
});

test('--refine regions --soft-edge gives partial alpha on the outline; SAM flags without vote|box are usage errors', async () => {
  const out = join(root, 'out-soft');
  const r = cli([join(inDir, 'eren_1.jpg'), '-o', out, '--refine', 'regions', '--soft-edge', '--progress', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const { data, info } = await sharp(join(out, 'eren_1.png')).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 4);
  let partial = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0 && data[i] < 255) partial++;
  // A hard mask has no alpha strictly between 0 and 255; the guided filter must produce some.
  assert.ok(partial > 0, 'soft edge produced no partial alpha');
  const json = JSON.parse(await readFile(join(out, 'eren_1.json'), 'utf8'));
  assert.ok(json.instances.length > 0, "eren_1 has characters (reference.json lists detections)");
  assert.ok(json.instances.every((i: { mask_source?: string }) => i.mask_source === "regions"), JSON.stringify(json.instances.map((i: { mask_source?: string }) => i.mask_source)));

  const bad = cli([join(inDir, 'eren_1.jpg'), '-o', join(root, 'out-bad'), '--sam-model', 'sam-vit-l']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--sam-model needs --refine vote or --refine box/);
  const half = cli([join(inDir, 'eren_1.jpg'), '-o', join(root, 'out-bad'), '--refine', 'box', '--sam-encoder', 'e.onnx']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--sam-encoder and --sam-decoder go together/);
});

test('a folder with no images is an error before any model load, and writes nothing', async () => {
  const empty = join(root, 'no-images');
  await mkdir(empty);
  await writeFile(join(empty, 'notes.txt'), 'not an image');
  const out = join(root, 'out-empty');
  // A model path that does not exist: if the model were loaded first, the message would be about the model.
  const r = spawnSync(process.execPath, [BIN, 'segment', empty, '-o', out, '--model', join(root, 'missing.onnx')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no images found in .*no-images/);
  await assert.rejects(readdir(out), /ENOENT/);
});
