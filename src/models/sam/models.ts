/**
 * Loading an encoder/decoder pair from explicit paths or a manifest pair name ('sam-vit-b', resolved by
 * src/models/resolver). Shared by the AMG proposer and the box refiner.
 */
import { AnimesegError } from '../../errors.js';
import { resolveModel, resolvePair } from '../resolver/resolve.js';
import { SamDecoder } from './decoder.js';
import { SamEncoder, type SamEncoderOptions } from './encoder.js';

export interface SamModelOptions extends SamEncoderOptions {
  /** Encoder: a loaded SamEncoder, an .onnx path or a manifest name. */
  encoder?: SamEncoder | string;
  /** Decoder: a loaded SamDecoder, an .onnx path or a manifest name. */
  decoder?: SamDecoder | string;
  /** Aliases used by the box refiner's options. */
  encoderPath?: string;
  decoderPath?: string;
  /** Manifest pair name when encoder/decoder are not given. Default 'sam-vit-b'. */
  model?: string;
}

export const DEFAULT_SAM_PAIR = 'sam-vit-b';

export interface LoadedSam {
  encoder: SamEncoder;
  decoder: SamDecoder;
  /** True when this call opened the sessions (so the caller must dispose them). */
  owned: { encoder: boolean; decoder: boolean };
}

export async function loadSam(opts: SamModelOptions = {}): Promise<LoadedSam> {
  let enc: SamEncoder | string | undefined = opts.encoder ?? opts.encoderPath;
  let dec: SamDecoder | string | undefined = opts.decoder ?? opts.decoderPath;
  if ((enc === undefined) !== (dec === undefined)) {
    throw new AnimesegError('BAD_OPTION', 'give both the SAM encoder and the SAM decoder, or neither (to use a model pair by name)', {
      hint: `e.g. --sam-model ${DEFAULT_SAM_PAIR}, or both --sam-encoder PATH and --sam-decoder PATH`,
    });
  }
  if (enc === undefined || dec === undefined) {
    const pair = await resolvePair(opts.model ?? DEFAULT_SAM_PAIR);
    enc = pair.encoder.path;
    dec = pair.decoder.path;
  }
  const session = { threads: opts.threads, device: opts.device };
  const encPath = typeof enc === 'string' ? (await resolveModel(enc)).path : undefined;
  const decPath = typeof dec === 'string' ? (await resolveModel(dec)).path : undefined;
  const encoder = typeof enc === 'string' ? await SamEncoder.load(encPath!, { ...session, cacheSize: opts.cacheSize }) : enc;
  let decoder: SamDecoder;
  try {
    decoder = typeof dec === 'string' ? await SamDecoder.load(decPath!, session) : dec;
  } catch (e) {
    if (typeof enc === 'string') await encoder.dispose();
    throw e;
  }
  return { encoder, decoder, owned: { encoder: typeof enc === 'string', decoder: typeof dec === 'string' } };
}

export async function disposeSam(s: LoadedSam): Promise<void> {
  if (s.owned.encoder) await s.encoder.dispose();
  if (s.owned.decoder) await s.decoder.dispose();
}
