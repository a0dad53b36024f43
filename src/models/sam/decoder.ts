/**
 * SAM mask decoder over ONNX, the public contract of segment-anything's utils/onnx.py SamOnnxModel:
 *   image_embeddings [1,256,64,64], point_coords [B,N,2] (1024 frame), point_labels [B,N]
 *   (1 fg, 0 bg, 2/3 box corners, -1 padding), mask_input [1,1,256,256], has_mask_input [1], orig_im_size [2] (H, W)
 *   → masks [B,M,H,W] logits, iou_predictions [B,M], low_res_masks [B,M,256,256].
 * M is 4 for exports with return_single_mask=False (index 0 = the single-mask token, 1..3 = multimask) and 1
 * otherwise; it is read from the model (or from the first output when the model leaves it symbolic).
 * The batch dimension B > 1 is used only when the export declares it dynamic (or, when the model does not
 * say, when a trial run with B = 2 succeeds).
 */
import { AnimesegError } from '../../errors.js';
import type { SamEmbedding } from './encoder.js';
import type { SharedSession } from '../session.js';
import { openSamSession, ort, valueShape, valueType, type OrtSession, type SamSessionOptions } from './session.js';

export const DECODER_INPUTS = ['image_embeddings', 'point_coords', 'point_labels', 'mask_input', 'has_mask_input', 'orig_im_size'] as const;

/** Prompts for B decoder runs with the same number N of points each. */
export interface SamPrompts {
  /** B*N*2 interleaved x, y in the encoder's 1024 frame */
  coords: Float32Array;
  /** B*N labels */
  labels: Float32Array;
  batch: number;
  points: number;
}

export interface SamDecoderOutput {
  /** [B, M, H, W] logits (threshold 0) */
  masks: Float32Array;
  /** [B, M] */
  iou: Float32Array;
  batch: number;
  numMasks: number;
  height: number;
  width: number;
}

export class SamDecoder {
  runMs = 0;
  runs = 0;
  /** Masks per prompt: 1 or 4; undefined until known when the model leaves it symbolic. */
  numMasks: number | undefined;
  /** Whether point_coords accepts a batch > 1; undefined = unknown until tried. */
  batchable: boolean | undefined;
  private readonly maskOut: string;
  private readonly iouOut: string;
  private readonly origType: 'float32' | 'int64';
  private readonly hasMaskType: 'float32' | 'int64';
  private emptyMask = new Float32Array(256 * 256);

  private readonly session: OrtSession;

  private constructor(private readonly shared: SharedSession, readonly path: string) {
    const session = shared.session;
    this.session = session;
    const outs = session.outputNames;
    this.maskOut = outs.includes('masks') ? 'masks' : outs[0];
    this.iouOut = outs.includes('iou_predictions') ? 'iou_predictions' : outs[1];
    this.origType = valueType(session.inputMetadata, 'orig_im_size') === 'int64' ? 'int64' : 'float32';
    this.hasMaskType = valueType(session.inputMetadata, 'has_mask_input') === 'int64' ? 'int64' : 'float32';
    const ms = valueShape(session.outputMetadata, this.maskOut) ?? [];
    this.numMasks = typeof ms[1] === 'number' && ms[1] > 0 ? ms[1] : undefined;
    const pc = valueShape(session.inputMetadata, 'point_coords') ?? [];
    this.batchable = pc.length === 0 ? undefined : typeof pc[0] === 'string' || (pc[0] as number) < 0;
  }

  static async load(path: string, opts: SamSessionOptions = {}): Promise<SamDecoder> {
    const shared = await openSamSession(path, 'decoder', opts);
    const session = shared.session;
    const missing = DECODER_INPUTS.filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0 || session.outputNames.length < 2) {
      const efficient = session.inputNames.some((n) => n.startsWith('batched_point'));
      await shared.release();
      throw new AnimesegError('BAD_MODEL', `not a SAM decoder export: missing inputs [${missing.join(', ')}] (has [${session.inputNames.join(', ')}])`, {
        file: path,
        hint: efficient
          ? 'this looks like an EfficientSAM decoder, whose inputs differ; use a SAM/MobileSAM decoder export'
          : `a SAM decoder (segment-anything scripts/export_onnx_model.py) has inputs ${DECODER_INPUTS.join(', ')}`,
      });
    }
    return new SamDecoder(shared, path);
  }

  /** Run the decoder for B prompts sharing one embedding. B > 1 needs a batchable export. */
  async predict(emb: SamEmbedding, prompts: SamPrompts): Promise<SamDecoderOutput> {
    const { batch: b, points: n } = prompts;
    if (prompts.coords.length !== b * n * 2 || prompts.labels.length !== b * n) throw new RangeError('prompt arrays do not match batch x points');
    if (b > 1 && this.batchable === false) throw new RangeError('this decoder export takes one prompt per run');
    const [oh, ow] = emb.originalSize;
    const feeds: Record<string, ort.Tensor> = {
      image_embeddings: new ort.Tensor('float32', emb.data, emb.dims),
      point_coords: new ort.Tensor('float32', prompts.coords, [b, n, 2]),
      point_labels: new ort.Tensor('float32', prompts.labels, [b, n]),
      mask_input: new ort.Tensor('float32', this.emptyMask, [1, 1, 256, 256]),
      has_mask_input:
        this.hasMaskType === 'int64' ? new ort.Tensor('int64', BigInt64Array.from([0n]), [1]) : new ort.Tensor('float32', new Float32Array(1), [1]),
      orig_im_size:
        this.origType === 'int64'
          ? new ort.Tensor('int64', BigInt64Array.from([BigInt(oh), BigInt(ow)]), [2])
          : new ort.Tensor('float32', Float32Array.from([oh, ow]), [2]),
    };
    const t0 = performance.now();
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds, [this.maskOut, this.iouOut]);
    } catch (e) {
      throw new AnimesegError('BAD_MODEL', `SAM decoder failed: ${(e as Error).message}`, { file: this.path, cause: e });
    }
    this.runMs += performance.now() - t0;
    this.runs++;
    const masks = out[this.maskOut];
    const iou = out[this.iouOut];
    const d = masks.dims;
    if (d.length !== 4 || d[0] !== b || d[2] !== oh || d[3] !== ow || iou.dims[0] !== b || iou.dims[1] !== d[1]) {
      throw new AnimesegError(
        'BAD_MODEL',
        `SAM decoder returned masks [${d.join(',')}] / iou [${iou.dims.join(',')}] for ${b} prompt(s) on a ${ow}x${oh} image`,
        { file: this.path, hint: `expected masks [${b},M,${oh},${ow}] and iou_predictions [${b},M] with M = 1 or 4` },
      );
    }
    this.numMasks ??= d[1];
    return { masks: masks.data as Float32Array, iou: iou.data as Float32Array, batch: b, numMasks: d[1], height: oh, width: ow };
  }

  /**
   * Settle whether B > 1 works when the model's metadata does not say: one trial run with two prompts.
   * Returns the largest batch to use (1 when not batchable).
   */
  async probeBatch(emb: SamEmbedding): Promise<boolean> {
    if (this.batchable !== undefined) return this.batchable;
    try {
      await this.predict(emb, { coords: new Float32Array(8), labels: Float32Array.from([1, -1, 1, -1]), batch: 2, points: 2 });
      this.batchable = true;
    } catch {
      this.batchable = false;
    }
    return this.batchable;
  }

  async dispose(): Promise<void> {
    await this.shared.release();
  }
}
