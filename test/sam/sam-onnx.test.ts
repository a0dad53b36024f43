// The SAM encoder/decoder wrappers against small generated models with the public contracts
// (testing/sam/fake-sam.ts). Expected embeddings come from the fake encoder's formula
// (16x16 average pool, then a 1x1 conv with weights encoderWeight(k, c)) applied by hand to uniform images;
// expected masks from counting lattice points of the fake decoder's discs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SamDecoder } from '../../src/models/sam/decoder.js';
import { SamEncoder } from '../../src/models/sam/encoder.js';
import { applyCoords, SAM_PIXEL_MEAN, SAM_PIXEL_STD } from '../../src/models/sam/transforms.js';
import { encoderWeight } from '../../testing/sam/fake-sam.js';
import { AnimesegError } from '../../src/errors.js';
import { discMask, fakePair, grayImage, tempDir } from './helpers.js';

const tmp = await tempDir();
after(() => tmp.cleanup());

const f = Math.fround;
const norm = (v: number, c: number) => f(f(v - f(SAM_PIXEL_MEAN[c])) / f(SAM_PIXEL_STD[c]));
const embAt = (norms: number[], k: number) => norms.reduce((s, n, c) => s + encoderWeight(k, c) * n, 0);

test('encoder: uniform image -> embedding = conv of the normalised colour; padding rows are zero', async () => {
  const p = await fakePair(tmp.dir);
  const enc = await SamEncoder.load(p.encoderPath);
  assert.equal(enc.inputName, 'x');
  // 96 x 64 uniform (200, 100, 50): resized to 1024 x 683 rows; padded rows 683..1023.
  const img = { data: new Uint8Array(96 * 64 * 3), width: 96, height: 64, channels: 3 as const };
  for (let i = 0; i < 96 * 64; i++) img.data.set([200, 100, 50], i * 3);
  const e = await enc.embed(img);
  assert.deepEqual(e.dims, [1, 256, 64, 64]);
  assert.deepEqual(e.inputSize, [683, 1024]);
  assert.deepEqual(e.originalSize, [64, 96]);
  const n = [norm(200, 0), norm(100, 1), norm(50, 2)];
  for (const k of [0, 5, 100, 255]) {
    const full = embAt(n, k);
    const plane = k * 64 * 64;
    assert.ok(Math.abs(e.data[plane + 0] - full) < 1e-4, `k=${k} row 0`);
    // pooled row 42 covers image rows 672..687, of which 672..682 (11 of 16) are image, the rest padding
    assert.ok(Math.abs(e.data[plane + 42 * 64 + 10] - (full * 11) / 16) < 1e-4, `k=${k} row 42`);
    assert.ok(Math.abs(e.data[plane + 43 * 64 + 10]) < 1e-6, `k=${k} row 43 is padding`);
  }
  await enc.dispose();
});

test('encoder: embeddings cached per pixels + crop; other input names accepted', async () => {
  const p = await fakePair(tmp.dir, {}, { inputName: 'image' });
  const enc = await SamEncoder.load(p.encoderPath);
  assert.equal(enc.inputName, 'image');
  const img = grayImage(40, 30, 90);
  const a = await enc.embed(img);
  const b = await enc.embed({ ...img, data: img.data.slice() }); // same pixels, other buffer
  assert.equal(enc.runs, 1);
  assert.equal(a, b);
  const c = await enc.embed(img, [0, 0, 20, 30]);
  assert.equal(enc.runs, 2);
  assert.deepEqual(c.originalSize, [30, 20]);
  const img2 = grayImage(40, 30, 91);
  await enc.embed(img2);
  assert.equal(enc.runs, 3);
  await enc.dispose();
});

test('decoder: contract read from the model (mask count, batch), discs around the first point', async () => {
  // radii chosen so no lattice point lies within 0.01 px of a disc edge (float32 centres are not exact)
  const radii = [5.5, 6.2, 7.5, 20.5];
  const p4 = await fakePair(tmp.dir, { numMasks: 4, radii });
  const p1b = await fakePair(tmp.dir, { numMasks: 1, batched: true });
  const d4 = await SamDecoder.load(p4.decoderPath);
  const d1b = await SamDecoder.load(p1b.decoderPath);
  assert.equal(d4.numMasks, 4);
  assert.equal(d4.batchable, false);
  assert.equal(d1b.numMasks, 1);
  assert.equal(d1b.batchable, true);

  const enc = await SamEncoder.load(p4.encoderPath);
  const img = grayImage(96, 64);
  const emb = await enc.embed(img);
  // pixel (15, 20) to the 1024 frame (x * 1024/96, y * 683/64), plus SAM's padding point
  const pt = applyCoords([15, 20], [64, 96]);
  const out = await d4.predict(emb, { coords: Float32Array.from([pt[0], pt[1], 0, 0]), labels: Float32Array.from([1, -1]), batch: 1, points: 2 });
  assert.equal(out.numMasks, 4);
  assert.equal(out.width, 96);
  assert.equal(out.height, 64);
  // fake default predicted IoU [0.99, 0.9, 0.95, 0.8]
  assert.deepEqual(Array.from(out.iou), [0.99, 0.9, 0.95, 0.8].map(f));
  for (let m = 0; m < 4; m++) {
    const want = discMask(15, 20, radii[m], 96, 64);
    const got = out.masks.subarray(m * 96 * 64, (m + 1) * 96 * 64);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if ((got[i] > 0 ? 1 : 0) !== want[i]) diff++;
    assert.equal(diff, 0, `output ${m}`);
  }
  // two prompts in one call only on the batched export
  const two = { coords: Float32Array.from([pt[0], pt[1], 0, 0, 100, 100, 0, 0]), labels: Float32Array.from([1, -1, 1, -1]), batch: 2, points: 2 };
  await assert.rejects(d4.predict(emb, two), RangeError);
  const ob = await d1b.predict(emb, two);
  assert.equal(ob.batch, 2);
  assert.equal(ob.numMasks, 1);
  assert.equal(ob.masks.length, 2 * 96 * 64);
  await Promise.all([d4.dispose(), d1b.dispose(), enc.dispose()]);
});

test('missing or wrong model files give AnimesegError with a hint', async () => {
  const p = await fakePair(tmp.dir);
  await assert.rejects(SamEncoder.load(join(tmp.dir, 'nope.onnx')), (e: unknown) => e instanceof AnimesegError && e.code === 'MODEL_NOT_FOUND');
  // a decoder given as encoder and vice versa
  await assert.rejects(SamEncoder.load(p.decoderPath), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_MODEL' && !!e.hint);
  await assert.rejects(SamDecoder.load(p.encoderPath), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_MODEL' && /image_embeddings|point_coords/.test(e.message));
  const junk = join(tmp.dir, 'junk.onnx');
  await writeFile(junk, 'not a model');
  await assert.rejects(SamDecoder.load(junk), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_MODEL' && e.file === junk);
});
