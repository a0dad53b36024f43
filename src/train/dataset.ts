/**
 * Validate a dataset before training starts, so a broken label file is found in seconds, not after
 * hours of GPU time. Uses the data module's `checkDataset` (the `animeseg dataset check` command) when it is
 * available, loaded lazily so training code does not pull in image decoding unless needed; otherwise a
 * minimal check of our own: data.yaml parses, train/val exist and hold images, labels folders exist.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML from 'yaml';
import { AnimesegError } from '../errors.js';

export interface DatasetFacts {
  /** Absolute path of data.yaml. */
  file: string;
  names: string[];
  /** Images and instances per split when known. */
  counts: Record<string, { images?: number; instances?: number }>;
  /** Provenance recorded in data.yaml (e.g. a `sources` block written by `animeseg dataset merge`). */
  sources?: unknown;
  checker: 'dataset-check' | 'minimal';
  warnings: string[];
}

interface CheckResultLike {
  ok: boolean;
  errors: string[];
  warnings: string[];
  counts?: { perSplit?: Record<string, { images?: number; instances?: number }> };
}
type CheckFn = (path: string, opts?: Record<string, unknown>) => Promise<CheckResultLike>;

async function loadChecker(): Promise<CheckFn | undefined> {
  try {
    const mod = (await import('../data/check.js')) as { checkDataset?: CheckFn };
    return typeof mod.checkDataset === 'function' ? mod.checkDataset : undefined;
  } catch {
    return undefined;
  }
}

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|tiff?|dng|mpo|pfm|heic)$/i;

function readYamlDoc(text: string, file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new AnimesegError('BAD_DATASET', `data.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new AnimesegError('BAD_DATASET', 'data.yaml must be a mapping with train, val and names', { file });
  }
  return doc as Record<string, unknown>;
}

function namesOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort((a, b) => Number(a[0]) - Number(b[0]));
    return entries.map(([, n]) => String(n));
  }
  return [];
}

/** Our own small check, used only when src/data/check.ts is not available. */
async function minimalCheck(file: string, doc: Record<string, unknown>): Promise<CheckResultLike> {
  const errors: string[] = [];
  const perSplit: Record<string, { images?: number }> = {};
  const root = typeof doc.path === 'string' && doc.path ? (isAbsolute(doc.path) ? doc.path : resolve(dirname(file), doc.path)) : dirname(file);
  if (namesOf(doc.names).length === 0) errors.push("missing 'names' (class id → name)");
  for (const split of ['train', 'val']) {
    const v = doc[split];
    const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : [];
    if (list.length === 0) {
      errors.push(`missing '${split}'`);
      continue;
    }
    let images = 0;
    for (const p of list) {
      const abs = isAbsolute(p) ? p : resolve(root, p);
      try {
        const s = await stat(abs);
        if (s.isDirectory()) {
          images += (await readdir(abs, { recursive: true })).filter((n) => IMAGE_EXT.test(String(n))).length;
          const labels = abs.replace(/([\\/])images([\\/]|$)/, '$1labels$2');
          if (labels === abs) errors.push(`${split}: ${abs} has no 'images' folder in its path, so Ultralytics cannot find its labels`);
          else if (!(await stat(labels).catch(() => undefined))) errors.push(`${split}: labels folder ${labels} is missing`);
        } else {
          images += (await readFile(abs, 'utf8')).split(/\r?\n/).filter((l) => l.trim()).length;
        }
      } catch {
        errors.push(`${split}: ${abs} does not exist`);
      }
    }
    if (images === 0) errors.push(`${split}: no images found`);
    perSplit[split] = { images };
  }
  return { ok: errors.length === 0, errors, warnings: [], counts: { perSplit } };
}

/**
 * Check the dataset; throw BAD_DATASET listing the problems when it would not train.
 * `skip` only parses data.yaml (for users who just ran `animeseg dataset check`).
 */
export async function validateDataset(
  dataYaml: string,
  opts: { skip?: boolean; progress?: 'auto' | 'bar' | 'plain' | 'silent' } = {},
): Promise<DatasetFacts> {
  const file = resolve(dataYaml);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', `cannot read data.yaml: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      file,
      hint: 'pass the data.yaml written by `animeseg synth`, `coco2yolo` or `dataset merge`',
    });
  }
  const doc = readYamlDoc(text, file);
  const facts: DatasetFacts = { file, names: namesOf(doc.names), counts: {}, sources: doc.sources, checker: 'minimal', warnings: [] };
  if (opts.skip) return facts;

  const checker = await loadChecker();
  // Hashing 90k images for duplicates takes long; headers and labels are what break training.
  const r = checker ? await checker(file, { hash: false, progress: opts.progress }) : await minimalCheck(file, doc);
  facts.checker = checker ? 'dataset-check' : 'minimal';
  facts.warnings = r.warnings;
  for (const [split, c] of Object.entries(r.counts?.perSplit ?? {})) facts.counts[split] = { images: c.images, instances: c.instances };
  if (!r.ok) {
    throw new AnimesegError('BAD_DATASET', `the dataset would not train:\n  ${r.errors.join('\n  ')}`, {
      file,
      hint: "fix these (see 'animeseg dataset check'), or pass --skip-check to let Ultralytics decide",
    });
  }
  return facts;
}
