/** File listing helpers shared by the data tools (synth inputs, dataset check/merge/preview). */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AnimesegError } from '../errors.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import { DATASET_IMAGE_EXTENSIONS, isDatasetImagePath } from '../image/formats.js';


/** All files under `dir` (recursive), sorted so every run sees the same order. Skips our temp files. */
export async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith(TEMP_PREFIX)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  }
  await walk(dir);
  return out.sort();
}

/**
 * Image files of a folder for an input option like --fg/--bg: a clear error when the folder is missing,
 * empty, or holds no image files (listing what it does hold).
 */
export async function listInputImages(dir: string, what: string): Promise<string[]> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new AnimesegError('BAD_INPUT', `${what} folder does not exist`, { file: dir });
  }
  if (!st.isDirectory()) throw new AnimesegError('BAD_INPUT', `${what} must be a folder of images`, { file: dir });
  const all = await walkFiles(dir);
  const images = all.filter(isDatasetImagePath);
  if (images.length === 0) {
    const other = all.slice(0, 3).map((p) => p.slice(dir.length + 1));
    throw new AnimesegError('BAD_INPUT', `${what} folder has no image files${all.length ? ` (found ${all.length} other files, e.g. ${other.join(', ')})` : ' (it is empty)'}`, {
      file: dir,
      hint: `expected ${[...DATASET_IMAGE_EXTENSIONS].join(' ')} files`,
    });
  }
  return images;
}

/**
 * The images of one data.yaml split entry, as Ultralytics' img2label/ load_dataset does: a folder (searched
 * recursively) or a .txt list (lines starting with './' are relative to the list's folder).
 */
export async function listSplitImages(entry: string): Promise<string[]> {
  let st;
  try {
    st = await stat(entry);
  } catch {
    throw new AnimesegError('BAD_DATASET', 'split path does not exist', { file: entry });
  }
  if (st.isDirectory()) return (await walkFiles(entry)).filter(isDatasetImagePath);
  const text = await readFile(entry, 'utf8');
  const parent = dirname(entry);
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => (l.startsWith('./') ? join(parent, l.slice(2)) : resolve(parent, l)))
    .filter(isDatasetImagePath);
}
