/**
 * Opening an onnxruntime session for a SAM model, behind one function so the project's shared loader
 * (src/models/session.ts, when present) can replace it in one place. Errors become AnimesegError.
 */
import { stat } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { AnimesegError } from '../../errors.js';

export type OrtSession = ort.InferenceSession;
export { ort };

export interface SamSessionOptions {
  /** Intra-op threads; onnxruntime's default when absent. */
  threads?: number;
  /** Execution providers, e.g. ['cpu'] (default) or ['cuda', 'cpu']. */
  providers?: string[];
}

export async function openSamSession(path: string, role: 'encoder' | 'decoder', opts: SamSessionOptions = {}): Promise<OrtSession> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) {
    throw new AnimesegError('MODEL_NOT_FOUND', `SAM ${role} model file not found`, {
      file: path,
      hint: `give the path of a SAM ${role} .onnx export (for example labelme's sam_vit_b_01ec64.quantized.${role}.onnx)`,
    });
  }
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: opts.providers ?? ['cpu'],
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    throw new AnimesegError('BAD_MODEL', `cannot load the SAM ${role}: ${(e as Error).message}`, {
      file: path,
      hint: 'the file must be an ONNX export of a Segment Anything ' + role,
      cause: e,
    });
  }
}

/** Shape of a session input/output from the model's metadata ([] when the model does not say). */
export function valueShape(meta: readonly ort.InferenceSession.ValueMetadata[], name: string): ReadonlyArray<number | string> | undefined {
  const m = meta.find((v) => v.name === name);
  if (!m) return undefined;
  return m.isTensor ? m.shape : [];
}

export function valueType(meta: readonly ort.InferenceSession.ValueMetadata[], name: string): string | undefined {
  const m = meta.find((v) => v.name === name);
  return m && m.isTensor ? m.type : undefined;
}
