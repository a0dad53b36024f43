/**
 * Read and write Ultralytics `data.yaml` files.
 *
 * Path rules follow Ultralytics' `check_det_dataset` so a file we write is read the same way by `yolo train`:
 * - `path` absent → the folder holding the yaml; `path` absolute → used as is. (A RELATIVE `path` is resolved by
 *   Ultralytics against its global DATASETS_DIR setting, not the yaml's folder, so we never write one and warn
 *   when we read one.)
 * - `train`/`val`/`test` are a string or a list of strings, each resolved against `path`; each is a folder of
 *   images or a .txt file listing images. Labels sit where `/images/` is replaced by `/labels/`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { AnimesegError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';

export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

export interface DataYaml {
  /** Absolute dataset root (Ultralytics `path`). */
  root: string;
  /** Absolute image folders / list files per split, as Ultralytics resolves them. */
  splits: Partial<Record<SplitName, string[]>>;
  /** Class id → name. */
  names: Map<number, string>;
  /** Anything else in the file, kept for round trips (e.g. our `sources` block written by merge). */
  extra: Record<string, unknown>;
  /** Problems found while reading that are not fatal (e.g. a relative `path`). */
  warnings: string[];
}

function asStringList(v: unknown, key: string, file: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new AnimesegError('BAD_DATASET', `'${key}' must be a path or a list of paths`, { file });
}

/** Names may be a list (index = id) or a mapping {id: name}; Ultralytics accepts both. */
function parseNames(v: unknown, file: string): Map<number, string> {
  const names = new Map<number, string>();
  if (Array.isArray(v)) {
    v.forEach((n, i) => names.set(i, String(n)));
  } else if (v && typeof v === 'object') {
    for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0) {
        throw new AnimesegError('BAD_DATASET', `class id '${k}' in 'names' is not a non-negative integer`, { file });
      }
      names.set(id, String(n));
    }
  } else {
    throw new AnimesegError('BAD_DATASET', "missing 'names' (class id → name)", {
      file,
      hint: 'add e.g.\nnames:\n  0: character',
    });
  }
  return names;
}

export async function readDataYaml(file: string): Promise<DataYaml> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', `cannot read data.yaml: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file, cause: e });
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new AnimesegError('BAD_DATASET', `not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file, cause: e });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new AnimesegError('BAD_DATASET', 'data.yaml must be a mapping with train, val and names', { file });
  }
  const obj = doc as Record<string, unknown>;
  const warnings: string[] = [];
  const yamlDir = dirname(resolve(file));
  let root = yamlDir;
  if (typeof obj.path === 'string' && obj.path !== '') {
    if (isAbsolute(obj.path)) root = obj.path;
    else {
      root = resolve(yamlDir, obj.path);
      warnings.push(
        `'path: ${obj.path}' is relative: Ultralytics resolves it against its DATASETS_DIR setting, not this file's folder; read here as ${root}`,
      );
    }
  }
  const splits: Partial<Record<SplitName, string[]>> = {};
  for (const s of SPLITS) {
    if (obj[s] === undefined || obj[s] === null || obj[s] === '') continue;
    splits[s] = asStringList(obj[s], s, file).map((p) => (isAbsolute(p) ? p : resolve(root, p)));
  }
  for (const s of ['train', 'val'] as const) {
    if (!splits[s]) {
      throw new AnimesegError('BAD_DATASET', `missing '${s}' (Ultralytics requires both train and val)`, { file });
    }
  }
  const names = parseNames(obj.names, file);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!['path', 'train', 'val', 'test', 'names', 'nc'].includes(k)) extra[k] = v;
  if (typeof obj.nc === 'number' && obj.nc !== names.size) {
    warnings.push(`nc: ${obj.nc} but ${names.size} names`);
  }
  return { root, splits, names, extra, warnings };
}

export interface DataYamlSpec {
  /** Absolute dataset root written as `path`. */
  root: string;
  /** Per split: one path or several, relative to root or absolute. */
  train: string | string[];
  val: string | string[];
  test?: string | string[];
  names: Map<number, string> | string[];
  /** Extra top-level keys (written after names). */
  extra?: Record<string, unknown>;
  /** A comment written at the top of the file. */
  comment?: string;
}

export function formatDataYaml(spec: DataYamlSpec): string {
  const names = Array.isArray(spec.names) ? new Map(spec.names.map((n, i) => [i, n] as const)) : spec.names;
  const doc: Record<string, unknown> = { path: resolve(spec.root), train: spec.train, val: spec.val };
  if (spec.test !== undefined) doc.test = spec.test;
  // A Map with number keys makes `yaml` write `0: character` (not the quoted "0"), as Ultralytics' own files do.
  doc.names = new Map([...names.entries()].sort((a, b) => a[0] - b[0]));
  Object.assign(doc, spec.extra ?? {});
  const body = YAML.stringify(doc, { lineWidth: 0 });
  const head = spec.comment ? spec.comment.split('\n').map((l) => `# ${l}`).join('\n') + '\n' : '';
  return head + body;
}

export async function writeDataYaml(file: string, spec: DataYamlSpec): Promise<void> {
  await writeFileAtomic(file, formatDataYaml(spec));
}

/** Ultralytics' img2label_paths: the last `/images/` in the path becomes `/labels/`, extension → .txt. */
export function labelPathFor(imagePath: string, sep = '/'): string {
  const a = `${sep}images${sep}`;
  const i = imagePath.lastIndexOf(a);
  const swapped = i >= 0 ? imagePath.slice(0, i) + `${sep}labels${sep}` + imagePath.slice(i + a.length) : imagePath;
  const dot = swapped.lastIndexOf('.');
  const slash = swapped.lastIndexOf(sep);
  return (dot > slash ? swapped.slice(0, dot) : swapped) + '.txt';
}
