/**
 * SAM's input geometry (segment-anything utils/transforms.py ResizeLongestSide, SamPredictor.set_image,
 * ImageEncoderOnnxModel.preprocess): resize so the longest side is 1024 with new size int(x*scale + 0.5),
 * Pillow's antialiased bilinear resampling (SAM resizes with torchvision's PIL path, labelme with
 * imgviz's pillow backend), normalise per channel, zero-pad bottom/right AFTER normalising, CHW float32.
 */
import type { RawImage } from '../../image/types.js';
import type { Box } from '../../mask/types.js';

export const SAM_PIXEL_MEAN = [123.675, 116.28, 103.53] as const;
export const SAM_PIXEL_STD = [58.395, 57.12, 57.375] as const;
export const SAM_IMAGE_SIZE = 1024;

/** ResizeLongestSide.get_preprocess_shape: [newH, newW] with int(x*scale + 0.5). */
export function getPreprocessShape(oldH: number, oldW: number, longSide: number): [number, number] {
  const scale = (longSide * 1.0) / Math.max(oldH, oldW);
  return [Math.trunc(oldH * scale + 0.5), Math.trunc(oldW * scale + 0.5)];
}

/**
 * ResizeLongestSide.apply_coords: interleaved [x, y, ...] in an image of `originalSize` [H, W] → the
 * resized (1024) frame. Returns a new Float64Array.
 */
export function applyCoords(coords: ArrayLike<number>, originalSize: readonly [number, number], longSide = SAM_IMAGE_SIZE): Float64Array {
  const [oldH, oldW] = originalSize;
  const [newH, newW] = getPreprocessShape(oldH, oldW, longSide);
  const out = new Float64Array(coords.length);
  const sx = newW / oldW;
  const sy = newH / oldH;
  for (let i = 0; i < coords.length; i += 2) {
    out[i] = coords[i] * sx;
    out[i + 1] = coords[i + 1] * sy;
  }
  return out;
}

/** ResizeLongestSide.apply_boxes: an XYXY box as two corner points in the resized frame. */
export function applyBox(box: Box, originalSize: readonly [number, number], longSide = SAM_IMAGE_SIZE): Float64Array {
  return applyCoords(box, originalSize, longSide);
}

// ---- Pillow's resampling (libImaging/Resample.c), bilinear filter, 8 bits per channel ----
// Written by hand: sharp/libvips resample differently, and matching the encoder's training-time input
// exactly is the point. Coefficients are fixed point with PRECISION_BITS = 32 - 8 - 2.
const PRECISION_BITS = 22;

interface Coeffs {
  ksize: number;
  /** xmin, count per output pixel */
  bounds: Int32Array;
  /** integer weights, ksize per output pixel */
  k: Int32Array;
}

function bilinearFilter(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? pre[x] / ww : pre[x];
      k[xx * ksize + x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, k };
}

function clip8(v: number): number {
  if (v >= 1 << (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * Resize interleaved u8 pixels like Pillow's Image.resize(size, BILINEAR): a horizontal pass then a
 * vertical one, each rounded back to u8; a pass is skipped when that side keeps its size.
 */
export function resizeBilinearPil(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number): Uint8Array {
  const half = 1 << (PRECISION_BITS - 1);
  let cur = src;
  let curW = w;
  if (outW !== w) {
    const { ksize, bounds, k } = precomputeCoeffs(w, outW);
    const out = new Uint8Array(outW * h * channels);
    for (let y = 0; y < h; y++) {
      const rowIn = y * w * channels;
      const rowOut = y * outW * channels;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[2 * xx];
        const n = bounds[2 * xx + 1];
        const kb = xx * ksize;
        for (let c = 0; c < channels; c++) {
          let ss = half;
          for (let x = 0; x < n; x++) ss += cur[rowIn + (x + xmin) * channels + c] * k[kb + x];
          out[rowOut + xx * channels + c] = clip8(ss);
        }
      }
    }
    cur = out;
    curW = outW;
  }
  if (outH !== h) {
    const { ksize, bounds, k } = precomputeCoeffs(h, outH);
    const out = new Uint8Array(curW * outH * channels);
    const stride = curW * channels;
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[2 * yy];
      const n = bounds[2 * yy + 1];
      const kb = yy * ksize;
      const rowOut = yy * stride;
      for (let i = 0; i < stride; i++) {
        let ss = half;
        for (let y = 0; y < n; y++) ss += cur[(y + ymin) * stride + i] * k[kb + y];
        out[rowOut + i] = clip8(ss);
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/** RGB copy of a crop of the image (gray replicated, alpha dropped). */
export function cropToRgb(image: RawImage, crop?: Box): { data: Uint8Array; width: number; height: number } {
  const [x0, y0, x1, y1] = crop ?? [0, 0, image.width, image.height];
  const w = x1 - x0;
  const h = y1 - y0;
  const ch = image.channels;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    let s = ((y + y0) * image.width + x0) * ch;
    let d = y * w * 3;
    for (let x = 0; x < w; x++, s += ch, d += 3) {
      if (ch === 1) {
        out[d] = out[d + 1] = out[d + 2] = image.data[s];
      } else {
        out[d] = image.data[s];
        out[d + 1] = image.data[s + 1];
        out[d + 2] = image.data[s + 2];
      }
    }
  }
  return { data: out, width: w, height: h };
}

/** float32 (v - mean) / std for every u8 value of each channel, as numpy/torch compute it in float32. */
function normalisationTables(): Float32Array[] {
  const f = Math.fround;
  return [0, 1, 2].map((c) => {
    const t = new Float32Array(256);
    const m = f(SAM_PIXEL_MEAN[c]);
    const s = f(SAM_PIXEL_STD[c]);
    for (let v = 0; v < 256; v++) t[v] = f(f(v - m) / s);
    return t;
  });
}
let tables: Float32Array[] | undefined;

export interface EncoderInput {
  /** [1, 3, size, size] CHW float32, normalised and zero-padded */
  tensor: Float32Array;
  /** Size of the resized image inside the padded square: [H, W]. */
  inputSize: [number, number];
  /** Size of the image (or crop) before resizing: [H, W]. */
  originalSize: [number, number];
}

/** The encoder's input for the image (or a crop of it): resize, normalise, pad. */
export function preprocessForEncoder(image: RawImage, crop?: Box, size = SAM_IMAGE_SIZE): EncoderInput {
  const rgb = cropToRgb(image, crop);
  const [newH, newW] = getPreprocessShape(rgb.height, rgb.width, size);
  const resized = resizeBilinearPil(rgb.data, rgb.width, rgb.height, 3, newW, newH);
  tables ??= normalisationTables();
  const tensor = new Float32Array(3 * size * size); // zeros = the padding
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    const t = tables[c];
    const base = c * plane;
    for (let y = 0; y < newH; y++) {
      let s = y * newW * 3 + c;
      const d = base + y * size;
      for (let x = 0; x < newW; x++, s += 3) tensor[d + x] = t[resized[s]];
    }
  }
  return { tensor, inputSize: [newH, newW], originalSize: [rgb.height, rgb.width] };
}
