// `animeseg dataset from-results`: segment results → COCO instances JSON + YOLO-seg set. Round trip on real
// illustrations: the exported set passes `dataset check`, and scoring the exported COCO JSON against the
// exported labels with `eval --predictions` is a perfect score. Under Ultralytics' AP rule a perfect
// predictor gets AP50 = 0.995, not 1 (hand: 101-point np.interp of the envelope, whose last point x = 1
// takes the appended precision 0; trapz = 100 x 0.01 x 1 - 0.01 x 1 / 2 = 0.995), so that is the target.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeRle } from '../../src/mask/rle.js';

const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
let root = '';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-fromres-'));
});
after(() => rm(root, { recursive: true, force: true }));

test('round trip: segment -> from-results (COCO + YOLO) -> dataset check passes -> eval --predictions is perfect', async () => {
  const inDir = join(root, 'in');
  await mkdir(inDir);
  // Six illustrations from ../shared/data/illustrations, one of them a PNG.
  for (const f of ['eren_1.jpg', 'luffy_1.jpg', 'cirno_1.png', 'miku_1.jpg', 'tewi_1.jpg', 'saber_1.jpg']) await copyFile(join(IMAGES, f), join(inDir, f));
  const seg = join(root, 'seg');
  let r = cli(['segment', inDir, '-o', seg, '--refine', 'regions', '--progress', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const ds = join(root, 'ds');
  const coco = join(root, 'coco.json');
  r = cli(['dataset', 'from-results', seg, '--coco', coco, '--yolo', ds, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  // segment ran the default model, whose one class is 'character' (its card, models/MODEL-animeseg-char.md).
  assert.deepEqual(summary.classes, ['character']);
  // Every instance of every result is exported (no filters given).
  let stored = 0;
  for (const f of (await readdir(seg)).filter((f) => f.endsWith('.json'))) stored += JSON.parse(await readFile(join(seg, f), 'utf8')).instances.length;
  assert.ok(stored >= 6, `instances found: ${stored}`);
  assert.equal(summary.instances + summary.dropped.noPolygon, stored);
  const doc = JSON.parse(await readFile(coco, 'utf8'));
  assert.equal(doc.annotations.length, summary.instances);
  assert.deepEqual(doc.categories, [{ id: 1, name: 'character' }]);

  r = cli(['dataset', 'check', join(ds, 'data.yaml'), '--progress', 'silent']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\nOK\n?$/);

  r = cli(['eval', '--data', join(ds, 'data.yaml'), '--predictions', coco, '--no-plots', '--json', '--progress', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout).ultralytics.mean;
  assert.equal(m['metrics/precision(B)'], 1);
  assert.equal(m['metrics/recall(B)'], 1);
  assert.equal(m['metrics/precision(M)'], 1);
  assert.equal(m['metrics/recall(M)'], 1);
  assert.ok(Math.abs(m['metrics/mAP50(B)'] - 0.995) < 1e-9, `box mAP50 ${m['metrics/mAP50(B)']}`);
  assert.ok(Math.abs(m['metrics/mAP50(M)'] - 0.995) < 1e-9, `mask mAP50 ${m['metrics/mAP50(M)']}`);
});

test('score and area filters, class renumbering, empty images left out and named', async () => {
  // Hand-made results: a 10x10 image; masks are filled rectangles, so area = w x h pixels.
  const res = join(root, 'hand');
  await mkdir(res);
  const img = join(root, 'hand-img.png');
  await copyFile(join(IMAGES, 'cirno_1.png'), img); // any existing image: only its path is used
  const rect = (x0: number, y0: number, x1: number, y1: number) => {
    const data = new Uint8Array(100);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * 10 + x] = 1;
    return encodeRle({ data, width: 10, height: 10 });
  };
  const inst = (id: number, cls: number, name: string, score: number, r: number[]) => ({ id, class_id: cls, class_name: name, score, area: (r[2] - r[0]) * (r[3] - r[1]), polygons: [], rle: rect(r[0], r[1], r[2], r[3]), box: r });
  await writeFile(join(res, 'a.json'), JSON.stringify({ image: img, width: 10, height: 10, instances: [
    inst(0, 16, 'dog', 0.9, [0, 0, 5, 5]), // kept: 25% area
    inst(1, 0, 'person', 0.2, [5, 5, 10, 10]), // dropped: score 0.2 < 0.3
    inst(2, 0, 'person', 0.8, [0, 6, 2, 8]), // dropped: 4% area < 10%
    inst(3, 0, 'person', 0.7, [4, 0, 10, 4]), // kept
  ] }));
  await writeFile(join(res, 'b.json'), JSON.stringify({ image: img, width: 10, height: 10, instances: [inst(0, 0, 'person', 0.1, [0, 0, 9, 9])] }));
  await writeFile(join(res, 'notes.json'), JSON.stringify({ something: 'else' }));
  const ds = join(root, 'hand-ds');
  const coco = join(root, 'hand-coco.json');
  const r = cli(['dataset', 'from-results', res, '--coco', coco, '--yolo', ds, '--min-score', '0.3', '--min-area', '0.1', '--link', 'copy', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.dropped, { score: 2, area: 1, noPolygon: 0 });
  assert.deepEqual(s.emptyImages, ['b']);
  assert.deepEqual(s.ignored, ['notes.json']);
  // Class ids 0 (person) and 16 (dog) become 0 and 1, in id order; COCO ids are those + 1.
  assert.deepEqual(s.classes, ['person', 'dog']);
  const doc = JSON.parse(await readFile(coco, 'utf8'));
  assert.deepEqual(doc.annotations.map((a: { category_id: number; area: number }) => [a.category_id, a.area]), [[2, 25], [1, 24]]);
  const label = (await readFile(join(ds, 'labels', 'train', 'a.txt'), 'utf8')).trim().split('\n');
  assert.deepEqual(label.map((l) => l.split(' ')[0]), ['1', '0']);
  // Polygon coordinates are normalised by the image size and lie within the rectangles (hand bounds).
  const dog = label[0].split(' ').slice(1).map(Number);
  for (let k = 0; k < dog.length; k += 2) assert.ok(dog[k] >= 0 && dog[k] <= 0.5 && dog[k + 1] >= 0 && dog[k + 1] <= 0.5, label[0]);
  await assert.rejects(readFile(join(ds, 'labels', 'train', 'b.txt')));
  // A rerun replaces its own export; a user's data.yaml or JSON is never replaced.
  assert.equal(cli(['dataset', 'from-results', res, '--coco', coco, '--yolo', ds, '--link', 'copy']).code, 0);
  const userYaml = join(root, 'user-ds');
  await mkdir(userYaml);
  await writeFile(join(userYaml, 'data.yaml'), 'path: /data\ntrain: images\nval: images\nnames: [cat]\n');
  const userJson = join(root, 'user.json');
  await writeFile(userJson, '{"images": [], "annotations": []}');
  for (const [args, file] of [[['--yolo', userYaml], join(userYaml, 'data.yaml')], [['--coco', userJson], userJson]] as const) {
    const before = await readFile(file, 'utf8');
    const x = cli(['dataset', 'from-results', res, ...args]);
    assert.equal(x.code, 2, x.stderr);
    assert.match(x.stderr, /was not written by 'dataset from-results'; refusing to replace it/);
    assert.equal(await readFile(file, 'utf8'), before);
  }
});
