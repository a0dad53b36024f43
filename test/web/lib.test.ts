// The web page's pure helpers (web/lib.js), run in Node: expected values are hand-computed from the
// definitions (box IoU, badge radius and corner), and the grayscale PNG is decoded by sharp (libpng),
// independently of our encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { carryToggles, encodeGrayPng, instanceFileName, placeBadges } from '../../web/lib.js';
import { outputPaths } from '../../src/pipeline/run/batch.js';
import { basename } from 'node:path';

test('per-character download names are the CLI names: NAME.instNN.png with the 0-based JSON id', () => {
  assert.equal(instanceFileName('luffy_1', 0), 'luffy_1.inst00.png');
  assert.equal(instanceFileName('luffy_1', 12), 'luffy_1.inst12.png');
  for (const k of [0, 3, 10, 123]) assert.equal(instanceFileName('a', k), basename(outputPaths('/o', 'a', 'png').instance(k)));
});

test('toggles carry over by box overlap and class, not by index', () => {
  const prev = [
    { classId: 0, box: [0, 0, 100, 100] },
    { classId: 0, box: [200, 0, 300, 100] },
    { classId: 0, box: [400, 0, 500, 100] },
  ];
  const enabled = new Set([1]); // the user switched characters 0 and 2 off
  // The new result lists them in another order, shifted by 5 px (IoU 95/105 = 0.905 > 0.5), plus one new character.
  const next = [
    { classId: 0, box: [405, 0, 505, 100] }, // was index 2: off
    { classId: 0, box: [600, 0, 700, 100] }, // new: starts on
    { classId: 0, box: [5, 0, 105, 100] }, // was index 0: off
    { classId: 0, box: [205, 0, 305, 100] }, // was index 1: on
  ];
  assert.deepEqual([...carryToggles(prev, enabled, next)].sort(), [1, 3]);
  // Another class at the same place is another character.
  assert.deepEqual([...carryToggles(prev, new Set([1, 2]), [{ classId: 5, box: [0, 0, 100, 100] }])], [0]);
  // No previous result: everything on.
  assert.deepEqual([...carryToggles(null, new Set(), next)].sort(), [0, 1, 2, 3]);
});

test('badges: first at the box corner, none overlapping even for identical boxes, inside the image', () => {
  const r = 15;
  const single = placeBadges([[10, 20, 200, 300]], r, 640, 480);
  assert.deepEqual(single, [[25, 35]]); // hand: (x1 + r, y1 + r)
  const boxes = Array.from({ length: 8 }, () => [0, 0, 100, 100]);
  const spots = placeBadges(boxes, r, 640, 480);
  for (let i = 0; i < spots.length; i++) {
    const [x, y] = spots[i];
    assert.ok(x >= r && x <= 640 - r && y >= r && y <= 480 - r, `badge ${i} inside`);
    for (let j = 0; j < i; j++) assert.ok(Math.hypot(x - spots[j][0], y - spots[j][1]) >= 2 * r, `badges ${i} and ${j} overlap`);
  }
  // A box at the right edge: the badge is pulled inside (x = w - r).
  assert.deepEqual(placeBadges([[630, 0, 640, 50]], r, 640, 480), [[625, 15]]);
});

test('the page mask download is an 8-bit single-channel PNG with the exact 0/255 values', async () => {
  const w = 7;
  const h = 5;
  const gray = new Uint8Array(w * h).map((_, i) => (i % 3 === 0 ? 255 : 0));
  const png = await encodeGrayPng(gray, w, h);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels, meta.depth], ['png', w, h, 1, 'uchar']);
  // sharp widens gray to sRGB on raw output: take one channel back.
  const raw = await sharp(png).extractChannel(0).raw().toBuffer();
  assert.deepEqual([...raw], [...gray]);
});
