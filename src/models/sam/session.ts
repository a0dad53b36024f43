/**
 * Opening a SAM model through the project's shared session loader (src/models/session.ts: execution
 * provider, threads, one session per file and settings), with SAM-specific messages for missing files.
 */
import { stat } from 'node:fs/promises';
import { AnimesegError } from '../../errors.js';
import { acquireSession, ort, type Device, type SharedSession } from '../session.js';

export type OrtSession = ort.InferenceSession;
export { ort };

export interface SamSessionOptions {
  /** Intra-op threads; onnxruntime's default when absent. */
  threads?: number;
  /** 'cpu' (default) or 'cuda'. */
  device?: Device;
}

export async function openSamSession(path: string, role: 'encoder' | 'decoder', opts: SamSessionOptions = {}): Promise<SharedSession> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) {
    throw new AnimesegError('MODEL_NOT_FOUND', `SAM ${role} model file not found`, {
      file: path,
      hint: `give the path of a SAM ${role} .onnx export (for example labelme's sam_vit_b_01ec64.quantized.${role}.onnx)`,
    });
  }
  return acquireSession(path, { threads: opts.threads, device: opts.device });
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
