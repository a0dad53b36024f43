// `dataset curate` end to end on real illustrations from ../shared/data: copies made by resizing, JPEG
// re-encoding and a 2 % crop group with their original, different characters do not; a greyscale copy
// of a colour illustration is dropped as monochrome; an unreadable file is reported and skipped. Then
// resume (a killed run's torn state lines, a missing output), removal of no-longer-kept files, refusal of
// a foreign folder, the three layouts read back (captions from the project's fake tagger), framing sizes,
// and segment results (one item per character, score and border-cut filters).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { curateDataset, type CurateOptions } from '../../src/curate/curate.js';
import { AnimesegError } from '../../src/errors.js';
import { decodeRle, encodeRle, rleFromJson } from '../../src/mask/rle.js';
import { maskBox } from '../../src/mask/ops.js';
import { fakeTaggerModel, fakeTagsCsv, type FakeTag } from '../../testing/onnx/fake-tagger.js';

const IMAGES = resolve('../shared/data/illustrations/images');
let root = '';
let realIn = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-curate-'));
  realIn = join(root, 'real');
  await mkdir(realIn);
  for (const f of ['miku_1.jpg', 'saber_1.jpg', 'cirno_1.png', 'tewi_1.jpg', 'luffy_1.jpg']) await copyFile(join(IMAGES, f), join(realIn, f));
  const miku = join(IMAGES, 'miku_1.jpg');
  const m = await sharp(miku).metadata();
  await sharp(miku).resize(Math.round(m.width! / 2)).png().toFile(join(realIn, 'miku_half.png'));
  await sharp(miku).jpeg({ quality: 40 }).toFile(join(realIn, 'miku_q40.jpg'));
  const cx = Math.round(m.width! * 0.02);
  const cy = Math.round(m.height! * 0.02);
  await sharp(miku).extract({ left: cx, top: cy, width: m.width! - 2 * cx, height: m.height! - 2 * cy }).png().toFile(join(realIn, 'miku_crop.png'));
  // Monochrome made from a colour illustration (luma, saved as a 3-channel JPEG like a scanned page).
  await sharp(join(IMAGES, 'saber_1.jpg')).grayscale().toColourspace('srgb').jpeg({ quality: 90 }).toFile(join(realIn, 'saber_grey.jpg'));
  await writeFile(join(realIn, 'broken.jpg'), Buffer.from('not a jpeg at all'));
});
after(() => rm(root, { recursive: true, force: true }));

const base = (out: string, extra: Partial<CurateOptions> = {}): CurateOptions => ({
  input: realIn,
  out,
  filters: { minColour: 0.05 },
  dedup: { hash: 'phash', distance: 10, keep: 'largest' },
  layout: { layout: 'plain' },
  progress: 'silent',
  ...extra,
});

