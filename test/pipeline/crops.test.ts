// Training crops (src/pipeline/crops.ts). Geometry against hand-computed boxes; pixels against a hand-made
// image; the CLI end to end on a real illustration, checked against the instance masks from NAME.json's RLE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { cropGeometry, renderCrop } from '../../src/pipeline/crops.js';
import { rleArea, rleFromJson } from '../../src/mask/rle.js';

test('cropGeometry: square around the bounds, centred, margin on the longer side', () => {
  // 40 wide x 100 tall at (10, 20): side 100, x padding (100 - 40) / 2 = 30 -> x0 = 10 - 30 = -20.
  assert.deepEqual(cropGeometry([10, 20, 50, 120], { size: 'square' }), { region: [-20, 20, 80, 120], side: 100, out: 100 });
  // margin 0.05 of 100 = 5 px each side: side 110; x pad (110 - 40) / 2 = 35, y pad (110 - 100) / 2 = 5.
  assert.deepEqual(cropGeometry([10, 20, 50, 120], { size: 512, margin: 0.05 }), { region: [-25, 15, 85, 125], side: 110, out: 512 });
  // Odd leftover: 3 x 6 -> side 6, x pad floor(3 / 2) = 1 on the left, 2 on the right.
  assert.deepEqual(cropGeometry([5, 0, 8, 6], { size: 'square' }), { region: [4, 0, 10, 6], side: 6, out: 6 });
  // Wide: 9 x 4 -> y pad floor(5 / 2) = 2 above.
  assert.deepEqual(cropGeometry([0, 10, 9, 14], { size: 1024, margin: 0 }), { region: [0, 8, 9, 17], side: 9, out: 1024 });
});

test('renderCrop: the character on the canvas, background (or transparency) elsewhere, also beyond the image', async () => {
  // 4 x 3 RGB image, every pixel (10, 20, 30); the character is the 2 x 1 strip at x 2..3, y 0 (touching the edge).
  const image = { data: new Uint8Array(4 * 3 * 3).fill(0).map((_, i) => [10, 20, 30][i % 3]), width: 4, height: 3, channels: 3 as const };
  const alpha = new Uint8Array(12);
  alpha[2] = alpha[3] = 255;
  // side 2, region [2, 0, 4, 2): row 0 = the strip, row 1 = background.
  const white = await renderCrop(image, alpha, [2, 0, 4, 1], { size: 'square', bg: [255, 255, 255] });
  assert.deepEqual([white.width, white.height, white.channels], [2, 2, 3]);
  assert.deepEqual([...white.data], [10, 20, 30, 10, 20, 30, 255, 255, 255, 255, 255, 255]);
  // Margin 1 (= 2 px each side): side 6, region [0, -2, 6, 4): reaches above and right of the image.
  const clear = await renderCrop(image, alpha, [2, 0, 4, 1], { size: 'square', margin: 1 });
  assert.deepEqual([clear.width, clear.height, clear.channels], [6, 6, 4]);
  const opaque: number[] = [];
  for (let p = 0; p < 36; p++) if (clear.data[p * 4 + 3] === 255) opaque.push(p);
  // Strip pixels (2, 0), (3, 0) land at canvas (2, 2), (3, 2) -> indices 14, 15.
  assert.deepEqual(opaque, [14, 15]);
  const scaled = await renderCrop(image, alpha, [2, 0, 4, 1], { size: 64, bg: [0, 0, 0] });
  assert.deepEqual([scaled.width, scaled.height, scaled.channels], [64, 64, 3]);
});

test('segment --crops: one crop per character, JPEG on a colour, PNG with alpha when transparent', async () => {
  const root = await mkdtemp(join(tmpdir(), 'animeseg-crops-'));
  try {
    await copyFile(resolve('../shared/data/illustrations/images/luffy_1.jpg'), join(root, 'luffy_1.jpg'));
    const run = (out: string, extra: string[]) =>
      spawnSync(process.execPath, [resolve('bin/animeseg.js'), 'segment', join(root, 'luffy_1.jpg'), '-o', out, '--progress', 'silent', ...extra], {
        encoding: 'utf8',
        env: { ...process.env, ANIMESEG_MODELS: resolve('../shared/models') },
      });
    let r = run(join(root, 'a'), ['--crops', '512', '--crop-bg', '#fff', '--crop-margin', '0.05']);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(await readFile(join(root, 'a', 'luffy_1.json'), 'utf8'));
    const n = json.instances.length;
    assert.ok(n >= 2);
    const crops = (await readdir(join(root, 'a'))).filter((f) => f.includes('.crop.')).sort();
    assert.deepEqual(crops, json.instances.map((i: { id: number }) => `luffy_1.inst${String(i.id).padStart(2, '0')}.crop.jpg`));
    for (const f of crops) {
      const m = await sharp(join(root, 'a', f)).metadata();
      assert.deepEqual([m.format, m.width, m.height, m.channels], ['jpeg', 512, 512, 3]);
    }
    r = run(join(root, 'b'), ['--crops', 'square']);
    assert.equal(r.status, 0, r.stderr);
    for (const inst of json.instances) {
      const f = join(root, 'b', `luffy_1.inst${String(inst.id).padStart(2, '0')}.crop.png`);
      const { data, info } = await sharp(f).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 4);
      assert.equal(info.width, info.height);
      let visible = 0;
      for (let p = 3; p < data.length; p += 4) if (data[p] > 0) visible++;
      // Unscaled square crop: exactly the character's pixels are visible (its area from the stored RLE).
      assert.equal(visible, rleArea(rleFromJson(inst.rle)));
    }
    r = run(join(root, 'c'), ['--crop-bg', '#fff']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--crop-bg needs --crops/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
