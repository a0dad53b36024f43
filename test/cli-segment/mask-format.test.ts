// One mask format on every surface (issue 11, defects 3-5): the CLI's NAME.mask.png, the per-character masks
// of --only-mask --instances, and the API's only_mask are 8-bit single-channel PNGs whose pixels are exactly
// the instance masks (decoded independently from the RLE that NAME.json stores, with decodeRle), times 255.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { decodeRle, rleFromJson } from '../../src/mask/rle.js';
import { renderImage } from '../../src/server/render.js';
import type { EngineResult } from '../../src/server/segment-engine.js';
import { resolveSegmentSettings } from '../../src/pipeline/settings.js';

const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
let root = '';
let inDir = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-maskfmt-'));
  inDir = join(root, 'in');
  await mkdir(inDir);
  // luffy_1 has two people (info/luffy_1.json): two per-character files.
  await sharp(join(IMAGES, 'luffy_1.jpg')).resize({ width: 400 }).toFile(join(inDir, 'luffy_1.jpg'));
});
after(() => rm(root, { recursive: true, force: true }));

/** Channels as stored in the PNG header, and the gray plane. */
async function grayPng(file: string | Buffer) {
  const meta = await sharp(file).metadata();
  const data = await sharp(file).extractChannel(0).raw().toBuffer();
  return { channels: meta.channels, depth: meta.depth, width: meta.width!, height: meta.height!, data };
}

test('--only-mask --instances writes one grayscale mask per character and no colour file', async () => {
  const out = join(root, 'out');
  const r = spawnSync(process.execPath, [BIN, 'segment', inDir, '-o', out, '--only-mask', '--instances', '--progress', 'silent'], {
    encoding: 'utf8',
    env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models') },
  });
  assert.equal(r.status, 0, r.stderr);
  const files = (await readdir(out)).sort();
  const json = JSON.parse(await readFile(join(out, 'luffy_1.json'), 'utf8'));
  assert.ok(json.instances.length >= 2, 'luffy_1 shows two people');
  const expected = ['luffy_1.json', 'luffy_1.mask.png', 'manifest.jsonl' /* the run manifest (docs/BATCH.md) */, ...json.instances.map((i: { id: number }) => `luffy_1.inst${String(i.id).padStart(2, '0')}.mask.png`)].sort();
  assert.deepEqual(files, expected);
  const union = new Uint8Array(json.width * json.height);
  for (const inst of json.instances) {
    const m = decodeRle(rleFromJson(inst.rle));
    const png = await grayPng(join(out, `luffy_1.inst${String(inst.id).padStart(2, '0')}.mask.png`));
    assert.deepEqual([png.channels, png.depth, png.width, png.height], [1, 'uchar', json.width, json.height]);
    let wrong = 0;
    for (let p = 0; p < m.data.length; p++) {
      if (png.data[p] !== (m.data[p] ? 255 : 0)) wrong++;
      if (m.data[p]) union[p] = 255;
    }
    assert.equal(wrong, 0, `instance ${inst.id}: mask pixels = RLE * 255`);
  }
  const whole = await grayPng(join(out, 'luffy_1.mask.png'));
  assert.deepEqual([whole.channels, whole.depth], [1, 'uchar'], 'NAME.mask.png is single-channel');
  assert.deepEqual([...whole.data], [...union]);
});

test("the API's only_mask is the same format (single channel, 0/255), cropped when asked", async () => {
  // 6x4 image, one instance: a 2x2 square at x 2..3, y 1..2 (hand-made).
  const w = 6;
  const h = 4;
  const mask = new Uint8Array(w * h);
  for (const [x, y] of [[2, 1], [3, 1], [2, 2], [3, 2]]) mask[y * w + x] = 1;
  const result: EngineResult = {
    width: w,
    height: h,
    image: { data: new Uint8Array(w * h * 3).fill(90), width: w, height: h, channels: 3 },
    instances: [{ classId: 0, className: 'person', score: 0.9, box: [2, 1, 4, 3], mask: { data: mask, width: w, height: h } }],
    timings: {} as EngineResult['timings'],
    refine: 'none',
    // The request's outputs are in the settings it ran with (only_mask, PNG; then cropped).
    settings: resolveSegmentSettings({ outputs: { onlyMask: true, crop: false, format: 'png' } }, { defaultClasses: null }),
  };
  const full = await renderImage(result);
  const a = await grayPng(Buffer.from(full.body));
  assert.deepEqual([a.channels, a.width, a.height], [1, 6, 4]);
  assert.deepEqual([...a.data], [...mask].map((v) => v * 255));
  const cropped = await renderImage({ ...result, settings: resolveSegmentSettings({ outputs: { crop: true } }, { defaultClasses: null }, result.settings) });
  const b = await grayPng(Buffer.from(cropped.body));
  assert.deepEqual([b.channels, b.width, b.height, [...b.data].join(',')], [1, 2, 2, '255,255,255,255']);
});
