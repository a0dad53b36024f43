/**
 * Ground-truth rasterisation pieces on cases small enough to work out by hand (OpenCV fillPoly includes the
 * outline; INTER_LINEAR /4 reads a 2x2 block; resampling interpolates over the closed vertex index; the val
 * letterbox geometry), plus label validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsample4 } from '../../src/eval/metrics/downsample.js';
import { fillPolygons } from '../../src/mask/polygon.js';
import { resampleSegment, parseLabel, buildGt } from '../../src/eval/metrics/gt.js';
import { valGeometry } from '../../src/eval/metrics/geometry.js';
import { AnimesegError } from '../../src/errors.js';

function filled(m: Uint8Array, w: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) out.push(`${i % w},${Math.floor(i / w)}`);
  return out;
}

test('fillPoly: an axis-aligned rectangle fills its outline inclusive', () => {
  // vertices (2,2) (5,2) (5,4) (2,4): OpenCV draws the edges and fills between -> x 2..5, y 2..4 = 12 pixels
  const m = fillPolygons([[2, 2, 5, 2, 5, 4, 2, 4]], 8, 8).data;
  const expected: string[] = [];
  for (let y = 2; y <= 4; y++) for (let x = 2; x <= 5; x++) expected.push(`${x},${y}`);
  assert.deepEqual(filled(m, 8), expected);
});

test('fillPoly: a vertex on the canvas edge (x = width) is clipped, not wrapped', () => {
  // (4,0) (8,0) (8,3) (4,3) on an 8-wide canvas: columns 4..7 of rows 0..3 = 16 pixels, nothing elsewhere
  const m = fillPolygons([[4, 0, 8, 0, 8, 3, 4, 3]], 8, 8).data;
  const expected: string[] = [];
  for (let y = 0; y <= 3; y++) for (let x = 4; x <= 7; x++) expected.push(`${x},${y}`);
  assert.deepEqual(filled(m, 8), expected);
});

test('fillPoly: a right triangle includes its diagonal edge', () => {
  // (0,0) (3,3) (0,3): the edges (diagonal, bottom row, left column) plus the spans between them give the
  // lower-left triangle including the diagonal: row y holds x = 0..y (1 + 2 + 3 + 4 = 10 pixels)
  const m = fillPolygons([[0, 0, 3, 3, 0, 3]], 4, 4).data;
  assert.deepEqual(filled(m, 4), ['0,0', '0,1', '1,1', '0,2', '1,2', '2,2', '0,3', '1,3', '2,3', '3,3']);
});

test('INTER_LINEAR /4 of a 0/1 image: a cell is set when 2 of its 4 centre pixels are', () => {
  const src = new Uint8Array(64); // 8x8 -> 2x2
  src[1 * 8 + 1] = 1; // one centre pixel of cell (0,0): 1/4 -> 0
  src[1 * 8 + 5] = 1;
  src[2 * 8 + 6] = 1; // two centre pixels of cell (0,1): 2/4 -> 1
  src[4 * 8 + 4] = 1; // a corner pixel of cell (1,1): not read at all -> 0
  assert.deepEqual([...downsample4(src, 8, 8)], [0, 1, 0, 0]);
});

test('resample_segments: closed polygon, 1000 points evenly over the vertex index', () => {
  // triangle (0,0) (1,0) (0,1), closed -> 4 points, index 0..3; sample i at 3*i/999
  const r = resampleSegment(Float32Array.of(0, 0, 1, 0, 0, 1));
  assert.equal(r.length, 2000);
  assert.deepEqual([r[0], r[1]], [0, 0]);
  assert.deepEqual([r[2 * 999], r[2 * 999 + 1]], [0, 0]); // the closing point
  assert.deepEqual([r[2 * 333], r[2 * 333 + 1]], [1, 0]); // 3*333/999 = 1 -> vertex 1
  // i = 500: t = 1.5015.. -> 0.5015 of the way from (1,0) to (0,1)
  assert.ok(Math.abs(r[1000] - (1 - 0.5015015)) < 1e-6 && Math.abs(r[1001] - 0.5015015) < 1e-6);
});

test('val letterbox geometry: long side to imgsz, float padding for labels, rounded for the image', () => {
  assert.deepEqual(valGeometry(640, 480, 640), { w0: 640, h0: 480, imgsz: 640, w: 640, h: 480, r: 1, dw: 0, dh: 80, left: 0, top: 80, gain: 1 });
  // 1000x600 -> 640x384 (ratio 0.64), padding (640-384)/2 = 128 top
  const g = valGeometry(1000, 600, 640);
  assert.deepEqual([g.w, g.h, g.dh, g.top, g.gain], [640, 384, 128, 128, 384 / 600]);
  // odd padding: 640x481 keeps its size; labels move by 79.5, the image by round(79.4) = 79
  const o = valGeometry(640, 481, 640);
  assert.deepEqual([o.dh, o.top], [79.5, 79]);
});

test('overlap ordering: larger instance first, the smaller one owns shared cells', () => {
  // 64x64 image, imgsz 64 -> 16x16 grid. B (class 0) is listed first but is smaller than A (class 1).
  const labels = parseLabel('0 0.4 0.4 0.7 0.4 0.7 0.7 0.4 0.7\n1 0.1 0.1 0.6 0.1 0.6 0.6 0.1 0.6\n');
  const gt = buildGt(labels, valGeometry(64, 64, 64));
  assert.deepEqual([...gt.cls], [1, 0]);
  // cell (row 8, col 8) = pixels 33..34 (~0.52 of the side) lies in both squares -> owned by B (index 2)
  assert.equal(gt.index[8 * 16 + 8], 2);
  // cell (4, 4) only in A
  assert.equal(gt.index[4 * 16 + 4], 1);
  // boxes back in original pixels: A = 0.1..0.6 of 64 = 6.4..38.4
  assert.ok(Math.abs(gt.boxes[0] - 6.4) < 1e-4 && Math.abs(gt.boxes[2] - 38.4) < 1e-4);
});

test('bad label lines are BAD_DATASET errors naming the line', () => {
  assert.throws(() => parseLabel('0 0.1 0.1 0.2 0.2\n'), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_DATASET' && /line 1/.test(e.message));
  assert.throws(() => parseLabel('0 0.1 0.1 0.2 0.2 0.3 1.5\n'), /outside \[0, 1\]/);
  assert.throws(() => parseLabel('x 0.1 0.1 0.2 0.2 0.3 0.3\n'), /class/);
  assert.throws(() => parseLabel('0 0.1 0.1 0.2 0.2 0.3\n'), /polygon/);
  // empty lines are fine, duplicates are dropped as Ultralytics does
  assert.equal(parseLabel('\n0 0.1 0.1 0.2 0.2 0.3 0.3\n0 0.1 0.1 0.2 0.2 0.3 0.3\n').length, 1);
});
