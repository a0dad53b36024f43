/**
 * Turn what a user typed after `--model` into a model file on disk.
 * Search order (first hit wins):
 *   1. an explicit path that exists (anything with a slash or an .onnx suffix is treated as a path);
 *   2. a registered local model's `path` (from `train --register`);
 *   2b. a model shipped inside the package (`bundled`, e.g. the default model): no folder, cache or network;
 *   3. `$ANIMESEG_MODELS/<file>` (several folders allowed, separated like PATH);
 *   4. the cache: `$ANIMESEG_CACHE` or `~/.cache/animeseg` (`$XDG_CACHE_HOME/animeseg` when set);
 *   5. a download into the cache (checksum verified, atomic), unless downloads are off.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve as resolvePath } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { downloadFile, type DownloadProgress } from './download.js';
import { findEntry, loadManifest, packageRoot, type ManifestEntry } from './manifest.js';
import { isOffline, notHereError } from './offline.js';

/**
 * The model every surface uses when none is named: the project's own anime character model, shipped inside
 * the package (models/, card models/MODEL-animeseg-char.md). The COCO model stays available by name.
 */
export const DEFAULT_MODEL = 'animeseg-char-n416';

export interface ResolveOptions {
  /** Folder(s) searched before the cache; default `$ANIMESEG_MODELS`. */
  modelsDir?: string | string[];
  /** Cache folder; default `$ANIMESEG_CACHE` or `~/.cache/animeseg`. */
  cacheDir?: string;
  /** Download when not found locally (default true). `ANIMESEG_OFFLINE=1` wins over `true`: offline is never overridden. */
  download?: boolean;
  /** Allow downloading an entry that has no published checksum. */
  noVerify?: boolean;
  /** Largest download accepted for an entry whose size is not published (default MAX_UNKNOWN_SIZE). */
  maxUnknownSize?: number;
  /** Progress of a download. */
  onProgress?: (p: DownloadProgress) => void;
  /** Progress bar mode for a download (default 'auto'). */
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  fetchImpl?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  /** Use these entries instead of loading the manifests (tests, embedders). */
  entries?: ManifestEntry[];
}

export type ResolvedFrom = 'path' | 'registered' | 'bundled' | 'models-dir' | 'cache' | 'download';

export interface ResolvedModel {
  path: string;
  entry?: ManifestEntry;
  from: ResolvedFrom;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ANIMESEG_CACHE) return resolvePath(env.ANIMESEG_CACHE);
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'animeseg');
}

export function modelsDirs(opts: Pick<ResolveOptions, 'modelsDir' | 'env'> = {}): string[] {
  const env = opts.env ?? process.env;
  const raw = opts.modelsDir ?? env.ANIMESEG_MODELS;
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : raw.split(delimiter);
  return list.filter((d) => d.length > 0).map((d) => resolvePath(d));
}

