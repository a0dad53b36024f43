import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coco2yolo } from '../../src/data/coco2yolo.js';
import { formatG, mergeMultiSegment, minIndex } from '../../src/data/polygons.js';
import { COCO80_NAMES, COCO91_TO_80 } from '../../src/data/coco/classes.js';
import { AnimesegError } from '../../src/errors.js';
import { readDataYaml } from '../../src/data/yaml.js';

// All expected rows below are computed by hand from Ultralytics' convert_coco / merge_multi_segment as
// written in ultralytics/data/converter.py; each block says how.

test('class table: 91 COCO ids map onto 80 contiguous classes, person = 0', () => {
  assert.equal(COCO91_TO_80.length, 91);
  assert.equal(COCO80_NAMES.length, 80);
  const mapped = COCO91_TO_80.filter((v) => v !== null);
  assert.deepEqual(mapped, Array.from({ length: 80 }, (_, i) => i)); // contiguous 0..79 in order
  assert.equal(COCO91_TO_80[0], 0); // category 1 (person) → 0
  assert.equal(COCO91_TO_80[11], null); // category 12 has no class
});

test('formatG matches Python "%g" on hand-checked values', () => {
  // Expected strings are what CPython prints for '%g' % x (6 significant digits, half-even on exact ties).
  const cases: [number, string][] = [
    [0.5, '0.5'],
    [0.123456789, '0.123457'],
    [1e-5, '1e-05'],
    [0.00012345678, '0.000123457'],
    [0.001953125, '0.00195312'], // exact tie 0.001953125 → half-even keeps ...2
    [0.0078125, '0.0078125'],
    [1234567, '1.23457e+06'],
    [0.999999999, '1'],
    [100000, '100000'],
    [0, '0'],
  ];
  for (const [x, s] of cases) assert.equal(formatG(x), s, `formatG(${x})`);
});

test('minIndex: first pair in row-major order wins ties', () => {
  // (10,0)-(20,0) and (10,10)-(20,10) are both 100 apart; numpy argmin returns the first, i=1 j=0.
  assert.deepEqual(minIndex([0, 0, 10, 0, 10, 10, 0, 10], [20, 0, 30, 0, 30, 10, 20, 10]), [1, 0]);
});

test('mergeMultiSegment reproduces Ultralytics on two and three parts (hand traced)', () => {
  // Two squares: closest pair (1, 0) → part 0 rolled to start at (10,0) and closed, then part 1 closed.
  assert.deepEqual(mergeMultiSegment([[0, 0, 10, 0, 10, 10, 0, 10], [20, 0, 30, 0, 30, 10, 20, 10]]), [
    10, 0, 10, 10, 0, 10, 0, 0, 10, 0, 20, 0, 30, 0, 30, 10, 20, 10, 20, 0,
  ]);
  // Three parts, middle part entered at index 1 and left at index 0 (idx [1, 0] → reversed):
  // forward: P0 rolled by 1 + close = (1,0)(1,1)(0,0)(1,0); P1 reversed = (11,1)(10,1)(10,0)(11,0), closed,
  // rows 0..1 = (11,1)(10,1); P2 closed = (20,0)(21,0)(21,1)(20,0); backward: P1 from row 1 on.
  assert.deepEqual(mergeMultiSegment([[0, 0, 1, 0, 1, 1], [11, 0, 10, 0, 10, 1, 11, 1], [20, 0, 21, 0, 21, 1]]), [
    1, 0, 1, 1, 0, 0, 1, 0, 11, 1, 10, 1, 20, 0, 21, 0, 21, 1, 20, 0, 10, 1, 10, 0, 11, 0, 11, 1,
  ]);
});

