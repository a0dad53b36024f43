/**
 * The model manifest: named models with where to get them, how to check them and under what licence.
 * Two layers: the built-in `models.json` at the package root (read-only, ships with the package) and the
 * user manifest `$ANIMESEG_CONFIG_DIR/models.json` (default `~/.config/animeseg/models.json`) where
 * `animeseg train --register NAME` adds locally trained models. A user entry with the same name as a
 * built-in one wins, so a user can pin their own copy.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve as resolvePath, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnimesegError } from '../../errors.js';
import { writeJsonAtomic } from '../../util/atomic.js';

export type ModelKind =
  | 'yolo-seg'
  | 'yolo-detect'
  | 'sam-encoder'
  | 'sam-decoder'
  | 'efficientsam-encoder'
  | 'efficientsam-decoder'
  | 'mobilesam-encoder'
  | 'mobilesam-decoder'
  /** WD14 image tagger (NHWC BGR input, one sigmoid per tag) and its selected_tags.csv (dataset curate captions). */
  | 'wd-tagger'
  | 'wd-tagger-tags';

export const MODEL_KINDS: readonly ModelKind[] = [
  'yolo-seg',
  'yolo-detect',
  'sam-encoder',
  'sam-decoder',
  'efficientsam-encoder',
  'efficientsam-decoder',
  'mobilesam-encoder',
  'mobilesam-decoder',
  'wd-tagger',
  'wd-tagger-tags',
];

/** Encoder/decoder models come in pairs; both members carry the same `pair`. */
export interface ModelPair {
  /** The name users type for the pair, e.g. `sam-vit-l`. */
  name: string;
  encoder: string;
  decoder: string;
}

export interface ManifestEntry {
  name: string;
  /** File name in `$ANIMESEG_MODELS` and in the cache. */
  file: string;
  /** Where to download it; absent for local-only (registered) models. */
  url?: string;
  /** Lower-case hex. At least one of sha256/md5 unless `unverified` (md5 where that is all the publisher gives). */
  sha256?: string;
  md5?: string;
  /** Bytes (of the download: for an `export` entry, its weights); absent when not known from a trustworthy source. */
  size?: number;
  licence: string;
  description: string;
  kind: ModelKind;
  pair?: ModelPair;
  /** Facts about inputs/outputs (names, shapes, normalisation) for the code that loads it. */
  io?: Record<string, unknown>;
  /** True when no checksum was published: the downloader refuses it unless told `noVerify`. */
  unverified?: boolean;
  /** Where the facts (URL, checksum) come from. */
  source?: string;
  /** Local models (train --register): absolute path of the ONNX file. */
  path?: string;
  /**
   * Built-in models shipped inside the package: the file's path relative to the package root
   * (e.g. `models/animeseg-char-n416.onnx`). Found before any folder, cache or download.
   */
  bundled?: string;
  /** The model card (Markdown), relative to the package root; `models info` prints it. */
  card?: string;
  /**
   * Settings the model's authors recommend, used where the user gives none (explicit options win;
   * see src/pipeline/settings.ts). The ONNX metadata `recommended_conf` says the same from inside the file.
   */
  recommended?: { conf?: number; iou?: number };
  /** Where the entry was read from: the package manifest or the user's. Set at load time. */
  origin?: 'builtin' | 'user';
  /** Free-form extras, e.g. training facts of a registered model. */
  extra?: Record<string, unknown>;
  /**
   * The URL serves Ultralytics weights (.pt), not ONNX: `models pull` downloads them as `weights` (into the
   * cache) and exports `file` from them through Ultralytics at `imgsz` (src/train/pull-weights.ts). The
   * resolver never downloads such an entry by itself: it cannot export (that needs Ultralytics).
   */
  export?: WeightsExport;
}

export interface WeightsExport {
  /** Cache file name of the downloaded weights (a bare `.pt` name). */
  weights: string;
  /** Export input size (a multiple of 32, the model stride). */
  imgsz: number;
}

export interface Manifest {
  version: 1;
  models: ManifestEntry[];
}

/** The package root: the folder of the built-in models.json (bundled models and cards are relative to it). */
let rootCache: string | undefined;
export function packageRoot(): string {
  return (rootCache ??= dirname(builtinManifestPath()));
}

