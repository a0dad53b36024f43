/**
 * BI_BITFIELDS with a channel mask covering all 32 bits: the mask scan used to loop forever (JS shifts
 * count mod 32, so `mask >>> 32` is `mask` again). Expected values by hand: with mask 0xffffffff the
 * channel is the top 8 bits of the pixel word; 0x0000ff00 and 0x000000ff pick bytes 1 and 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBmp } from '../../src/image/bmp.js';
import { bmp } from '../fuzz/generate.js';

test('a 32-bit BMP with an all-ones channel mask decodes (top 8 bits) instead of hanging', () => {
  const px = Buffer.alloc(4);
  px.writeUInt32LE(0x11223344);
  const file = bmp({ width: 1, height: 1, bpp: 32, compression: 3, masks: [0xffffffff, 0x0000ff00, 0x000000ff] }, px);
  const img = decodeBmp(file);
  assert.deepEqual([...img.data], [0x11, 0x33, 0x44]);
});
