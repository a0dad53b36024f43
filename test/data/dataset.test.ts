import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { checkDataset, formatCheckReport } from '../../src/data/check.js';
import { mergeDatasets } from '../../src/data/merge.js';
import { previewDataset } from '../../src/data/preview.js';
import { formatDataYaml, labelPathFor, readDataYaml } from '../../src/data/yaml.js';
import { parseLabelText } from '../../src/data/labels.js';
import { AnimesegError } from '../../src/errors.js';

async function png(color: string, size = 32): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: color } }).png().toBuffer();
}

/** A small set written by hand: files and rows are listed in each test with what check must say. */
async function makeSet(root: string, files: Record<string, Buffer | string>, yaml?: string): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), content);
  }
  const y = join(root, 'data.yaml');
  await mkdir(root, { recursive: true });
  await writeFile(y, yaml ?? `path: ${root}\ntrain: images/train\nval: images/val\nnames:\n  0: character\n`);
  return y;
}

const TRI = '0 0.1 0.1 0.9 0.1 0.5 0.9';

test('labelPathFor follows Ultralytics img2label_paths (last /images/ → /labels/, .txt)', () => {
  assert.equal(labelPathFor('/d/images/train/a.jpg'), '/d/labels/train/a.txt');
  assert.equal(labelPathFor('/images/x/images/train/b.c.png'), '/images/x/labels/train/b.c.txt');
});

test('label row rules (hand-written rows)', () => {
  const r = parseLabelText(['0 0.1 0.1 0.9 0.1 0.5 0.9', '1 0.1 0.1 0.9 0.1 0.5 0.9', '0 0.5 0.5 0.2 0.2', '0 0.1 0.1 0.9', '0 0.1 0.1 1.2 0.1 0.5 0.9', '0 a 0.1 0.9 0.1 0.5 0.9', '', TRI].join('\n'), (c) => c === 0);
  assert.equal(r.rows.length, 1);
  assert.deepEqual(
    r.errors.map((e) => e.line),
    [2, 3, 4, 5, 6],
  ); // class 1 not in names, box-only row, odd count, 1.2 > 1, non-number
  assert.deepEqual(r.warnings.map((w) => w.line), [8]); // duplicate of line 1
});