/** The package's own models.json (repo root), found relative to this file in src/ and in dist/. */
export function builtinManifestPath(): string {
  // src/models/resolver/manifest.ts and dist/src/... both sit a fixed depth below a folder holding models.json;
  // walk up until one is found so the layout of the build does not matter.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'models.json');
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new AnimesegError('IO', 'the built-in model manifest models.json is missing from the package', {
    hint: 'reinstall animeseg',
  });
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ANIMESEG_CONFIG_DIR) return resolvePath(env.ANIMESEG_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'animeseg');
}

export function userManifestPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'models.json');
}

const HEX = { sha256: /^[0-9a-f]{64}$/, md5: /^[0-9a-f]{32}$/ };

/** Check one entry's shape; a broken manifest names the entry and the field. */
export function validateEntry(raw: unknown, file: string, index: number): ManifestEntry {
  const bad = (what: string) =>
    new AnimesegError('BAD_INPUT', `model manifest entry #${index}: ${what}`, {
      file,
      hint: 'fix or remove that entry (see models.json in the animeseg package for the format)',
    });
  if (!raw || typeof raw !== 'object') throw bad('not an object');
  const e = raw as Record<string, unknown>;
  for (const k of ['name', 'file', 'licence', 'description', 'kind'] as const) {
    if (typeof e[k] !== 'string' || (e[k] as string).length === 0) throw bad(`'${k}' must be a non-empty string`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(e.name as string)) throw bad(`name '${String(e.name)}' may only use letters, digits, . _ -`);
  if (/[\\/]/.test(e.file as string)) throw bad(`'file' must be a bare file name, got '${String(e.file)}'`);
  if (!MODEL_KINDS.includes(e.kind as ModelKind)) throw bad(`unknown kind '${String(e.kind)}' (one of ${MODEL_KINDS.join(', ')})`);
  for (const k of ['sha256', 'md5'] as const) {
    if (e[k] !== undefined && (typeof e[k] !== 'string' || !HEX[k].test(e[k] as string))) throw bad(`'${k}' must be lower-case hex`);
  }
  if (e.size !== undefined && !(Number.isInteger(e.size) && (e.size as number) > 0)) throw bad(`'size' must be a positive integer`);
  if (e.url !== undefined && (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url))) throw bad(`'url' must be an http(s) URL`);
  if (e.path !== undefined && (typeof e.path !== 'string' || !isAbsolute(e.path))) throw bad(`'path' must be an absolute path`);
  for (const k of ['bundled', 'card'] as const) {
    const v = e[k];
    if (v !== undefined && (typeof v !== 'string' || v === '' || isAbsolute(v) || v.split(/[\\/]/).includes('..'))) throw bad(`'${k}' must be a path inside the package, got '${String(v)}'`);
  }
  if (e.recommended !== undefined) {
    const r = e.recommended as Record<string, unknown>;
    if (!r || typeof r !== 'object') throw bad(`'recommended' must be an object like { "conf": 0.45 }`);
    for (const [k, v] of Object.entries(r)) {
      if (k !== 'conf' && k !== 'iou') throw bad(`'recommended' may set conf and iou, not '${k}'`);
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad(`'recommended.${k}' must be a number in [0, 1]`);
    }
  }
  if (e.url === undefined && e.path === undefined && e.bundled === undefined) throw bad(`needs a 'url' to download from, a local 'path' or a 'bundled' file`);
  if (e.url !== undefined && e.sha256 === undefined && e.md5 === undefined && e.unverified !== true) {
    throw bad(`has a url but no sha256/md5; mark it "unverified": true if no checksum is published`);
  }
  if (e.export !== undefined) {
    const x = e.export as Record<string, unknown>;
    if (!x || typeof x.weights !== 'string' || !/^[^\\/]+\.pt$/i.test(x.weights)) throw bad(`'export.weights' must be a bare .pt file name`);
    if (!(Number.isInteger(x.imgsz) && (x.imgsz as number) >= 32 && (x.imgsz as number) % 32 === 0)) throw bad(`'export.imgsz' must be a positive multiple of 32`);
    if (x.weights === e.file) throw bad(`'export.weights' must differ from 'file' (the exported ONNX)`);
  }
  if (e.pair !== undefined) {
    const p = e.pair as Record<string, unknown>;
    if (!p || typeof p.name !== 'string' || typeof p.encoder !== 'string' || typeof p.decoder !== 'string') {
      throw bad(`'pair' must be { name, encoder, decoder }`);
    }
  }
  return e as unknown as ManifestEntry;
}

