/**
 * `--max-pixels` above sharp's own default limit (16383 x 16383 = 268,402,689 pixels, sharp's documented
 * `limitInputPixels` default) must work end to end: once animeseg has admitted an image by its header,
 * no later sharp stage may refuse it. The test image is 16384 x 16384 = 268,435,456 pixels, one more
 * column and row than sharp's default allows, in one channel (256 MiB of zeros, cheap to encode).
 * The server part checks that a configured limit above the library default (100M) is honoured and
 * that the 413 quotes the configured number, not the default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodeImage } from '../../src/image/encode.js';
import { renderImage } from '../../src/server/render.js';
import type { EngineResult } from '../../src/server/segment-engine.js';
import { AnimesegError } from '../../src/errors.js';
import { createServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { MODEL_NAME, isolateEnv } from '../server/helpers.js';
import { resolveSegmentSettings } from '../../src/pipeline/settings.js';

isolateEnv();
const SIDE = 16384; // (16383 + 1); 16384^2 = 268,435,456 > 268,402,689
const SHARP_DEFAULT = 16383 * 16383;

test('encodeImage writes a PNG larger than sharp\'s default input limit', async () => {
  assert.ok(SIDE * SIDE > SHARP_DEFAULT);
  const png = await encodeImage({ data: new Uint8Array(SIDE * SIDE), width: SIDE, height: SIDE, channels: 1 }, 'png');
  // Read back from the header only (sharp's metadata, which does not apply the limit).
  const meta = await sharp(png, { limitInputPixels: false }).metadata();
  assert.equal(meta.width, SIDE);
  assert.equal(meta.height, SIDE);
});

test('the server renders a mask larger than sharp\'s default input limit', async () => {
  const result: EngineResult = {
    width: SIDE,
    height: SIDE,
    image: { data: new Uint8Array(0), width: SIDE, height: SIDE, channels: 3 }, // not read for only_mask
    instances: [],
    timings: {},
    refine: 'none',
    // The request's outputs are in the settings it ran with (only_mask, PNG).
    settings: resolveSegmentSettings({ outputs: { onlyMask: true, crop: false, format: 'png' } }, { defaultClasses: null }),
  };
  const out = await renderImage(result);
  assert.equal(out.width, SIDE);
  const meta = await sharp(out.body, { limitInputPixels: false }).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [SIDE, SIDE, 1]);
});

test('WebP of more than 16383 pixels a side: a clear TOO_LARGE, not a library error', async () => {
  await assert.rejects(encodeImage({ data: new Uint8Array(SIDE * 2), width: SIDE, height: 2, channels: 1 }, 'webp'), (e) => {
    assert.ok(e instanceof AnimesegError);
    assert.equal(e.code, 'TOO_LARGE');
    assert.match(e.message, /16383/);
    assert.match(e.hint ?? '', /png/);
    return true;
  });
});

test('serve --max-pixels above 100M is honoured, and the 413 quotes the configured limit', { timeout: 120_000 }, async () => {
  // 10001 x 10001 = 100,020,001 pixels: just over the decoder's 100M default, one flat grey (compresses to ~120 kB).
  const big = await sharp({ create: { width: 10001, height: 10001, channels: 3, background: '#808080' } }).toColourspace('b-w').png().toBuffer();
  const engine = await createPipelineEngine({ model: MODEL_NAME });
  const server = await createServer({ engine, limits: { maxPixels: 150_000_000, maxUploadBytes: 5_000_000 } });
  const base = await server.listen(0);
  try {
    const ok = await fetch(`${base}/v1/segment?format=json`, { method: 'POST', body: big, headers: { 'content-type': 'image/png' } });
    const j = await ok.json();
    assert.equal(ok.status, 200, JSON.stringify(j));
    assert.deepEqual([j.width, j.height], [10001, 10001]);
  } finally {
    await server.close();
  }
  const engine2 = await createPipelineEngine({ model: MODEL_NAME });
  const small = await createServer({ engine: engine2, limits: { maxPixels: 100_010_000, maxUploadBytes: 5_000_000 } });
  const base2 = await small.listen(0);
  try {
    const r = await fetch(`${base2}/v1/segment?format=json`, { method: 'POST', body: big, headers: { 'content-type': 'image/png' } });
    assert.equal(r.status, 413);
    const j = await r.json();
    assert.equal(j.error.code, 'TOO_LARGE');
    assert.match(j.error.message, /100020001 pixels/);
    assert.match(j.error.message, /limit of 100010000\b/);
  } finally {
    await small.close();
  }
  // The engine itself also applies the per-call limit (a library caller that skips probe()).
  const engine3 = await createPipelineEngine({ model: MODEL_NAME });
  try {
    await assert.rejects(engine3.segment(big, {}, 1000), (e) => e instanceof AnimesegError && e.code === 'TOO_LARGE' && /limit of 1000\b/.test(e.message));
  } finally {
    await engine3.dispose();
  }
});