test('real illustrations: duplicates group with their original, characters stay apart, monochrome and unreadable dropped', async () => {
  const out = join(root, 'out-real');
  const r = await curateDataset(base(out));
  assert.equal(r.mode, 'images');
  assert.equal(r.counts.items, 10);
  const dupGroup = r.groups.find((g) => g.members.some((m) => m.key === 'miku_1'));
  assert.ok(dupGroup, 'miku group');
  assert.deepEqual(dupGroup.members.map((m) => m.key).sort(), ['miku_1', 'miku_crop', 'miku_half', 'miku_q40']);
  // Keep the largest: the full-size original or its same-size JPEG copy, never the half or the crop.
  assert.ok(['miku_1', 'miku_q40'].includes(dupGroup.kept), dupGroup.kept);
  assert.equal(r.groups.length, 1, 'no other group: different characters are not duplicates');
  const reasons = Object.fromEntries(r.dropped.map((d) => [d.key, d.reason]));
  assert.equal(reasons.saber_grey, 'monochrome');
  assert.equal(reasons.broken, 'unreadable');
  assert.match(r.dropped.find((d) => d.key === 'broken')!.detail, /broken\.jpg/);
  assert.deepEqual(r.kept.map((k) => k.key).sort(), ['cirno_1', 'luffy_1', dupGroup.kept, 'saber_1', 'tewi_1'].sort());
  // Plain layout read back: metadata.csv has a row per kept picture, each file is there.
  const csv = (await readFile(join(out, 'metadata.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'file_name,caption,source,key,width,height,score');
  assert.equal(csv.length, 1 + 5);
  for (const row of csv.slice(1)) await stat(join(out, row.split(',')[0]));
  // The report and the contact sheets (kept, one per drop reason).
  const rep = JSON.parse(await readFile(join(out, '.curate', 'report.json'), 'utf8'));
  assert.equal(rep.dropped.length, 5);
  assert.deepEqual(Object.keys(r.sheets).sort(), ['duplicate', 'kept', 'monochrome', 'unreadable']);
  for (const s of Object.values(r.sheets)) assert.ok((await sharp(join(out, '.curate', s)).metadata()).width! > 0);
});

test('resume: a rerun reuses measures and pictures; a killed run (torn lines, a missing picture) finishes the rest', async () => {
  const out = join(root, 'out-resume');
  const first = await curateDataset(base(out, { sheets: false }));
  const again = await curateDataset(base(out, { sheets: false }));
  assert.equal(again.counts.reused, 10);
  assert.equal(again.counts.written, 0);
  // As a kill leaves it: one picture not written, a torn last line in both state files.
  await rm(join(out, first.kept[0].file));
  await appendFile(join(out, '.curate', 'outputs.jsonl'), '{"key":"tor');
  await appendFile(join(out, '.curate', 'analysis.jsonl'), '{"v":1,"key":"cirno_1","sou');
  const resumed = await curateDataset(base(out, { sheets: false }));
  assert.equal(resumed.counts.written, 1);
  assert.deepEqual(resumed.kept.map((k) => k.key), first.kept.map((k) => k.key));
  await stat(join(out, first.kept[0].file));
  // Stricter settings: pictures no longer kept are removed (they are ours), the rest stay.
  const strict = await curateDataset(base(out, { sheets: false, filters: { minColour: 0.05, minSide: 700 } }));
  assert.ok(strict.counts.removed > 0 && strict.counts.kept < first.counts.kept, JSON.stringify(strict.counts));
  const files = (await readdir(out)).filter((f) => f.endsWith('.png') || f.endsWith('.jpg'));
  assert.deepEqual(files.sort(), strict.kept.map((k) => k.file).sort());
});

test('a folder with files curate did not write is refused, and left as it was', async () => {
  const out = join(root, 'foreign');
  await mkdir(out);
  await writeFile(join(out, 'notes.txt'), 'mine');
  await assert.rejects(curateDataset(base(out)), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /not a curate output/.test(e.message));
  assert.equal(await readFile(join(out, 'notes.txt'), 'utf8'), 'mine');
});

const TAGS: FakeTag[] = [
  { name: 'red_background', category: 0, w: [0, 0, 0.02], b: -2 }, // red picture: 3.1 -> 0.957
  { name: 'blue_background', category: 0, w: [0.02, 0, 0], b: -2 }, // blue picture: 0.957
  { name: 'solo', category: 0, w: [0, 0, 0], b: 0 }, // 0.5 always
  { name: 'safe', category: 9, w: [0, 0, 0], b: 5 }, // rating: never written
];

async function syntheticSet(): Promise<{ input: string; model: string }> {
  const input = join(root, 'synthetic');
  await mkdir(input, { recursive: true });
  await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toFile(join(input, 'red.png'));
  await mkdir(join(input, 'sub'), { recursive: true });
  await sharp({ create: { width: 60, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toFile(join(input, 'sub', 'blue.png'));
  const model = join(root, 'tagger.onnx');
  await writeFile(model, fakeTaggerModel(TAGS));
  await writeFile(join(root, 'tagger.csv'), fakeTagsCsv(TAGS));
  return { input, model };
}

test('kohya layout with captions from the fake tagger, square framing', async () => {
  const { input, model } = await syntheticSet();
  const out = join(root, 'kohya');
  await curateDataset({ input, out, layout: { layout: 'kohya', trigger: 'mychar', classWord: '1girl', repeats: 5 }, tagger: model, frame: { mode: 'square', size: 64, background: [255, 255, 255] }, progress: 'silent', sheets: false });
  const folder = join(out, '5_mychar 1girl');
  assert.deepEqual((await readdir(folder)).sort(), ['red.png', 'red.txt', 'sub__blue.png', 'sub__blue.txt']);
  // Red: red_background 0.957, solo 0.5 (blue_background 0.119 and the rating left out).
  assert.equal(await readFile(join(folder, 'red.txt'), 'utf8'), 'mychar, red background, solo\n');
  // The 60x20 blue picture framed on a white 64x64 square is blue over 1/3 of it (64 x 21.3 px): B mean 255
  // (blue and white both have B = 255) gives blue_background 0.957; R mean 255 x 2/3 = 170 gives red_background
  // sigmoid(0.02 x 170 - 2) = sigmoid(1.4) = 0.80 >= 0.35 (the padding is part of what the tagger sees).
  assert.equal(await readFile(join(folder, 'sub__blue.txt'), 'utf8'), 'mychar, blue background, red background, solo\n');
  const meta = await sharp(join(folder, 'sub__blue.png')).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [64, 64, 3]);
});

test('hf layout (metadata.jsonl) and plain layout (metadata.csv) read back; buckets framing', async () => {
  const { input, model } = await syntheticSet();
  const hf = join(root, 'hf');
  await curateDataset({ input, out: hf, layout: { layout: 'hf', trigger: 'mychar' }, tagger: model, frame: { mode: 'buckets', size: 512 }, progress: 'silent', sheets: false });
  const lines = (await readFile(join(hf, 'train', 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  // The blue picture in its 768x320 bucket is blue over 768 x 256 px; the tagger pads that to a white 768
  // square, so again 1/3 blue: blue_background 0.957, red_background 0.80 (as in the kohya test).
  assert.deepEqual(lines.map((l) => [l.file_name, l.text]), [['red.png', 'mychar, red background, solo'], ['sub__blue.png', 'mychar, blue background, red background, solo']]);
  // 60x20 (aspect 3) takes the widest bucket 1536x640 at size 512: 768x320; transparent padding keeps alpha.
  const blue = await sharp(join(hf, 'train', 'sub__blue.png')).metadata();
  assert.deepEqual([blue.width, blue.height, blue.channels], [768, 320, 4]);
  assert.deepEqual((await readdir(join(hf, 'train'))).sort(), ['metadata.jsonl', 'red.png', 'sub__blue.png']);
  // Two images differing only in their extension keep it in their keys (and file names).
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0f0' } }).jpeg().toFile(join(input, 'red.jpg'));
  const plain = join(root, 'plain');
  await curateDataset({ input, out: plain, layout: { layout: 'plain' }, progress: 'silent', sheets: false });
  const csv = (await readFile(join(plain, 'metadata.csv'), 'utf8')).trim().split('\n');
  assert.deepEqual(csv.slice(1).map((r) => r.split(',').slice(0, 2)), [['red.jpg.png', ''], ['red.png.png', ''], ['sub__blue.png', '']]);
  await assert.rejects(curateDataset({ input, out: join(root, 'k2'), layout: { layout: 'kohya' }, progress: 'silent' }), (e: unknown) => e instanceof AnimesegError && /needs a trigger word/.test(e.message));
  // The same folder again as kohya: the plain pictures and metadata.csv (ours) go, the kohya folder comes.
  await curateDataset({ input, out: plain, layout: { layout: 'kohya', trigger: 't' }, progress: 'silent', sheets: false });
  assert.deepEqual((await readdir(plain)).sort(), ['.curate', '10_t']);
  assert.equal((await readdir(join(plain, '10_t'))).length, 6);
});

test('segment results: one item per character, score and border-cut filters (hand-made masks)', async () => {
  const res = join(root, 'results');
  await mkdir(res, { recursive: true });
  const img = join(res, 'src.png');
  await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 200, g: 30, b: 60 } } }).png().toFile(img);
  const rect = (x0: number, y0: number, x1: number, y1: number) => {
    const data = new Uint8Array(200);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * 20 + x] = 1;
    return encodeRle({ data, width: 20, height: 10 });
  };
  const inst = (score: number, r: number[]) => ({ class_id: 0, class_name: 'person', score, box: r, area: (r[2] - r[0]) * (r[3] - r[1]), polygons: [], rle: rect(r[0], r[1], r[2], r[3]) });
  await writeFile(join(res, 'src.json'), JSON.stringify({ image: img, width: 20, height: 10, settings: {}, instances: [
    inst(0.9, [2, 2, 6, 8]), // inside: kept
    inst(0.2, [8, 2, 12, 8]), // score 0.2 < 0.5
    // Against the right edge: 4x6 block x 16..19; outline = 4 x 6 - 2 x 4 interior = 16 pixels, 6 on the border: 0.375.
    inst(0.9, [16, 2, 20, 8]),
  ] }));
  const out = join(root, 'from-results');
  const r = await curateDataset({ input: res, out, filters: { minScore: 0.5, maxBorderCut: 0.3 }, layout: { layout: 'plain' }, progress: 'silent', sheets: false });
  assert.equal(r.mode, 'results');
  assert.deepEqual(r.kept.map((k) => k.key), ['src.inst00']);
  assert.deepEqual(r.dropped.map((d) => [d.key, d.reason, d.detail]), [['src.inst01', 'low-score', 'score 0.2 < 0.5'], ['src.inst02', 'border-cut', 'border cut 0.375 > 0.3']]);
  const cut = await sharp(join(out, 'src.inst00.png')).metadata();
  assert.deepEqual([cut.width, cut.height], [4, 6]);
});

test('real segment output: one item per stored character, cropped to its mask (bounds from the RLE)', async () => {
  const inDir = join(root, 'seg-in');
  await mkdir(inDir, { recursive: true });
  await copyFile(join(IMAGES, 'luffy_1.jpg'), join(inDir, 'luffy_1.jpg')); // two people
  const seg = join(root, 'seg');
  const r = spawnSync(process.execPath, [resolve('bin/animeseg.js'), 'segment', inDir, '-o', seg, '--progress', 'silent'], {
    encoding: 'utf8',
    env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models'), ANIMESEG_OFFLINE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(await readFile(join(seg, 'luffy_1.json'), 'utf8'));
  assert.ok(doc.instances.length >= 2, `instances: ${doc.instances.length}`);
  const out = join(root, 'seg-curated');
  const rep = await curateDataset({ input: seg, out, layout: { layout: 'plain' }, frame: { mode: 'none', background: undefined }, progress: 'silent', sheets: false });
  assert.equal(rep.mode, 'results');
  assert.deepEqual(rep.kept.map((k) => k.key), doc.instances.map((_: unknown, i: number) => `luffy_1.inst${String(i).padStart(2, '0')}`));
  for (const [i, inst] of doc.instances.entries()) {
    const m = decodeRle(rleFromJson(inst.rle));
    const b = maskBox(m)!;
    const meta = await sharp(join(out, rep.kept[i].file)).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [b[2] - b[0], b[3] - b[1], 4], rep.kept[i].key);
  }
});

test('CLI: dataset curate runs and prints its summary, exit 1 for an unreadable source; a missing --to is a usage error', () => {
  const BIN = resolve('bin/animeseg.js');
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ANIMESEG_OFFLINE: '1' } });
  let r = cli(['dataset', 'curate', realIn]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--to is required/);
  r = cli(['dataset', 'curate', realIn, '--to', join(root, 'cli'), '--dedup', '--min-colour', '0.05', '--layout', 'plain', '--no-sheets', '--progress', 'silent']);
  // Exit 1: one source (broken.jpg) could not be read; everything else was done.
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /1 source\(s\) could not be read/);
  assert.match(r.stdout, /curate: 10 item\(s\) \(images\), kept 5, dropped 5 \(unreadable 1, monochrome 1, duplicate 3\)/);
});
