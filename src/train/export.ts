/**
 * Export Ultralytics weights (.pt) to ONNX with `yolo export model=W.pt format=onnx imgsz=N opset=K`.
 * Ultralytics writes W.onnx next to W.pt; we then read the ONNX itself (opset, input size, metadata) so the
 * recorded facts are those of the file, not of what we asked for.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, rename, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AnimesegError, invalidParameterError } from '../errors.js';
import { readOnnxInfo } from '../models/onnx/proto.js';
import { tempPathFor } from '../util/atomic.js';
import { displayCommand, findUltralytics, runUltralytics, type UltralyticsCommand } from './ultralytics.js';
import { checkWiseAlpha, interpolateCheckpoints } from './wise-ft.js';

/** ONNX opset 12 loads in every onnxruntime since 1.5 and covers all YOLOv8-seg ops; Ultralytics' own default
 * (the newest torch supports) can produce files older runtimes refuse. */
export const DEFAULT_OPSET = 12;

export interface ExportOptions {
  weights: string;
  imgsz?: number;
  opset?: number;
  /** Where the .onnx should end up (default: next to the weights, as Ultralytics writes it). */
  out?: string;
  /** Extra key=value pairs for `yolo export` (e.g. simplify=True, dynamic=True). */
  extra?: string[];
  /** Export alpha * weights + (1 - alpha) * pretrained instead (WiSE-FT, wise-ft.ts); the interpolated .pt
   * is written beside the ONNX (OUT-STEM.wise-ft.pt, or WEIGHTS-wiseALPHA.pt next to the weights): names of
   * our own, so a user's OUT-STEM.pt is never overwritten. */
  wise?: { alpha: number; pretrained: string };
  ultralytics?: UltralyticsCommand;
  python?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
}

export interface ExportResult {
  onnx: string;
  /** Opset and input size read from the exported file. */
  opset: number;
  imgsz: number[] | undefined;
  requested: { imgsz: number; opset: number };
  bytes: number;
  sha256: string;
  command: string;
  metadata: Record<string, string>;
}

export function buildExportArgs(weights: string, imgsz: number, opset: number, extra: string[] = []): string[] {
  return ['export', `model=${weights}`, 'format=onnx', `imgsz=${imgsz}`, `opset=${opset}`, ...extra];
}

export async function exportOnnx(opts: ExportOptions): Promise<ExportResult> {
  const weights = resolve(opts.weights);
  const ws = await stat(weights).catch(() => undefined);
  if (!ws?.isFile()) {
    throw new AnimesegError('BAD_INPUT', 'weights file not found', { file: weights, hint: 'pass the best.pt from a training run (RUN/weights/best.pt)' });
  }
  const imgsz = opts.imgsz ?? 640;
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(imgsz) || imgsz < 32 || imgsz % 32 !== 0) {
    throw invalidParameterError('--imgsz', 'a positive multiple of 32 (the model stride)', imgsz);
  }
  const u = opts.ultralytics ?? (await findUltralytics({ python: opts.python, env: opts.env }));
  let source = weights;
  if (opts.wise) {
    checkWiseAlpha(opts.wise.alpha);
    const pretrained = resolve(opts.wise.pretrained);
    if (!(await stat(pretrained).catch(() => undefined))?.isFile()) {
      throw new AnimesegError('BAD_INPUT', 'pretrained weights (--wise-from) not found', { file: pretrained, hint: "pass the checkpoint the fine-tuning started from (a recipe run's base.pt)" });
    }
    source = opts.out ? resolve(opts.out).replace(/\.onnx$/i, '') + '.wise-ft.pt' : join(dirname(weights), `${basename(weights).replace(/\.pt$/i, '')}-wise${opts.wise.alpha}.pt`);
    if (source === weights) throw new AnimesegError('BAD_OPTION', 'the interpolated weights would overwrite the input weights', { file: weights, hint: 'choose another --out' });
    await interpolateCheckpoints(u, { finetuned: weights, pretrained, alpha: opts.wise.alpha, out: source, env: opts.env });
  }
  const args = buildExportArgs(source, imgsz, opset, opts.extra);
  const command = displayCommand(u, args);
  const r = await runUltralytics(u, args, { env: opts.env, onLine: opts.onLine });
  const produced = join(dirname(source), basename(source).replace(/\.pt$/i, '') + '.onnx');
  if (r.code !== 0) {
    throw new AnimesegError('EXTERNAL_FAILED', `Ultralytics export failed (exit ${r.code ?? r.signal})`, {
      file: weights,
      hint: `command: ${command}\n  last output:\n    ${r.tail.slice(-8).join('\n    ')}`,
    });
  }
  if (!(await stat(produced).catch(() => undefined))) {
    throw new AnimesegError('EXTERNAL_FAILED', `Ultralytics export finished but ${produced} is not there`, { file: weights, hint: `command: ${command}` });
  }
  let onnx = produced;
  if (opts.out && resolve(opts.out) !== produced) {
    onnx = resolve(opts.out);
    // Same-folder temp + rename: readers never see a half-copied model.
    const tmp = tempPathFor(onnx);
    await copyFile(produced, tmp);
    await rename(tmp, onnx);
  }
  const bytes = await readFile(onnx);
  let info;
  try {
    info = readOnnxInfo(bytes);
  } catch (e) {
    throw new AnimesegError('BAD_MODEL', `the exported file is not a readable ONNX model: ${(e as Error).message}`, { file: onnx });
  }
  const dims = info.inputs[0]?.dims;
  const fromFile = dims && dims.length === 4 && typeof dims[2] === 'number' && typeof dims[3] === 'number' ? [dims[2], dims[3]] : undefined;
  return {
    onnx,
    opset: info.opset,
    imgsz: fromFile,
    requested: { imgsz, opset },
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    command,
    metadata: info.metadata,
  };
}
