import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { maskIoU } from '../../src/mask/ops.js';
import { fillHoles as fillHolesLib } from '../../src/mask/components.js';
import { fillPolygons, maskToPolygons, polygonArea, signedPolygonArea, simplifyPolygon } from '../../src/mask/polygon.js';
import type { Mask, Polygon } from '../../src/mask/types.js';
import { art, randomBlobs, randomNoise, rng, toArt } from './helpers.js';

test('fillPolygons: hand-worked triangle includes its outline (cv2.fillPoly semantics)', () => {
  // Triangle (0,0) (4,0) (0,4): the edges x=0, y=0 and the diagonal x+y=4 are drawn with Bresenham lines
  // (the diagonal hits exactly (4,0) (3,1) (2,2) (1,3) (0,4)); rows 0..3 are filled from x=0 to x=4-y.
  assert.deepEqual(toArt(fillPolygons([[0, 0, 4, 0, 0, 4]], 5, 5)), ['#####', '####.', '###..', '##...', '#....']);
});

test('fillPolygons: rectangle covers its boundary pixels; vertices truncated toward zero (np.int32)', () => {
  // Rectangle with corners (1,1) and (3,2): geometric area 2, but fillPoly sets all 3x2 pixels it touches.
  assert.deepEqual(toArt(fillPolygons([[1, 1, 3, 1, 3, 2, 1, 2]], 5, 4)), ['.....', '.###.', '.###.', '.....']);
  // 1.9 -> 1, 3.99 -> 3, 2.5 -> 2: the same rectangle
  assert.deepEqual(
    toArt(fillPolygons([[1.9, 1.2, 3.99, 1, 3.5, 2.5, 1, 2.9]], 5, 4)),
    ['.....', '.###.', '.###.', '.....'],
  );
  // -0.7 truncates to 0 (toward zero), not -1
  assert.deepEqual(toArt(fillPolygons([[-0.7, 0, 1, 0, 1, 1, -0.7, 1]], 3, 2)), ['##.', '##.']);
});

test('fillPolygons: single point, segment, and polygons reaching outside the image', () => {
  assert.deepEqual(toArt(fillPolygons([[1, 1]], 3, 3)), ['...', '.#.', '...']);
  // a degenerate two-point polygon draws its line: (0,0) -> (3,1) with Bresenham: (0,0) (1,0) (2,1) (3,1)
  assert.deepEqual(toArt(fillPolygons([[0, 0, 3, 1]], 4, 2)), ['##..', '..##']);
  // a square larger than the image fills all of it
  assert.deepEqual(toArt(fillPolygons([[-2, -2, 10, -2, 10, 10, -2, 10]], 4, 3)), ['####', '####', '####']);
  // entirely outside: nothing
  assert.deepEqual(toArt(fillPolygons([[10, 10, 12, 10, 12, 12]], 3, 3)), ['...', '...', '...']);
  assert.deepEqual(toArt(fillPolygons([], 2, 1)), ['..']);
});

test('fillPolygons: one call is even-odd where polygons overlap (like one cv2.fillPoly call)', () => {
  // Outer square 0..6 and inner square 2..4: the inner region's interior is filled twice -> even-odd leaves
  // it empty, but the inner outline is drawn. Inner interior = only pixel (3,3).
  const r = fillPolygons(
    [
      [0, 0, 6, 0, 6, 6, 0, 6],
      [2, 2, 4, 2, 4, 4, 2, 4],
    ],
    7,
    7,
  );
  assert.equal(r.data[3 * 7 + 3], 0);
  assert.equal(r.data[2 * 7 + 2], 1);
  assert.equal(r.data[1 * 7 + 1], 1);
});

