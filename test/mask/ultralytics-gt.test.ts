/**
 * fillPolygons + resizeMaskLinear against Ultralytics' own ground-truth rasterisation.
 * Expected: `gt[i].mask160_rle` in ../shared/data/reference/metrics/<case>/intermediate.json, written by
 * Ultralytics 8.2.103 / OpenCV 4.6 (YOLODataset val pipeline -> polygons2masks_overlap). The test redoes that
 * pipeline step by step as the reference README describes, with the project's resampleSegment,
 * fillPolygons and resizeMaskLinear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fillPolygons } from '../../src/mask/polygon.js';
import { resizeMaskLinear } from '../../src/mask/resize.js';
import { decodeRle } from '../../src/mask/rle.js';
import { resampleSegment } from '../../src/mask/resample.js';
import type { Rle } from '../../src/mask/types.js';

const METRICS = new URL('../../../shared/data/reference/metrics/', import.meta.url).pathname;
const f32 = Math.fround;

interface GtEntry {
  mask160_rle: Rle;
}

for (const caseName of ['case1', 'case2']) {
  test(`fillPolygons reproduces Ultralytics' 160x160 ground-truth masks (${caseName})`, () => {
    const inter = JSON.parse(readFileSync(`${METRICS}${caseName}/intermediate.json`, 'utf8'));
    let compared = 0;
    let differing = 0;
    for (const img of inter.images as { image: string; gt?: GtEntry[] }[]) {
      const text = readFileSync(`${METRICS}${caseName}/labels/${img.image}.txt`, 'utf8').trim();
      if (!text) continue;
      // label floats are read as float32; normalised polygon -> resample -> *640, *480 (+80 letterbox pad)
      const masks = text.split('\n').map((line) => {
        const v = line.trim().split(/\s+/).slice(1).map(Number).map(f32);
        const r = resampleSegment(v, 1000);
        const poly: number[] = [];
        for (let k = 0; k < r.length; k += 2) poly.push(f32(r[k] * 640), f32(f32(r[k + 1] * 480) + 80));
        return resizeMaskLinear(fillPolygons([poly], 640, 640), 160, 160);
      });
      // polygons2masks_overlap: descending area, smaller instances overwrite larger ones
      const areas = masks.map((m) => m.data.reduce((a, b) => a + b, 0));
      const order = areas.map((_, i) => i).sort((a, b) => areas[b] - areas[a]);
      const index = new Uint8Array(160 * 160);
      order.forEach((mi, rank) => {
        const d = masks[mi].data;
        for (let p = 0; p < d.length; p++) if (d[p]) index[p] = rank + 1;
      });
      const gt = img.gt ?? [];
      assert.equal(gt.length, masks.length, img.image);
      gt.forEach((g, rank) => {
        const want = decodeRle(g.mask160_rle).data;
        for (let p = 0; p < want.length; p++) if ((index[p] === rank + 1 ? 1 : 0) !== want[p]) differing++;
        compared++;
      });
    }
    assert.ok(compared > 40, `only ${compared} instances compared`);
    assert.equal(differing, 0, `${differing} pixels differ over ${compared} instances`);
  });
}

test('resampleSegment: hand-worked square, 5 samples', () => {
  // closed square (0,0) (2,0) (2,2) (0,2) (0,0): L = 5, linspace(0, 4, 5) = 0..4 -> exactly the vertices
  assert.deepEqual(resampleSegment([0, 0, 2, 0, 2, 2, 0, 2], 5), [0, 0, 2, 0, 2, 2, 0, 2, 0, 0]);
  // 9 samples: step 0.5 -> midpoints between consecutive vertices appear
  assert.deepEqual(resampleSegment([0, 0, 2, 0, 2, 2, 0, 2], 9).slice(0, 6), [0, 0, 1, 0, 2, 0]);
  // 3 samples over a triangle (L = 4): positions 0, 1.5, 3 -> (0,0), midpoint of (4,0)-(0,4) = (2,2), (0,0)
  assert.deepEqual(resampleSegment([0, 0, 4, 0, 0, 4], 3), [0, 0, 2, 2, 0, 0]);
});
