/**
 * Stored-prediction schemas: the reference list schema and our segment JSON (class_id, box, rle, polygons),
 * RLE vs polygon of the same square, and clear errors for bad entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePredictions, predImageFromStored, readPredictions } from '../../src/eval/predictions.js';
import { valGeometry } from '../../src/eval/metrics/geometry.js';
import { encodeRle } from '../../src/mask/rle.js';
import { AnimesegError } from '../../src/errors.js';

/** A square of pixels x, y in [a, b] (inclusive) on a size x size image. */
function squareMask(size: number, a: number, b: number) {
  const data = new Uint8Array(size * size);
  for (let y = a; y <= b; y++) for (let x = a; x <= b; x++) data[y * size + x] = 1;
  return { data, width: size, height: size };
}

test('reference schema and segment-JSON schema describe the same prediction', () => {
  const ref = parsePredictions(JSON.stringify([{ image: 'a', cls: 0, score: 0.5, box_xyxy: [1, 2, 3, 4], polygon: [1, 2, 3, 2, 3, 4] }]), 'x.json');
  const seg = parsePredictions(
    JSON.stringify({ image: '/some/dir/a.png', width: 10, height: 10, instances: [{ class_id: 0, score: 0.5, box: [1, 2, 3, 4], polygons: [[1, 2, 3, 2, 3, 4]] }] }),
    'y.json',
  );
  assert.deepEqual(ref.get('a')!.predictions, seg.get('a')!.predictions);
  assert.equal(seg.get('a')!.width, 10);
});

test('the same square as an RLE mask and as a polygon lands on the same grid cells', () => {
  // 640x640 image with imgsz 640: the letterbox is the identity. The polygon (100,100)-(300,300) fills pixels
  // 100..300 inclusive (fillPoly includes the outline) = the RLE square; both are read at the same 2x2 pixels.
  const g = valGeometry(640, 640, 640);
  const box = [100, 100, 301, 301];
  const rle = encodeRle(squareMask(640, 100, 300));
  const doc = [
    { image: 'a', cls: 0, score: 0.9, box_xyxy: box, polygon: [100, 100, 300, 100, 300, 300, 100, 300] },
    { image: 'b', cls: 0, score: 0.9, box_xyxy: box, rle },
  ];
  const p = parsePredictions(JSON.stringify(doc), 'p.json');
  const a = predImageFromStored(p.get('a')!.predictions, g).masks[0];
  const b = predImageFromStored(p.get('b')!.predictions, g).masks[0];
  assert.deepEqual(a.data, b.data);
  // cell c reads pixels 4c+1 and 4c+2: both inside 100..300 for c = 25..74 (c = 24 reads 97, 98; c = 75 reads
  // 301, 302) and never just one of them -> 50 x 50 cells; the crop (25 <= c < 75.25) removes none of them.
  let n = 0;
  for (const v of a.data) n += v;
  assert.equal(n, 50 * 50);
});

test('predictions are put in descending score order (the validator receives NMS output that way)', () => {
  const g = valGeometry(64, 64, 64);
  const p = parsePredictions(
    JSON.stringify([
      { image: 'a', cls: 1, score: 0.2, box_xyxy: [0, 0, 8, 8] },
      { image: 'a', cls: 2, score: 0.7, box_xyxy: [0, 0, 8, 8] },
    ]),
    'p.json',
  );
  const pi = predImageFromStored(p.get('a')!.predictions, g);
  assert.deepEqual([...pi.cls], [2, 1]);
});

test('bad predictions are BAD_INPUT errors with the file and entry', () => {
  const bad = (doc: unknown, re: RegExp) =>
    assert.throws(() => parsePredictions(JSON.stringify(doc), 'p.json'), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT' && e.file === 'p.json' && re.test(e.message));
  bad([{ image: 'a', cls: 0, box_xyxy: [0, 0, 1, 1] }], /score/);
  bad([{ cls: 0, score: 1, box_xyxy: [0, 0, 1, 1] }], /image/);
  bad([{ image: 'a', cls: -1, score: 1, box_xyxy: [0, 0, 1, 1] }], /class/);
  bad([{ image: 'a', cls: 0, score: 1, polygon: [1, 2, 3] }], /polygon/);
  assert.throws(() => parsePredictions('{not json', 'p.json'), /not valid JSON/);
  // an RLE of the wrong size is refused when scored, not silently emptied
  const p = parsePredictions(JSON.stringify([{ image: 'a', cls: 0, score: 1, box_xyxy: [0, 0, 4, 4], rle: encodeRle(squareMask(8, 1, 2)) }]), 'p.json');
  assert.throws(() => predImageFromStored(p.get('a')!.predictions, valGeometry(16, 16, 64)), /8x8 but the image is 16x16/);
});

test('a folder of per-image JSON files (segment output) is merged by image', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-preds-'));
  try {
    const inst = (score: number) => ({ class_id: 0, class_name: 'person', score, box: [0, 0, 4, 4], polygons: [[0, 0, 4, 0, 4, 4]] });
    await writeFile(join(dir, 'a.json'), JSON.stringify({ image: 'imgs/a.jpg', width: 8, height: 8, instances: [inst(0.5), inst(0.4)] }));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ image: 'imgs/b.jpg', width: 8, height: 8, instances: [] }));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const m = await readPredictions(dir);
    assert.deepEqual([...m.keys()].sort(), ['a', 'b']);
    assert.equal(m.get('a')!.predictions.length, 2);
    assert.equal(m.get('b')!.predictions.length, 0);
    await assert.rejects(readPredictions(join(dir, 'missing.json')), /cannot read predictions/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