test('fillPolygons agrees with point-in-polygon on random polygons (independent check)', () => {
  // Every pixel whose centre is strictly inside (even-odd ray casting) must be set, and every set pixel must be
  // within one pixel of the polygon (cv2 adds outline pixels by Bresenham).
  const r = rng(5);
  for (let t = 0; t < 40; t++) {
    const n = 3 + Math.floor(r() * 6);
    const poly: number[] = [];
    for (let k = 0; k < n; k++) poly.push(Math.floor(r() * 30), Math.floor(r() * 20));
    const m = fillPolygons([poly], 30, 20);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 30; x++) {
        const set = m.data[y * 30 + x] === 1;
        const dEdge = distToPolygonEdges(poly, x, y);
        const inside = pointInPolygon(poly, x, y);
        if (inside && dEdge > 1e-9) assert.ok(set, `poly ${poly}: (${x},${y}) is inside but not set`);
        if (set) assert.ok(inside || dEdge <= 1, `poly ${poly}: (${x},${y}) set but ${dEdge} px away`);
      }
    }
  }
});

function pointInPolygon(p: Polygon, x: number, y: number): boolean {
  let inside = false;
  const n = p.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = p[2 * i];
    const yi = p[2 * i + 1];
    const xj = p[2 * j];
    const yj = p[2 * j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distToPolygonEdges(p: Polygon, x: number, y: number): number {
  let best = Infinity;
  const n = p.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const ax = p[2 * j];
    const ay = p[2 * j + 1];
    const bx = p[2 * i];
    const by = p[2 * i + 1];
    const l2 = (bx - ax) ** 2 + (by - ay) ** 2;
    const t = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / l2));
    best = Math.min(best, Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay)));
  }
  return best;
}

test('maskToPolygons: hand-traced 3x3 block in OpenCV order (down the left side first)', () => {
  // Suzuki border following from the top-left pixel (1,1), counter-clockwise on screen: down the left column,
  // along the bottom, up the right column, back along the top. cv2.findContours returns this order.
  const m = art('.....', '.###.', '.###.', '.###.', '.....');
  assert.deepEqual(maskToPolygons(m), [[1, 1, 1, 2, 1, 3, 2, 3, 3, 3, 3, 2, 3, 1, 2, 1]]);
  // a single pixel is a one-vertex contour; an empty mask has none
  assert.deepEqual(maskToPolygons(art('...', '..#')), [[2, 1]]);
  assert.deepEqual(maskToPolygons(art('...')), []);
  // pixels on the image border are traced too (OpenCV pads with background)
  assert.deepEqual(maskToPolygons(art('##', '##')), [[0, 0, 0, 1, 1, 1, 1, 0]]);
});

test('maskToPolygons: external contours only, 8-connectivity, sorted by area', () => {
  // A ring with an island in its hole: RETR_EXTERNAL reports only the ring's outer border.
  const ring = art(
    '#######', //
    '#.....#',
    '#..#..#',
    '#.....#',
    '#######',
  );
  const polys = maskToPolygons(ring);
  assert.equal(polys.length, 1);
  assert.equal(polygonArea(polys[0]), 6 * 4);
  // diagonal neighbours are connected (8-connectivity): one component
  assert.equal(maskToPolygons(art('#..', '.#.', '..#')).length, 1);
  // two blobs: larger one first (areas through pixel centres: 2x1 = 2 and 1x1 = 1)
  const two = maskToPolygons(art('##...', '##...', '.....', '..###', '..###'));
  assert.deepEqual(two.map(polygonArea), [2, 1]);
  // minArea drops the single pixel (area 0) and keeps the 3x2 block (area 2 through pixel centres)
  assert.deepEqual(maskToPolygons(art('#....', '.....', '..###', '..###'), { minArea: 1 }).map(polygonArea), [2]);
});

/** Independent hole filling: 4-connected flood fill of the background from the image border. */
function fillHoles(m: Mask): Mask {
  const { width: w, height: h } = m;
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let x = 0; x < w; x++) stack.push(x, (h - 1) * w + x);
  for (let y = 0; y < h; y++) stack.push(y * w, y * w + w - 1);
  while (stack.length) {
    const i = stack.pop()!;
    if (outside[i] || m.data[i]) continue;
    outside[i] = 1;
    const x = i % w;
    if (x > 0) stack.push(i - 1);
    if (x < w - 1) stack.push(i + 1);
    if (i >= w) stack.push(i - w);
    if (i < (h - 1) * w) stack.push(i + w);
  }
  const data = new Uint8Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = outside[i] ? 0 : 1;
  return { data, width: w, height: h };
}

