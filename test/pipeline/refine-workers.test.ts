// Refinement on worker threads (src/refine/worker-pool.ts). Expected values: the in-process refiner's own
// output on the same inputs (real illustrations, the real YOLO model), byte for byte; error codes as
// createRefiner and the vote refiner throw them in-process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createSegmenter, type Segmenter } from '../../src/pipeline/segmenter.js';
import { refinerRunsInWorkers, startRefinerPool } from '../../src/refine/worker-pool.js';
import { createRefiner, resolveSoftEdge, runRefineStage } from '../../src/refine/index.js';
import { AnimesegError } from '../../src/errors.js';
import type { Instance } from '../../src/pipeline/types.js';
import type { RawImage } from '../../src/image/types.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGES = resolve('../shared/data/illustrations/images');
const FILES = ['aomine_1.jpg', 'eren_1.jpg', 'cirno_1.png'];

let inProcess: Segmenter;
let pooled: Segmenter;

before(async () => {
  const opts = { model: MODEL, refine: 'regions' as const, softEdge: true };
  inProcess = await createSegmenter(opts);
  pooled = await createSegmenter({ ...opts, refineWorkers: 2 });
});

after(async () => {
  await inProcess?.dispose();
  await pooled?.dispose();
});

function sameInstances(a: Instance[], b: Instance[], what: string): void {
  assert.equal(b.length, a.length, `${what}: instance count`);
  a.forEach((x, i) => {
    const y = b[i];
    assert.equal(y.mask.width, x.mask.width);
    assert.equal(y.mask.height, x.mask.height);
    assert.ok(Buffer.from(y.mask.data).equals(Buffer.from(x.mask.data)), `${what} #${i}: mask bytes`);
    assert.equal(y.alpha === undefined, x.alpha === undefined, `${what} #${i}: alpha presence`);
    if (x.alpha) assert.ok(Buffer.from(y.alpha!).equals(Buffer.from(x.alpha)), `${what} #${i}: alpha bytes`);
    const { mask: _m1, alpha: _a1, ...restX } = x;
    const { mask: _m2, alpha: _a2, ...restY } = y;
    assert.deepEqual(restY, restX, `${what} #${i}: other fields (maskSource, box, score...)`);
  });
}

test('regions in workers gives the same masks and alpha as in-process, images in flight together', async () => {
  const paths = FILES.map((f) => resolve(IMAGES, f));
  const a = await Promise.all(paths.map((p) => inProcess.segment(p)));
  const b = await Promise.all(paths.map((p) => pooled.segment(p)));
  let refined = 0;
  a.forEach((r, k) => {
    sameInstances(r.instances, b[k].instances, FILES[k]);
    refined += r.instances.filter((i) => i.maskSource === 'regions').length;
    // The caller's image is left intact (it is copied, not transferred): cutouts are cut from it.
    assert.ok(Buffer.from(b[k].image.data).equals(Buffer.from(r.image.data)));
  });
  assert.ok(refined >= 4, `expected refined instances on the test images, got ${refined}`);
});

function job(w: number, h: number, maskW = w, maskH = h): { image: RawImage; instances: Instance[] } {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
  const mask = new Uint8Array(maskW * maskH);
  for (let y = Math.floor(maskH / 4); y < (3 * maskH) / 4; y++) mask.fill(1, y * maskW + Math.floor(maskW / 4), y * maskW + Math.floor((3 * maskW) / 4));
  return {
    image: { data, width: w, height: h, channels: 3 },
    instances: [{ classId: 0, className: 'person', score: 0.9, box: [w / 4, h / 4, (3 * w) / 4, (3 * h) / 4], mask: { data: mask, width: maskW, height: maskH }, maskSource: 'yolo' }],
  };
}

test('an error in one job fails only that job, as an AnimesegError with its code and hint', async () => {
  const pool = await startRefinerPool('regions', {}, { workers: 1 });
  try {
    const good = job(64, 48);
    const bad = job(64, 48, 32, 24); // mask not image-sized: the vote refiner throws BAD_INPUT
    const [g, b, g2] = await Promise.allSettled([pool.run(good.image, good.instances, null), pool.run(bad.image, bad.instances, null), pool.run(good.image, good.instances, null)]);
    assert.equal(b.status, 'rejected');
    const e = (b as PromiseRejectedResult).reason;
    assert.ok(e instanceof AnimesegError, String(e));
    assert.equal(e.code, 'BAD_INPUT');
    assert.match(e.message, /instance mask is 32x24, image is 64x48/);
    assert.match(e.hint ?? '', /full-image-size/);
    assert.equal(g.status, 'fulfilled');
    assert.equal(g2.status, 'fulfilled');
    const local = await createRefiner('regions', {});
    sameInstances(await local.refine(good.image, good.instances), (g as PromiseFulfilledResult<{ instances: Instance[] }>).value.instances, 'synthetic');
    // The caller's data is not detached by the transfer.
    assert.equal(good.instances[0].mask.data.length, 64 * 48);
  } finally {
    await pool.dispose();
  }
});

test("'none' with a soft edge runs in workers too; SAM refiners do not", async () => {
  assert.equal(refinerRunsInWorkers('regions'), true);
  assert.equal(refinerRunsInWorkers('none'), true);
  assert.equal(refinerRunsInWorkers('vote'), false);
  assert.equal(refinerRunsInWorkers('box'), false);
  await assert.rejects(startRefinerPool('vote', {}, { workers: 1 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  const pool = await startRefinerPool('none', {}, { workers: 1 });
  try {
    const j = job(40, 30);
    const soft = resolveSoftEdge(true);
    const local = await runRefineStage(await createRefiner('none', {}), j.image, j.instances, soft);
    sameInstances(local.instances, (await pool.run(j.image, j.instances, soft)).instances, 'none+softEdge');
  } finally {
    await pool.dispose();
  }
});

test('bad refine options reject at start, like createRefiner', async () => {
  await assert.rejects(startRefinerPool('regions', { vote: { threshold: 2 } }, { workers: 2 }), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION');
  await assert.rejects(
    createSegmenter({ model: MODEL, refine: 'regions', refineOptions: { colour: { weight: 5 } }, refineWorkers: 1 }),
    (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /colour options/.test(e.message),
  );
});

test('idle refine workers do not keep the process alive (no dispose)', async () => {
  const script = `
    import { startRefinerPool } from ${JSON.stringify(pathToFileURL(resolve('src/refine/worker-pool.ts')).href)};
    const pool = await startRefinerPool('regions', {}, { workers: 2 });
    const image = { data: new Uint8Array(32 * 32 * 3).fill(90), width: 32, height: 32, channels: 3 };
    const mask = { data: new Uint8Array(32 * 32).fill(1, 200, 800), width: 32, height: 32 };
    const out = (await pool.run(image, [{ classId: 0, className: 'p', score: 1, box: [0, 0, 32, 32], mask }], null)).instances;
    console.log('refined', out.length);
  `;
  // A file, not -e: workers inherit the parent's execArgv, and --input-type would stop them.
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-refine-workers-'));
  const file = join(dir, 'run.mjs');
  await writeFile(file, script);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 20_000 });
  await rm(dir, { recursive: true, force: true });
  assert.equal(r.signal, null, `the process hung: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /refined 1/);
});