test('check: a clean set passes with the right counts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-check-'));
  try {
    const y = await makeSet(dir, {
      'images/train/a.png': await png('#ff0000'),
      'images/train/b.png': await png('#00ff00'),
      'labels/train/a.txt': `${TRI}\n${TRI.replace('0.9 0.1', '0.8 0.1')}\n`,
      'labels/train/b.txt': '', // background image
      'images/val/c.png': await png('#0000ff'),
      'labels/val/c.txt': `${TRI}\n`,
    });
    const r = await checkDataset(y, { progress: 'silent' });
    assert.equal(r.ok, true, r.errors.join('\n'));
    assert.equal(r.counts.images, 3);
    assert.equal(r.counts.instances, 3);
    assert.equal(r.counts.backgrounds, 1);
    assert.deepEqual(r.counts.perSplit.train, { images: 2, labelled: 2, backgrounds: 1, missingLabels: 0, instances: 2 });
    assert.deepEqual(r.counts.perClass, { 0: 3 });
    assert.match(formatCheckReport(y, r), /OK$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('check: every kind of problem is found and reported', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-check-bad-'));
  try {
    const red = await png('#ff0000');
    const y = await makeSet(dir, {
      'images/train/a.png': red,
      'labels/train/a.txt': '0 0.1 0.1 1.5 0.1 0.5 0.9\n3 0.1 0.1 0.9 0.1 0.5 0.9\n0 0.1 0.1 0.9 0.1\n', // out of range, class 3, 2 points... (5 numbers = box row)
      'images/train/dup.png': red, // same bytes as a.png
      'labels/train/dup.txt': `${TRI}\n`,
      'images/train/nolabel.png': await png('#00ff00'),
      'images/train/broken.jpg': 'this is not a jpeg',
      'labels/train/broken.txt': `${TRI}\n`,
      'labels/train/orphan.txt': `${TRI}\n`,
      'images/val/v.png': await png('#0000ff'),
      'labels/val/v.txt': `${TRI}\n`,
    });
    const r = await checkDataset(y, { progress: 'silent' });
    assert.equal(r.ok, false);
    const text = r.errors.join('\n');
    assert.match(text, /a\.txt:1: coordinate 1\.5 outside \[0, 1\]/);
    assert.match(text, /a\.txt:2: class 3 is not in data\.yaml names/);
    assert.match(text, /a\.txt:3: box-only row/);
    assert.match(text, /images that do not open \(1\)/);
    assert.match(text, /broken\.jpg/);
    const warn = r.warnings.join('\n');
    assert.match(warn, /duplicate image files .*\n.*dup\.png = images\/train\/a\.png|duplicate image files .*\n.*a\.png = images\/train\/dup\.png/);
    assert.match(warn, /images without a label file .*\n\s+images\/train\/nolabel\.png/);
    assert.match(warn, /label files without an image .*\n\s+labels\/train\/orphan\.txt/);
    assert.equal(r.counts.badRows, 3);
    assert.equal(r.counts.duplicateImages, 1);
    assert.equal(r.counts.orphanLabels, 1);
    assert.equal(r.counts.unreadableImages, 1);
    assert.equal(r.counts.missingLabels, 1);
    assert.match(formatCheckReport(y, r), /FAILED/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('check: a broken data.yaml is an error, not an exception', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-check-yaml-'));
  try {
    const y = await makeSet(dir, {}, 'train: images/train\nnames: [a]\n'); // no val
    const r = await checkDataset(y, { progress: 'silent' });
    assert.equal(r.ok, false);
    assert.match(r.errors.join('\n'), /missing 'val'/);
    const r2 = await checkDataset(join(dir, 'nope.yaml'), { progress: 'silent' });
    assert.equal(r2.ok, false);
    assert.match(r2.errors.join('\n'), /cannot read data\.yaml/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('merge: lists every source folder, counts per source, refuses mismatched names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-merge-'));
  try {
    const a = await makeSet(join(dir, 'a'), {
      'images/train/1.png': await png('#111111'),
      'labels/train/1.txt': `${TRI}\n${TRI.replace('0.9 0.1', '0.8 0.1')}\n`,
      'images/val/2.png': await png('#222222'),
      'labels/val/2.txt': `${TRI}\n`,
    });
    // A set whose val is its train (as coco2yolo writes before val is converted): its images count once.
    const b = await makeSet(
      join(dir, 'b'),
      { 'images/train2017/3.png': await png('#333333'), 'labels/train2017/3.txt': `${TRI}\n` },
      `path: ${join(dir, 'b')}\ntrain: images/train2017\nval: images/train2017\nnames:\n  0: character\n`,
    );
    const r = await mergeDatasets([a, b], join(dir, 'merged'));
    assert.deepEqual(r.totals.images, { train: 2, val: 1 });
    assert.deepEqual(r.totals.instances, { train: 3, val: 1 });
    assert.deepEqual(r.sources.map((s) => s.images), [{ train: 1, val: 1 }, { train: 1 }]);
    const merged = await readDataYaml(join(dir, 'merged/data.yaml'));
    assert.deepEqual(merged.splits.train, [join(dir, 'a/images/train'), join(dir, 'b/images/train2017')]);
    assert.deepEqual(merged.splits.val, [join(dir, 'a/images/val')]);
    // The merged set passes check (labels found through each folder's /images/ → /labels/).
    const c = await checkDataset(join(dir, 'merged/data.yaml'), { progress: 'silent' });
    assert.equal(c.ok, true, c.errors.join('\n'));
    assert.equal(c.counts.instances, 4);

    const other = await makeSet(join(dir, 'c'), {}, `path: ${join(dir, 'c')}\ntrain: images/train\nval: images/val\nnames:\n  0: person\n`);
    await assert.rejects(mergeDatasets([a, other], join(dir, 'm2')), (e: unknown) => e instanceof AnimesegError && /class names differ/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('preview: a contact sheet of the requested size with polygons drawn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-preview-'));
  try {
    const y = await makeSet(dir, {
      'images/train/1.png': await png('#000000', 100),
      'labels/train/1.txt': '0 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9\n', // square covering the middle 80 %
      'images/train/2.png': await png('#000000', 100),
      'labels/train/2.txt': '',
      'images/val/3.png': await png('#000000', 100),
    });
    const out = join(dir, 'sheet.png');
    const r = await previewDataset({ data: y, out, count: 2, tile: 100, columns: 2, seed: 1 });
    assert.equal(r.images.length, 2);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 200);
    assert.equal(info.height, 100);
    // The labelled image's tile has coloured pixels inside its polygon; the empty one stays black.
    const tileOf1 = r.images.findIndex((p) => p.endsWith('1.png'));
    const centre = (tileOf1 * 100 + 50 + 50 * 200) * info.channels;
    const other = ((1 - tileOf1) * 100 + 50 + 50 * 200) * info.channels;
    assert.ok(data[centre] + data[centre + 1] + data[centre + 2] > 30, 'polygon fill visible');
    assert.equal(data[other] + data[other + 1] + data[other + 2], 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('data.yaml written with numeric class keys and an absolute path', () => {
  const text = formatDataYaml({ root: '/data/set', train: 'images/train', val: 'images/val', names: ['character'] });
  assert.match(text, /^path: \/data\/set$/m);
  assert.match(text, /^ {2}0: character$/m);
});

