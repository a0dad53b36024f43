// The output registry (src/pipeline/run/output-kinds.ts). Expected names are the ones README.md documents for
// `animeseg segment` (NAME.png, NAME.mask.png, NAME.overlay.png, NAME.instNN.png, NAME.instNN.mask.png,
// NAME.instNN.crop.png / .crop.jpg, NAME.json), written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { CONTENT_TYPES, OUTPUT_KINDS, outputExtension, outputName, ownedOutputStem, type OutputKindKey } from '../../src/pipeline/run/output-kinds.js';
import { resultAlpha } from '../../src/pipeline/outputs.js';
import { createMask } from '../../src/mask/types.js';

test('file names of every kind, for an image and for instance 3', () => {
  assert.equal(outputName('a', 'cutout', 'webp'), 'a.webp');
  assert.equal(outputName('a', 'mask', 'png'), 'a.mask.png');
  assert.equal(outputName('a', 'overlay', 'png'), 'a.overlay.png');
  assert.equal(outputName('a', 'json', 'json'), 'a.json');
  assert.equal(outputName('a', 'instance', 'png', 3), 'a.inst03.png');
  assert.equal(outputName('a', 'instanceMask', 'png', 3), 'a.inst03.mask.png');
  assert.equal(outputName('a', 'crop', 'jpg', 3), 'a.inst03.crop.jpg');
});

test('extensions and content types: crops on a background are JPEG, masks always PNG', () => {
  assert.equal(outputExtension('crop', { format: 'webp', crops: { bg: [0, 0, 0] } }), 'jpg');
  assert.equal(outputExtension('crop', { format: 'webp', crops: {} }), 'webp');
  assert.equal(outputExtension('mask', { format: 'webp' }), 'png');
  assert.equal(outputExtension('cutout', {}), 'png');
  // IANA media types (image/jpeg, not image/jpg).
  assert.equal(CONTENT_TYPES[outputExtension('crop', { crops: { bg: [0, 0, 0] } })], 'image/jpeg');
  assert.equal(CONTENT_TYPES[outputExtension('json', {})], 'application/json; charset=utf-8');
});

test('the image a file belongs to: the longest output ending wins, names of no kind have none', () => {
  assert.equal(ownedOutputStem('a.inst00.mask.png'), 'a');
  assert.equal(ownedOutputStem('sub/a.b.inst12.crop.jpg'), 'sub/a.b');
  assert.equal(ownedOutputStem('a.mask.png'), 'a');
  assert.equal(ownedOutputStem('a.overlay.png'), 'a');
  assert.equal(ownedOutputStem('a.png'), 'a');
  assert.equal(ownedOutputStem('a.jpg'), null); // JPEG is only ever a crop
  assert.equal(ownedOutputStem('a.txt'), null);
});

// Each kind's `render` against its extension rule: a 20x10 picture with two characters, one a 4x3 block at
// (2,1), the other with no pixel left. Expected values by hand: file signatures from the format specs (PNG
// 89 50 4E 47, WebP "RIFF....WEBP", JPEG FF D8 FF), sizes from the block (a per-character cutout is its box,
// a square crop of a 4x3 block is 4x4 at 'square' size) and the picture (the mask is full size).
test('each kind draws its file in the format its extension says (webp cutouts, JPEG crops on a background)', async () => {
  const width = 20;
  const height = 10;
  const image = { data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3 as const };
  const block = createMask(width, height);
  for (let y = 1; y < 4; y++) for (let x = 2; x < 6; x++) block.data[y * width + x] = 1;
  const inst = (mask: typeof block, box: [number, number, number, number]) => ({ classId: 0, className: 'person', score: 0.9, box, mask });
  const instances = [inst(block, [2, 1, 6, 4]), inst(createMask(width, height), [10, 5, 12, 7])];
  const src = { image, width, height, instances, alpha: resultAlpha({ instances, width, height }) };
  const opts = { format: 'webp' as const, overlay: true, instances: true, crops: { size: 'square' as const, bg: [255, 255, 255] as [number, number, number] } };
  const kindOf = (bytes: Uint8Array | null): string => {
    assert.ok(bytes);
    const b = Buffer.from(bytes);
    if (b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'png';
    if (b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
    if (b.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'jpg';
    return 'unknown';
  };
  const draw = (key: OutputKindKey, k = 0) => OUTPUT_KINDS[key].render!(src, opts, outputExtension(key, opts), k);
  const size = async (bytes: Uint8Array | null) => {
    const m = await sharp(Buffer.from(bytes!)).metadata();
    return [m.width, m.height];
  };
  for (const key of ['cutout', 'mask', 'overlay', 'instance', 'crop'] as const) assert.equal(kindOf(await draw(key)), outputExtension(key, opts), key);
  assert.deepEqual(await size(await draw('mask')), [20, 10]);
  assert.deepEqual(await size(await draw('instance')), [4, 3]);
  assert.deepEqual(await size(await draw('crop')), [4, 4]);
  assert.equal(await draw('crop', 1), null); // nothing of the second character to crop: no file
  assert.equal(OUTPUT_KINDS.json.render, null); // the run writes NAME.json itself, last
});
