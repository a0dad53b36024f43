/**
 * Ultralytics `LetterBox` (auto=False, scaleup=True, center=True) plus the tensor conversion of
 * `Predictor.preprocess`, and `scale_boxes`' inverse mapping. Pure TypeScript (bundled for the browser).
 */
import type { RawImage } from '../../image/types.js';
import { resizeBilinearU8Rows } from '../../image/resize.js';
import { toRgb } from '../../image/pixels.js';
import { roundHalfEven } from '../../util/numeric.js';

export const PAD_VALUE = 114;


export interface LetterboxGeometry {
  /** Original size. */
  width: number;
  height: number;
  /** Network input size. */
  inputW: number;
  inputH: number;
  ratio: number;
  /** Size of the resized image inside the input. */
  resizedW: number;
  resizedH: number;
  /** Where LetterBox put the image. */
  padLeft: number;
  padTop: number;
  /** What scale_boxes uses to map back (its pad comes from the unrounded size: may differ by 1 px). */
  boxGain: number;
  boxPadX: number;
  boxPadY: number;
}

export function letterboxGeometry(width: number, height: number, inputW: number, inputH: number): LetterboxGeometry {
  const r = Math.min(inputH / height, inputW / width);
  const resizedW = roundHalfEven(width * r);
  const resizedH = roundHalfEven(height * r);
  const dw = (inputW - resizedW) / 2;
  const dh = (inputH - resizedH) / 2;
  const boxGain = Math.min(inputH / height, inputW / width);
  return {
    width,
    height,
    inputW,
    inputH,
    ratio: r,
    resizedW,
    resizedH,
    padLeft: roundHalfEven(dw - 0.1),
    padTop: roundHalfEven(dh - 0.1),
    boxGain,
    boxPadX: roundHalfEven((inputW - width * boxGain) / 2 - 0.1),
    boxPadY: roundHalfEven((inputH - height * boxGain) / 2 - 0.1),
  };
}

/** u8 -> float32 /255 table: exactly torch's float32 division for every byte value. */
const DIV255 = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

/**
 * Letterbox an RGB/RGBA/gray image and write the NCHW float32 tensor (RGB, 0..1) into `out`
 * (allocated when not given). Alpha is dropped without compositing, like OpenCV's imread.
 */
export function letterboxTensor(
  img: RawImage,
  inputW: number,
  inputH: number,
  out?: Float32Array,
): { tensor: Float32Array; geometry: LetterboxGeometry } {
  // OpenCV resizes the 3-channel BGR image; the channel count changes which elements take the SIMD
  // rounding path, so convert to 3 channels first to stay bit-exact.
  img = toRgb(img);
  const g = letterboxGeometry(img.width, img.height, inputW, inputH);
  const plane = inputW * inputH;
  const tensor = out ?? new Float32Array(3 * plane);
  if (tensor.length !== 3 * plane) throw new Error(`tensor buffer must hold ${3 * plane} floats`);
  tensor.fill(DIV255[PAD_VALUE]);
  // Off-centre by construction when the padding is odd; rows/cols beyond the input are cut (never happens).
  const h = Math.min(g.resizedH, inputH - g.padTop);
  const w = Math.min(g.resizedW, inputW - g.padLeft);
  // Each resized row goes straight into the three planes (no resized image is kept).
  resizeBilinearU8Rows(img, g.resizedW, g.resizedH, (y, row) => {
    if (y < h) rowToPlanes(row, w, tensor, (y + g.padTop) * inputW + g.padLeft, plane);
  });
  return { tensor, geometry: g };
}

/** One RGB row (3 bytes a pixel, w pixels) into the R, G and B planes of the tensor at index di. */
function rowToPlanes(row: Uint8Array, w: number, tensor: Float32Array, di: number, plane: number): void {
  const g = di + plane;
  const b = di + 2 * plane;
  for (let x = 0, si = 0; x < w; x++, si += 3) {
    tensor[di + x] = DIV255[row[si]];
    tensor[g + x] = DIV255[row[si + 1]];
    tensor[b + x] = DIV255[row[si + 2]];
  }
}