async function isFile(p: string): Promise<number | undefined> {
  try {
    const s = await stat(p);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || /\.onnx$/i.test(s);
}

/** Where a built-in entry's shipped file is (whether or not it is there); undefined for other entries. */
export function bundledPath(entry: Pick<ManifestEntry, 'bundled' | 'origin'>): string | undefined {
  // Only the package's own manifest may point into the package.
  return entry.bundled && entry.origin !== 'user' ? join(packageRoot(), entry.bundled) : undefined;
}

/** Where an entry would sit in the cache (whether or not it is there). */
export function cachedPath(entry: Pick<ManifestEntry, 'file'>, opts: Pick<ResolveOptions, 'cacheDir' | 'env'> = {}): string {
  return join(opts.cacheDir ? resolvePath(opts.cacheDir) : cacheDir(opts.env), entry.file);
}

/**
 * Find a model locally without downloading. Returns undefined when it would need a download.
 * A cached file whose size disagrees with the manifest counts as absent (a damaged cache is re-fetched).
 */
export async function findLocal(
  nameOrPath: string,
  entry: ManifestEntry | undefined,
  opts: ResolveOptions = {},
): Promise<ResolvedModel | undefined> {
  if ((await isFile(resolvePath(nameOrPath))) !== undefined && (looksLikePath(nameOrPath) || !entry)) {
    return { path: resolvePath(nameOrPath), entry, from: 'path' };
  }
  if (entry?.path && (await isFile(entry.path)) !== undefined) return { path: entry.path, entry, from: 'registered' };
  const bundled = entry && bundledPath(entry);
  if (bundled) {
    // A shipped file of another size is not the one the manifest describes (a damaged install): look further.
    const size = await isFile(bundled);
    if (size !== undefined && (entry.size === undefined || entry.size === size)) return { path: bundled, entry, from: 'bundled' };
  }
  // A bare file name not in the manifest (e.g. 'my-model.onnx') is still looked up in the models folders.
  const fileName = entry?.file ?? (/[\\/]/.test(nameOrPath) ? undefined : nameOrPath);
  if (fileName) {
    for (const dir of modelsDirs(opts)) {
      const p = join(dir, fileName);
      if ((await isFile(p)) !== undefined) return { path: p, entry, from: 'models-dir' };
    }
  }
  if (entry) {
    const p = cachedPath(entry, opts);
    const size = await isFile(p);
    // An export entry's size and checksum are those of its weights, not of the ONNX made from them.
    if (size !== undefined && (entry.size === undefined || entry.export || entry.size === size)) return { path: p, entry, from: 'cache' };
  }
  return undefined;
}

export async function resolveModel(nameOrPath: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const env = opts.env ?? process.env;
  if (!nameOrPath) throw new AnimesegError('BAD_OPTION', 'no model name or path given', { hint: `the default is '${DEFAULT_MODEL}'` });
  const entries = opts.entries ?? (await loadManifest(env));
  const entry = findEntry(entries, nameOrPath);

  const local = await findLocal(nameOrPath, entry, { ...opts, env });
  if (local) return local;

  if (!entry) {
    const names = entries.map((e) => e.name).join(', ');
    throw new AnimesegError('MODEL_NOT_FOUND', `no model file or known model named '${nameOrPath}'`, {
      file: looksLikePath(nameOrPath) ? resolvePath(nameOrPath) : undefined,
      hint: looksLikePath(nameOrPath)
        ? 'check the path'
        : `known models: ${names}; or give a path to an .onnx file (run 'animeseg models list')`,
    });
  }
  if (entry.path && !entry.url) {
    throw new AnimesegError('MODEL_NOT_FOUND', `registered model '${entry.name}' points to a file that no longer exists`, {
      file: entry.path,
      hint: 'put the file back, or register it again with `animeseg train --register` / edit the user models.json',
    });
  }
  if (entry.bundled && !entry.url) {
    throw new AnimesegError('MODEL_NOT_FOUND', `model '${entry.name}' ships inside the animeseg package, but its file is missing or damaged`, {
      file: bundledPath(entry),
      hint: 'reinstall animeseg (npm ci / npm install), or give the model file by path with --model',
    });
  }
  if (entry.export) {
    // Its download is Ultralytics weights, not a model this runtime loads: exporting needs Ultralytics,
    // which lives above this layer (src/train), so only `models pull` fetches it.
    throw new AnimesegError('MODEL_NOT_FOUND', `model '${entry.name}' is published as Ultralytics weights (.pt) and has not been exported to ONNX here yet`, {
      file: cachedPath(entry, { ...opts, env }),
      hint: `run 'animeseg models pull ${entry.name}${entry.sha256 || entry.md5 ? '' : ' --no-verify'}' (downloads the weights and exports them; needs Ultralytics with PyTorch and onnx), or put an ONNX export as ${entry.file} in $ANIMESEG_MODELS`,
    });
  }
  if (isOffline(env) || opts.download === false || !entry.url) {
    throw notHereError(entry, searchedFolders(entry, { ...opts, env }), isOffline(env) ? 'offline' : 'no-download');
  }
  return downloadEntry(entry, { ...opts, env });
}

/** The file a download of the entry brings: its ONNX, or for an `export` entry the weights to export from. */
export function downloadedFile(entry: ManifestEntry): string {
  return entry.export?.weights ?? entry.file;
}

/**
 * The default size cap of a download whose size the manifest does not give (the unverified entries):
 * 1 GiB, above every model in the built-in manifest (the largest, SAM ViT-H's encoder, is 656 MB; the
 * unverified YOLOv8 detectors are tens of MB), far below what an endless or wrong URL could send.
 */
export const MAX_UNKNOWN_SIZE = 1024 ** 3;

/**
 * Download a manifest entry into the cache (replacing a cached copy atomically only once the new one is
 * verified). Used by resolveModel and by `models pull --force`. For an `export` entry the result is the
 * downloaded weights (`downloadedFile`), which src/train/pull-weights.ts then exports.
 */
export async function downloadEntry(entry: ManifestEntry, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  if (!entry.url) {
    throw new AnimesegError('MODEL_NOT_FOUND', `model '${entry.name}' has no download URL`, { hint: 'it is a local model; put its file back' });
  }
  if (!entry.sha256 && !entry.md5 && !opts.noVerify) {
    throw new AnimesegError('DOWNLOAD_FAILED', `model '${entry.name}' has no published checksum, so its download cannot be verified`, {
      hint: `pass --no-verify to download ${entry.url} anyway, or fetch it yourself into $ANIMESEG_MODELS`,
    });
  }
  const env = opts.env ?? process.env;
  if (isOffline(env)) throw notHereError(entry, searchedFolders(entry, opts), 'offline');
  const dest = cachedPath({ file: downloadedFile(entry) }, opts);
  await downloadFile({
    env,
    url: entry.url,
    dest,
    sha256: entry.sha256,
    md5: entry.md5,
    size: entry.size,
    maxBytes: entry.size === undefined ? (opts.maxUnknownSize ?? MAX_UNKNOWN_SIZE) : undefined,
    onProgress: opts.onProgress,
    progress: opts.progress,
    label: entry.name,
    fetchImpl: opts.fetchImpl,
    hint: `retry, or download ${entry.url} yourself and put it as ${downloadedFile(entry)} in $ANIMESEG_MODELS (or ${dirname(dest)})`,
  });
  return { path: dest, entry, from: 'download' };
}

/** Resolve both halves of an encoder/decoder pair by the pair's name (e.g. 'sam-vit-l') or either member's. */
export async function resolvePair(
  name: string,
  opts: ResolveOptions = {},
): Promise<{ encoder: ResolvedModel; decoder: ResolvedModel }> {
  const entries = opts.entries ?? (await loadManifest(opts.env ?? process.env));
  const pair = entries.find((e) => e.pair && (e.pair.name === name || e.name === name))?.pair;
  if (!pair) {
    const pairs = [...new Set(entries.filter((e) => e.pair).map((e) => e.pair!.name))].join(', ');
    throw new AnimesegError('MODEL_NOT_FOUND', `no encoder/decoder pair named '${name}'`, { hint: `known pairs: ${pairs}` });
  }
  const withEntries = { ...opts, entries };
  return { encoder: await resolveModel(pair.encoder, withEntries), decoder: await resolveModel(pair.decoder, withEntries) };
}

/** The folders a lookup searches for an entry's file, in order (for messages). */
function searchedFolders(entry: ManifestEntry, opts: ResolveOptions): { modelsDirs: string[]; cacheDir: string } {
  return { modelsDirs: modelsDirs(opts), cacheDir: dirname(cachedPath(entry, opts)) };
}