export function parseManifest(text: string, file: string, origin: 'builtin' | 'user'): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', `model manifest is not valid JSON: ${(e as Error).message}`, {
      file,
      hint: origin === 'user' ? 'fix the JSON or delete the file (it only holds models you registered)' : 'reinstall animeseg',
    });
  }
  const m = json as { version?: unknown; models?: unknown };
  if (!m || typeof m !== 'object' || m.version !== 1 || !Array.isArray(m.models)) {
    throw new AnimesegError('BAD_INPUT', 'model manifest must look like { "version": 1, "models": [...] }', { file });
  }
  const models = m.models.map((raw, i) => ({ ...validateEntry(raw, file, i), origin }));
  const seen = new Set<string>();
  for (const e of models) {
    if (seen.has(e.name)) throw new AnimesegError('BAD_INPUT', `model manifest names '${e.name}' twice`, { file });
    seen.add(e.name);
  }
  return { version: 1, models };
}

let builtinCache: Manifest | undefined;

export function loadBuiltinManifest(): Manifest {
  if (!builtinCache) {
    const file = builtinManifestPath();
    builtinCache = parseManifest(readFileSync(file, 'utf8'), file, 'builtin');
  }
  return builtinCache;
}

/** The user's manifest, or an empty one when the file does not exist yet. */
export async function loadUserManifest(env: NodeJS.ProcessEnv = process.env): Promise<Manifest> {
  const file = userManifestPath(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, models: [] };
    throw new AnimesegError('IO', `cannot read the user model manifest: ${(e as Error).message}`, { file });
  }
  return parseManifest(text, file, 'user');
}

/** Built-in entries overlaid with the user's (user wins on equal names). */
export async function loadManifest(env: NodeJS.ProcessEnv = process.env): Promise<ManifestEntry[]> {
  const builtin = loadBuiltinManifest().models;
  const user = (await loadUserManifest(env)).models;
  const userNames = new Set(user.map((e) => e.name));
  return [...builtin.filter((e) => !userNames.has(e.name)), ...user];
}

export function findEntry(entries: ManifestEntry[], name: string): ManifestEntry | undefined {
  return entries.find((e) => e.name === name) ?? entries.find((e) => e.file === name);
}

/** Check a name for `train --register` before hours of training, not after. */
export function assertRegistrableName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new AnimesegError('BAD_OPTION', `model name '${name}' may only use letters, digits, . _ - (and start with a letter or digit)`);
  }
  if (loadBuiltinManifest().models.some((e) => e.name === name)) {
    throw new AnimesegError('BAD_OPTION', `'${name}' is the name of a built-in model`, { hint: 'choose another name for --register' });
  }
}

/**
 * Add or replace an entry in the user manifest (atomic write). Used by `train --register`.
 * Refuses to shadow a built-in name unless `replace` is set, so a typo cannot hide the default model.
 */
export async function registerModel(
  entry: Omit<ManifestEntry, 'origin'>,
  opts: { env?: NodeJS.ProcessEnv; replace?: boolean } = {},
): Promise<string> {
  const env = opts.env ?? process.env;
  const file = userManifestPath(env);
  const checked = validateEntry(entry, file, 0);
  if (!opts.replace) assertRegistrableName(checked.name);
  const user = await loadUserManifest(env);
  const existing = user.models.findIndex((e) => e.name === checked.name);
  const clean: ManifestEntry = { ...checked };
  delete clean.origin;
  const models = user.models.map((e) => {
    const c = { ...e };
    delete c.origin;
    return c;
  });
  if (existing >= 0) models[existing] = clean;
  else models.push(clean);
  await writeJsonAtomic(file, { version: 1, models });
  return file;
}