test('round trip: fillPolygons(maskToPolygons(m)) = m with holes filled, exactly (and = fillHoles(m))', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const m = seed % 2 ? randomBlobs(60, 40, seed, 6) : randomNoise(30, 20, seed, 0.45);
    const back = fillPolygons(maskToPolygons(m), m.width, m.height);
    assert.deepEqual(back.data, fillHoles(m).data, `seed ${seed}`);
    assert.deepEqual(fillHolesLib(m).data, fillHoles(m).data, `fillHoles seed ${seed}`);
  }
});

test('simplifyPolygon: hand cases and a bounded error on blobs', () => {
  // The 3x3 block contour reduces to its four corners.
  assert.deepEqual(simplifyPolygon([1, 1, 1, 2, 1, 3, 2, 3, 3, 3, 3, 2, 3, 1, 2, 1], 0.5), [1, 1, 1, 3, 3, 3, 3, 1]);
  // A square with a 0.4 px bump keeps 4 corners at epsilon 1, keeps the bump at epsilon 0.1.
  const bumpy = [0, 0, 5, 0.4, 10, 0, 10, 10, 0, 10];
  assert.equal(simplifyPolygon(bumpy, 1).length, 8);
  assert.equal(simplifyPolygon(bumpy, 0.1).length, 10);
  for (let seed = 1; seed <= 8; seed++) {
    const m = randomBlobs(120, 90, seed, 1); // one ellipse: one polygon
    const [raw] = maskToPolygons(m);
    const simple = simplifyPolygon(raw, 1);
    assert.ok(simple.length < raw.length / 3, `only ${raw.length / 2} -> ${simple.length / 2} vertices`);
    // every original vertex lies within epsilon of the simplified outline (the Douglas-Peucker guarantee)
    for (let k = 0; k < raw.length; k += 2) assert.ok(distToPolygonEdges(simple, raw[k], raw[k + 1]) <= 1 + 1e-9);
    // a 1 px tolerance on small ellipses (perimeter ~40-110 px) costs a few percent of area at most
    assert.ok(maskIoU(fillPolygons([simple], 120, 90), m) > 0.92);
  }
});

test('polygonArea: shoelace by hand', () => {
  assert.equal(polygonArea([0, 0, 4, 0, 4, 3]), 6); // right triangle 4x3 / 2
  assert.equal(signedPolygonArea([0, 0, 4, 0, 4, 3]), 6);
  assert.equal(signedPolygonArea([0, 0, 4, 3, 4, 0]), -6);
  assert.equal(polygonArea([1, 1, 2, 2]), 0);
});

test('bad polygons are AnimesegErrors', () => {
  const bad = (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT';
  assert.throws(() => fillPolygons([[1, 2, 3]], 4, 4), bad);
  assert.throws(() => fillPolygons([[1, 2, NaN, 3]], 4, 4), bad);
  assert.throws(() => fillPolygons([[1, 2, 1e12, 3]], 4, 4), bad);
  assert.throws(() => maskToPolygons(art('#'), { epsilon: -1 }), (e) => e instanceof AnimesegError);
});

test('maskToPolygons (traces only the mask box) equals tracing the mask padded far into the picture; any non-zero value is foreground', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const small = seed % 3 ? randomBlobs(29, 17, seed) : randomNoise(29, 17, seed, 0.4);
    // The same shapes at an offset inside a larger empty picture, with values other than 1: the polygons are
    // the small mask's, shifted by the offset.
    const W = 61;
    const H = 40;
    const big = { data: new Uint8Array(W * H), width: W, height: H };
    for (let y = 0; y < 17; y++) for (let x = 0; x < 29; x++) if (small.data[y * 29 + x]) big.data[(y + 9) * W + x + 21] = [1, 7, 255][(x + y) % 3];
    for (const epsilon of [0, 1]) {
      const shifted = maskToPolygons(small, { epsilon }).map((p) => p.map((v, i) => v + (i % 2 ? 9 : 21)));
      assert.deepEqual(maskToPolygons(big, { epsilon }), shifted, `seed ${seed} epsilon ${epsilon}`);
    }
  }
});
