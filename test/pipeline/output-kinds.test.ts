// The output registry (src/pipeline/run/output-kinds.ts). Expected names are the ones README.md documents for
// `animeseg segment` (NAME.png, NAME.mask.png, NAME.overlay.png, NAME.instNN.png, NAME.instNN.mask.png,
// NAME.instNN.crop.png / .crop.jpg, NAME.json), written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTENT_TYPES, outputExtension, outputName, ownedOutputStem } from '../../src/pipeline/run/output-kinds.js';

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