function cocoFixture() {
  return {
    info: { description: 'hand-written test set', note: 'a [bracket] and a "quote" in a string' },
    licenses: [],
    images: [
      { id: 1, file_name: 'a.jpg', width: 100, height: 50 },
      { id: 2, file_name: 'b.jpg', width: 200, height: 100 },
      { id: 3, file_name: 'c.jpg', width: 10, height: 10 }, // no annotations at all
      { id: 4, file_name: 'd.jpg', width: 100, height: 100 }, // only a crowd annotation
      { id: 5, file_name: 'e.jpg', width: 100, height: 100 }, // annotated but the image file is missing
    ],
    annotations: [
      // kept: box (10+20/2)/100 = 0.2, (5+10/2)/50 = 0.2, 0.2, 0.2; polygon /[100, 50]
      { id: 11, image_id: 1, category_id: 1, iscrowd: 0, bbox: [10, 5, 20, 10], segmentation: [[10, 5, 30, 5, 30, 15, 10, 15]] },
      // crowd: skipped
      { id: 12, image_id: 1, category_id: 1, iscrowd: 1, bbox: [0, 0, 5, 5], segmentation: { counts: [0, 25], size: [50, 100] } },
      // car (91-id 3 → class 2): dropped by --classes person, kept as class 2 without a filter
      { id: 13, image_id: 1, category_id: 3, iscrowd: 0, bbox: [60, 10, 20, 20], segmentation: [[60, 10, 80, 10, 80, 30]] },
      // zero-width box: skipped
      { id: 14, image_id: 1, category_id: 1, iscrowd: 0, bbox: [50, 10, 0, 5], segmentation: [[50, 10, 50, 15, 50, 12]] },
      // same class and box as 11: duplicate row, dropped (Ultralytics dedups on the box)
      { id: 15, image_id: 1, category_id: 1, iscrowd: 0, bbox: [10, 5, 20, 10], segmentation: [[11, 6, 29, 6, 29, 14]] },
      // kept: 0.001/100 = 1e-05 printed in exponent form; 1/50 = 0.02; 50/100 = 0.5; 40/50 = 0.8
      { id: 16, image_id: 1, category_id: 1, iscrowd: 0, bbox: [0, 1, 50, 39], segmentation: [[0.001, 1, 50, 1, 50, 40]] },
      // two parts → merged as in the mergeMultiSegment test above, then /[200, 100]
      { id: 21, image_id: 2, category_id: 1, iscrowd: 0, bbox: [0, 0, 30, 10], segmentation: [[0, 0, 10, 0, 10, 10, 0, 10], [20, 0, 30, 0, 30, 10, 20, 10]] },
      // category 12 has no 80-class id: skipped
      { id: 22, image_id: 2, category_id: 12, iscrowd: 0, bbox: [5, 5, 5, 5], segmentation: [[5, 5, 10, 5, 10, 10]] },
      { id: 41, image_id: 4, category_id: 1, iscrowd: 1, bbox: [0, 0, 50, 50], segmentation: { counts: [0, 100], size: [100, 100] } },
      { id: 51, image_id: 5, category_id: 1, iscrowd: 0, bbox: [0, 0, 50, 50], segmentation: [[0, 0, 50, 0, 50, 50]] },
    ],
    categories: [{ id: 1, name: 'person', supercategory: 'person' }],
  };
}

const EXPECTED_A_PERSON = ['0 0.1 0.1 0.3 0.1 0.3 0.3 0.1 0.3', '0 1e-05 0.02 0.5 0.02 0.5 0.8'];
// (10,0)(10,10)(0,10)(0,0)(10,0)(20,0)(30,0)(30,10)(20,10)(20,0) divided by (200, 100)
const EXPECTED_B = ['0 0.05 0 0.05 0.1 0 0.1 0 0 0.05 0 0.1 0 0.15 0 0.15 0.1 0.1 0.1 0.1 0'];

