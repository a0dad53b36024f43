/**
 * The decode step of every Node entry point (segmenter, evaluation runner): a file path, encoded bytes or
 * decoded pixels → the RGB image the predictor core takes, plus the input's alpha when it had one.
 */
import { AnimesegError } from '../errors.js';
import { decodeImage, decodeImageFile } from '../image/decode.js';
import { toRgb } from '../image/pixels.js';
import type { RawImage } from '../image/types.js';

export type ImageInput = string | Uint8Array | RawImage;

export interface DecodedInput {
  /** RGB. */
  image: RawImage;
  /** Alpha of the input when it had one (RGBA PNG/WebP), else undefined. */
  inputAlpha?: Uint8Array;
}

export async function decodeInput(input: ImageInput, opts: { maxPixels?: number; file?: string } = {}): Promise<DecodedInput> {
  const { maxPixels, file } = opts;
  let decoded: RawImage;
  if (typeof input === 'string') decoded = (await decodeImageFile(input, { maxPixels })).image;
  else if (input instanceof Uint8Array) decoded = (await decodeImage(input, { maxPixels, file })).image;
  else if (isRawImage(input)) {
    checkRawImage(input, file);
    decoded = input;
  } else throw new AnimesegError('BAD_INPUT', 'input must be a file path, encoded image bytes or a RawImage', { file });
  return { image: toRgb(decoded), inputAlpha: decoded.channels === 4 ? extractAlpha(decoded) : undefined };
}

function isRawImage(x: unknown): x is RawImage {
  return typeof x === 'object' && x !== null && 'data' in x && 'width' in x && 'height' in x && 'channels' in x;
}

function checkRawImage(img: RawImage, file?: string): void {
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new AnimesegError('BAD_INPUT', `raw image has an invalid size ${width}x${height}`, { file });
  }
  if (![1, 3, 4].includes(channels)) throw new AnimesegError('BAD_INPUT', `raw image has ${channels} channels, expected 1, 3 or 4`, { file });
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new AnimesegError('BAD_INPUT', `raw image data has ${data?.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`, { file });
  }
}

function extractAlpha(img: RawImage): Uint8Array {
  const n = img.width * img.height;
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = img.data[i * 4 + 3];
  return a;
}
