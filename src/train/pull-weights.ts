/**
 * `models pull` of a manifest entry published as Ultralytics weights (.pt; the entry's `export` field):
 * download the weights into the cache through the resolver (licence, progress, checksum when one is
 * published), then export them to the entry's ONNX `file` with Ultralytics (export.ts), so that every
 * later lookup by name finds a model onnxruntime loads. Ultralytics is looked for before the download: no
 * point fetching weights this machine cannot convert.
 */
import { link, copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AnimesegError } from '../errors.js';
import { cachedPath, downloadEntry, downloadedFile, findLocal, type ManifestEntry, type ResolveOptions } from '../models/resolver/index.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import { exportOnnx, type ExportResult } from './export.js';
import { findUltralytics, INSTALL_HINT, type UltralyticsCommand } from './ultralytics.js';

export interface PullWeightsOptions extends Pick<ResolveOptions, 'cacheDir' | 'modelsDir' | 'env' | 'noVerify' | 'fetchImpl' | 'progress' | 'onProgress'> {
  /** Download and export again even when the ONNX (or the weights) are already here. */
  force?: boolean;
  /** A Python with Ultralytics (else $ANIMESEG_PYTHON, `yolo`, `python3`: see ultralytics.ts). */
  python?: string;
  /** Ultralytics' output lines (export log). */
  onLine?: (line: string) => void;
}

export interface PullWeightsResult {
  /** The ONNX model. */
  path: string;
  /** 'found': already here (no download, no export); 'exported': made by this call. */
  action: 'found' | 'exported';
  /** The weights the ONNX was exported from (cache path), when exported. */
  weights?: string;
  export?: ExportResult;
}

/** What `models pull` says when Ultralytics is missing: what to install, and the way round it. */
function missingUltralytics(entry: ManifestEntry, cause: AnimesegError): AnimesegError {
  return new AnimesegError('MISSING_TOOL', `model '${entry.name}' is published as Ultralytics weights (.pt); exporting it to ONNX needs Ultralytics, which was not found (${cause.message})`, {
    hint: `${INSTALL_HINT} (Ultralytics pulls in PyTorch; the export also needs the 'onnx' package), then run 'animeseg models pull ${entry.name}' again; or export the weights elsewhere and put the ONNX as ${entry.file} in $ANIMESEG_MODELS`,
    cause,
  });
}

export async function pullWeightsEntry(entry: ManifestEntry, opts: PullWeightsOptions = {}): Promise<PullWeightsResult> {
  const spec = entry.export;
  if (!spec) throw new AnimesegError('BAD_INPUT', `model '${entry.name}' is not published as weights to export`, { hint: 'pull it as a plain model' });
  const env = opts.env ?? process.env;
  if (!opts.force) {
    const local = await findLocal(entry.name, entry, { ...opts, env });
    if (local) return { path: local.path, action: 'found' };
  }
  let u: UltralyticsCommand;
  try {
    u = await findUltralytics({ python: opts.python, env });
  } catch (e) {
    if (e instanceof AnimesegError && e.code === 'MISSING_TOOL') throw missingUltralytics(entry, e);
    throw e;
  }
  const weights = cachedPath({ file: downloadedFile(entry) }, { ...opts, env });
  const have = await stat(weights).then((s) => s.isFile(), () => false);
  if (opts.force || !have) await downloadEntry(entry, { ...opts, env });
  // Ultralytics writes NAME.onnx next to the weights it reads: give it a private copy in a temp folder of
  // the cache, so a killed export never leaves a half-written model where lookups would find it; the result
  // reaches its place by exportOnnx's temp file + rename.
  const onnx = cachedPath(entry, { ...opts, env });
  await mkdir(dirname(onnx), { recursive: true });
  const work = await mkdtemp(join(dirname(onnx), `${TEMP_PREFIX}export-`));
  try {
    const staged = join(work, 'weights.pt');
    await link(weights, staged).catch(() => copyFile(weights, staged));
    const r = await exportOnnx({ weights: staged, imgsz: spec.imgsz, out: onnx, ultralytics: u, env, onLine: opts.onLine });
    return { path: r.onnx, action: 'exported', weights, export: r };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
