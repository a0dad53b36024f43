/**
 * Ultralytics' polygon resampling, needed to rasterise YOLO-seg ground truth exactly as its validator does.
 */
import { AnimesegError } from '../errors.js';
import type { Polygon } from './types.js';

/**
 * Ultralytics 8.2.x `resample_segments(segments, n)` for one polygon: the polygon is closed (first vertex
 * appended) and sampled at n evenly spaced positions of the vertex index, np.linspace(0, L - 1, n), by
 * linear interpolation (np.interp, float64); the result is rounded to float32 like Ultralytics stores it.
 * Original vertices are not forced into the output (that changed in Ultralytics 8.3), so corners get cut.
 * Input and output are flat [x0, y0, x1, y1, ...].
 */
export function resampleSegment(poly: Polygon, n = 1000): Polygon {
  if (poly.length % 2 !== 0 || poly.length === 0) {
    throw new AnimesegError('BAD_INPUT', `polygon needs an even, non-zero number of coordinates (got ${poly.length})`);
  }
  if (!Number.isInteger(n) || n < 2) throw new AnimesegError('BAD_OPTION', `resample count must be an integer >= 2, got ${n}`);
  const L = poly.length / 2 + 1; // closed
  const px = (k: number) => poly[2 * (k % (L - 1))];
  const py = (k: number) => poly[2 * (k % (L - 1)) + 1];
  const step = (L - 1) / (n - 1);
  const out = new Array<number>(2 * n);
  for (let i = 0; i < n; i++) {
    const v = i === n - 1 ? L - 1 : i * step; // np.linspace: i * step, the last sample exactly the stop
    let x: number;
    let y: number;
    if (v >= L - 1) {
      x = px(L - 1);
      y = py(L - 1);
    } else {
      const k = Math.floor(v);
      // np.interp: slope * (x - xp[k]) + fp[k], with xp spacing 1
      x = (px(k + 1) - px(k)) * (v - k) + px(k);
      y = (py(k + 1) - py(k)) * (v - k) + py(k);
    }
    out[2 * i] = Math.fround(x);
    out[2 * i + 1] = Math.fround(y);
  }
  return out;
}
