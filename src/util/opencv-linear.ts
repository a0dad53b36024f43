/**
 * OpenCV's INTER_LINEAR coordinate tables (11-bit fixed-point weights), shared by the image resize
 * (src/image/resize.ts) and the mask resize (src/mask/resize.ts). It sits in util/ because both of those
 * layers use it and neither may import the other (see the layer rules in docs/ARCHITECTURE.md).
 */
import { roundHalfEven } from './numeric.js';

const COEF_BITS = 11;
export const COEF_SCALE = 1 << COEF_BITS; // 2048


export interface AxisTable {
  ofs: Int32Array; // source index (clamped)
  w0: Int16Array; // fixed-point weight of ofs
  w1: Int16Array; // fixed-point weight of ofs + 1
}

/**
 * Column/row table exactly as OpenCV's resizeGeneric builds it for INTER_LINEAR (shared by the image resize in
 * src/image/resize.ts and the mask resize in src/mask/resize.ts, which reproduce the same OpenCV call).
 */
export function axisTable(src: number, dst: number): AxisTable {
  const { ofs, frac } = axisTaps(src, dst);
  const w0 = new Int16Array(dst);
  const w1 = new Int16Array(dst);
  for (let d = 0; d < dst; d++) {
    w0[d] = roundHalfEven(Math.fround(1 - frac[d]) * COEF_SCALE);
    w1[d] = roundHalfEven(frac[d] * COEF_SCALE);
  }
  return { ofs, w0, w1 };
}

/**
 * The source tap and its float32 fraction per destination index, as OpenCV's resizeGeneric computes them for
 * INTER_LINEAR before it turns them into weights (fixed-point above; float in the mask's float resize).
 */
export function axisTaps(src: number, dst: number): { ofs: Int32Array; frac: Float32Array } {
  const scale = 1 / (dst / src);
  const ofs = new Int32Array(dst);
  const frac = new Float32Array(dst);
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) {
      f = 0;
      s = 0;
    }
    if (s >= src - 1) {
      f = 0;
      s = src - 1;
    }
    ofs[d] = s;
    frac[d] = f;
  }
  return { ofs, frac };
}

/**
 * OpenCV's two-row buffer for the vertical pass of a separable resize: `rows(y0, y1)` gives the horizontal pass
 * of source rows y0 and y1 (rows move forward only), running `hpass` only for a row not already held. With
 * y0 === y1 (rows clamped at an edge) both are the same buffer. Shared by the image and the mask resizes.
 */
export function twoRowBuffer<T>(bufA: T, bufB: T, hpass: (sy: number, buf: T) => void): (y0: number, y1: number) => [T, T] {
  let a = bufA;
  let b = bufB;
  let ay = -1;
  let by = -1;
  return (y0, y1) => {
    if (ay !== y0) {
      if (by === y0) {
        [a, b, ay, by] = [b, a, by, ay];
      } else {
        hpass(y0, a);
        ay = y0;
      }
    }
    if (y1 === y0) return [a, a];
    if (by !== y1) {
      hpass(y1, b);
      by = y1;
    }
    return [a, b];
  };
}
