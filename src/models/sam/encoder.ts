/**
 * SAM image encoder over ONNX: image (or crop) → embeddings [1, 256, 64, 64].
 * Accepts the public exports: labelme's (input `x`: normalised, zero-padded [1,3,1024,1024]) and
 * exports naming that input `image`/`input_image`. (Exports with preprocessing inside the graph, input
 * [H, W, 3], are refused with a clear message rather than fed wrongly.)
 * Embeddings are cached per image pixels + crop box for the life of the encoder (one run).
 */
import { createHash } from 'node:crypto';
import type { RawImage } from '../../image/types.js';
import type { Box } from '../../mask/types.js';
import { AnimesegError } from '../../errors.js';
import type { SharedSession } from '../session.js';
import { openSamSession, ort, valueShape, type OrtSession, type SamSessionOptions } from './session.js';
import { preprocessForEncoder, SAM_IMAGE_SIZE } from './transforms.js';

export interface SamEmbedding {
  data: Float32Array;
  /** [1, C, h, w], normally [1, 256, 64, 64] */
  dims: number[];
  /** Resized size inside the padded square, [H, W]. */
  inputSize: [number, number];
  /** Size of the encoded image or crop, [H, W]: the decoder's orig_im_size. */
  originalSize: [number, number];
}

export interface SamEncoderOptions extends SamSessionOptions {
  /** Embeddings kept in the cache (each ~4 MB). Default 8. */
  cacheSize?: number;
}

const INPUT_NAMES = ['x', 'image', 'input_image', 'images', 'input'];

export class SamEncoder {
  /** Milliseconds of session.run spent since creation (cache hits cost nothing). */
  runMs = 0;
  runs = 0;
  private readonly cache = new Map<string, SamEmbedding>();

  private readonly session: OrtSession;

  private constructor(
    private readonly shared: SharedSession,
    readonly path: string,
    readonly inputName: string,
    readonly imageSize: number,
    private readonly cacheSize: number,
  ) {
    this.session = shared.session;
  }

  static async load(path: string, opts: SamEncoderOptions = {}): Promise<SamEncoder> {
    const shared = await openSamSession(path, 'encoder', opts);
    const session = shared.session;
    const names = session.inputNames;
    const inputName = names.length === 1 ? names[0] : INPUT_NAMES.find((n) => names.includes(n));
    if (!inputName || session.outputNames.length < 1) {
      await shared.release();
      throw new AnimesegError('BAD_MODEL', `not a SAM image encoder: inputs [${names.join(', ')}]`, {
        file: path,
        hint: `expected one image input named ${INPUT_NAMES.map((n) => `'${n}'`).join(' or ')} of shape [1,3,1024,1024]`,
      });
    }
    const shape = valueShape(session.inputMetadata, inputName) ?? [];
    let size = SAM_IMAGE_SIZE;
    // [] = the model does not declare a shape: trust the name and the public contract
    const okRank = shape.length === 0 || (shape.length === 4 && (typeof shape[1] !== 'number' || shape[1] === 3));
    if (!okRank) {
      await shared.release();
      throw new AnimesegError('BAD_MODEL', `SAM encoder input '${inputName}' has shape [${shape.join(',')}], expected [1,3,1024,1024]`, {
        file: path,
        hint: 'use an encoder export that takes the normalised, zero-padded image in CHW (as labelme\'s SAM exports)',
      });
    }
    if (typeof shape[3] === 'number' && shape[3] > 0) size = shape[3];
    return new SamEncoder(shared, path, inputName, size, opts.cacheSize ?? 8);
  }

  /** Embeddings of the image, or of `crop` ([x0,y0,x1,y1) in image pixels) as SAM's AMG encodes crops. */
  async embed(image: RawImage, crop?: Box): Promise<SamEmbedding> {
    const key = cacheKey(image, crop);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key); // move to most-recent
      this.cache.set(key, hit);
      return hit;
    }
    const { tensor, inputSize, originalSize } = preprocessForEncoder(image, crop, this.imageSize);
    const feed = new ort.Tensor('float32', tensor, [1, 3, this.imageSize, this.imageSize]);
    const t0 = performance.now();
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run({ [this.inputName]: feed });
    } catch (e) {
      throw new AnimesegError('BAD_MODEL', `SAM encoder failed: ${(e as Error).message}`, { file: this.path, cause: e });
    }
    this.runMs += performance.now() - t0;
    this.runs++;
    const outName = this.session.outputNames.includes('image_embeddings') ? 'image_embeddings' : this.session.outputNames[0];
    const t = out[outName];
    if (t.dims.length !== 4 || t.dims[0] !== 1) {
      throw new AnimesegError('BAD_MODEL', `SAM encoder returned shape [${t.dims.join(',')}], expected [1,256,64,64]`, { file: this.path });
    }
    const emb: SamEmbedding = { data: t.data as Float32Array, dims: [...t.dims], inputSize, originalSize };
    this.cache.set(key, emb);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return emb;
  }

  clearCache(): void {
    this.cache.clear();
  }

  async dispose(): Promise<void> {
    this.cache.clear();
    await this.shared.release();
  }
}

/** Identity of (pixels, crop): a hash of the pixel bytes and geometry. */
function cacheKey(image: RawImage, crop?: Box): string {
  const h = createHash('sha1');
  h.update(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength));
  return `${h.digest('hex')}:${image.width}x${image.height}x${image.channels}:${crop ? crop.join(',') : 'full'}`;
}
