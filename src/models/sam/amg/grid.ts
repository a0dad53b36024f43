/**
 * Point grids of the automatic mask generator (segment-anything utils/amg.py build_point_grid,
 * build_all_layer_point_grids). Points are normalised to [0,1]; the generator scales them to each crop.
 */
import { linspace } from '../../../util/numeric.js';
export { linspace } from '../../../util/numeric.js';

/**
 * n x n points evenly spaced from 1/(2n) to 1 - 1/(2n), x varying fastest. Returned as interleaved
 * [x0, y0, x1, y1, ...] float64. Values follow numpy.linspace: start + i*step, the last one set to `stop`.
 */
export function buildPointGrid(nPerSide: number): Float64Array {
  if (!Number.isInteger(nPerSide) || nPerSide < 1) throw new RangeError(`points per side must be a positive integer, got ${nPerSide}`);
  const offset = 1 / (2 * nPerSide);
  const oneSide = linspace(offset, 1 - offset, nPerSide);
  const out = new Float64Array(nPerSide * nPerSide * 2);
  let k = 0;
  for (let iy = 0; iy < nPerSide; iy++) {
    for (let ix = 0; ix < nPerSide; ix++) {
      out[k++] = oneSide[ix];
      out[k++] = oneSide[iy];
    }
  }
  return out;
}


/** One grid per crop layer: layer i has int(n / scale^i) points per side. */
export function buildAllLayerPointGrids(nPerSide: number, nLayers: number, scalePerLayer: number): Float64Array[] {
  const grids: Float64Array[] = [];
  for (let i = 0; i <= nLayers; i++) {
    const n = Math.trunc(nPerSide / scalePerLayer ** i);
    grids.push(buildPointGrid(n));
  }
  return grids;
}