async function setup(json: string) {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-coco-'));
  const images = join(dir, 'src-images');
  await mkdir(images);
  for (const f of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']) await writeFile(join(images, f), `fake image ${f}`);
  const ann = join(dir, 'instances_train2017.json');
  await writeFile(ann, json);
  return { dir, images, ann, out: join(dir, 'out') };
}

async function lines(p: string): Promise<string[]> {
  return (await readFile(p, 'utf8')).split('\n').filter((l) => l !== '');
}

test('coco2yolo --classes person: hand-computed rows, only annotated images linked', async () => {
  const { dir, images, ann, out } = await setup(JSON.stringify(cocoFixture()));
  try {
    const stats = await coco2yolo({ annotations: ann, images, out, classes: ['person'], progress: 'silent' });
    assert.equal(stats.split, 'train2017');
    assert.deepEqual(await lines(join(out, 'labels/train2017/a.txt')), EXPECTED_A_PERSON);
    assert.deepEqual(await lines(join(out, 'labels/train2017/b.txt')), EXPECTED_B);
    assert.deepEqual((await readdir(join(out, 'labels/train2017'))).sort(), ['a.txt', 'b.txt']);
    assert.deepEqual((await readdir(join(out, 'images/train2017'))).sort(), ['a.jpg', 'b.jpg']);
    assert.deepEqual(stats.missingImages, ['e.jpg']);
    assert.equal(stats.skipped.crowd, 2);
    assert.equal(stats.skipped.degenerateBox, 1);
    assert.equal(stats.skipped.duplicate, 1);
    assert.equal(stats.skipped.otherClass, 1);
    assert.equal(stats.skipped.unmappedCategory, 1);
    const y = await readDataYaml(join(out, 'data.yaml'));
    assert.deepEqual([...y.names.entries()], [[0, 'person']]);
    assert.deepEqual(y.splits.train, [join(out, 'images/train2017')]);
    // hard links share the inode with the source
    assert.equal((await stat(join(out, 'images/train2017/a.jpg'))).ino, (await stat(join(images, 'a.jpg'))).ino);
    // a second run refuses instead of silently redoing the work
    await assert.rejects(coco2yolo({ annotations: ann, images, out, classes: ['person'], progress: 'silent' }), AnimesegError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('coco2yolo without a class filter keeps the car as class 2; annotations before images give the same rows', async () => {
  const c = cocoFixture();
  // Same content with 'annotations' before 'images' (valid JSON, unusual order): needs a second pass.
  const reordered = JSON.stringify({ annotations: c.annotations, categories: c.categories, images: c.images, info: c.info });
  const { dir, images, ann, out } = await setup(reordered);
  try {
    await coco2yolo({ annotations: ann, images, out, link: 'copy', progress: 'silent' });
    // car: box (60+10)/100 = 0.7, (10+10)/50 = 0.4; polygon (60,10)(80,10)(80,30) / (100, 50)
    assert.deepEqual(await lines(join(out, 'labels/train2017/a.txt')), [EXPECTED_A_PERSON[0], '2 0.6 0.2 0.8 0.2 0.8 0.6', EXPECTED_A_PERSON[1]]);
    assert.deepEqual(await lines(join(out, 'labels/train2017/b.txt')), EXPECTED_B);
    const y = await readDataYaml(join(out, 'data.yaml'));
    assert.equal(y.names.size, 80);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('corrupt annotation files: clear BAD_DATASET error, nothing left that looks complete', async () => {
  const full = JSON.stringify(cocoFixture());
  const broken = [
    full.slice(0, Math.floor(full.length * 0.7)), // truncated download
    full.replace('"bbox":[10,5,20,10]', '"bbox":[10,5,,10]'), // garbage inside an element
    '', // empty file
    'not json at all',
  ];
  for (const text of broken) {
    const { dir, images, ann, out } = await setup(text);
    try {
      await assert.rejects(coco2yolo({ annotations: ann, images, out, progress: 'silent' }), (e: unknown) => {
        assert.ok(e instanceof AnimesegError);
        assert.equal(e.code, 'BAD_DATASET');
        assert.match(e.message, /corrupt annotation file/);
        return true;
      });
      const left = await readdir(out).catch(() => [] as string[]);
      assert.ok(!left.includes('data.yaml'), 'no data.yaml');
      assert.ok(!left.includes('labels'), 'no labels folder');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test('--names renames the kept classes in data.yaml (person → character); a wrong count is refused', async () => {
  const { dir, images, ann, out } = await setup(JSON.stringify(cocoFixture()));
  try {
    await assert.rejects(coco2yolo({ annotations: ann, images, out, classes: ['person'], names: ['a', 'b'], progress: 'silent' }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
    await coco2yolo({ annotations: ann, images, out, classes: ['person'], names: ['character'], link: 'none', progress: 'silent' });
    const y = await readDataYaml(join(out, 'data.yaml'));
    assert.deepEqual([...y.names.entries()], [[0, 'character']]);
    assert.deepEqual(await lines(join(out, 'labels/train2017/b.txt')), EXPECTED_B); // rows unchanged
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
