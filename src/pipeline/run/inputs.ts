/**
 * Expanding the CLI's input arguments into image files: plain files, folders (walked recursively for
 * image extensions) and glob patterns (*, **, ?, [..], {a,b}). Node 20 has no fs.glob, so a small matcher
 * is written here: the pattern's fixed prefix is walked and each relative path is tested with a RegExp.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep, basename, extname, dirname } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { TEMP_PREFIX } from '../../util/atomic.js';
import { IMAGE_EXTENSIONS, isImagePath } from '../../image/formats.js';


export interface InputItem {
  /** Absolute path of the image. */
  path: string;
  /** Output name without extension, relative to the output folder (may contain sub-folders). */
  name: string;
}

const hasGlob = (s: string): boolean => /[*?[\]{}]/.test(s);
const stem = (p: string): string => basename(p, extname(p));

/** Glob pattern → RegExp over '/'-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // '**/' matches zero or more folders; a bare '**' matches anything.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = glob.indexOf('}', i + 1);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|')})`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface ExpandOptions {
  /** Files to leave out (the tool's own outputs when the output folder lies inside an input folder). */
  excludeFile?: (path: string) => boolean | Promise<boolean>;
  /** Told about every entry that is not taken although it looks like an input (broken or looping links). */
  onWarning?: (message: string) => void;
}

interface WalkState {
  skip: Set<string>;
  /** Real paths of the folders walked so far: a symlink back to one of them is a loop (or a repeat). */
  seen: Set<string>;
  opts: ExpandOptions;
}

/**
 * Walk a folder for images. Symbolic links are followed (files and folders) with loop protection: a
 * folder whose real path was already walked is not walked again, and a broken link is reported.
 */
async function walk(dir: string, st: WalkState, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', `cannot read folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: dir });
  }
  st.seen.add(await realpath(dir).catch(() => dir));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name.startsWith(TEMP_PREFIX) || e.name.startsWith('.')) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      let target;
      try {
        target = await stat(p);
      } catch (err) {
        st.opts.onWarning?.(`${p}: broken symbolic link skipped (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
        continue;
      }
      isDir = target.isDirectory();
      isFile = target.isFile();
      if (isDir && st.seen.has(await realpath(p).catch(() => p))) {
        st.opts.onWarning?.(`${p}: symbolic link to a folder already searched, not followed again (loop protection)`);
        continue;
      }
    }
    if (isDir) {
      if (!st.skip.has(p)) await walk(p, st, out);
    } else if (isFile && isImagePath(e.name) && !(await st.opts.excludeFile?.(p))) out.push(p);
  }
}

/**
 * Expand arguments to image files in a stable order. `exclude` folders (the output folder) are not walked,
 * and `opts.excludeFile` leaves out single files (outputs in a folder that is also an input folder), so
 * outputs are never read back as inputs. Explicit files are taken whatever their extension
 * (a bad one fails later with a clear message); missing paths are an error here.
 */
export async function expandInputs(args: readonly string[], exclude: readonly string[] = [], opts: ExpandOptions = {}): Promise<InputItem[]> {
  const skip = new Set(exclude.map((p) => resolve(p)));
  const state = (): WalkState => ({ skip, seen: new Set(), opts });
  const items: InputItem[] = [];
  for (const arg of args) {
    if (hasGlob(arg)) {
      const parts = arg.split(/[\\/]/);
      const fixed: string[] = [];
      while (parts.length > 1 && !hasGlob(parts[0])) fixed.push(parts.shift()!);
      const base = resolve(fixed.length ? fixed.join('/') || '/' : '.');
      const re = globToRegExp(parts.join('/'));
      const found: string[] = [];
      await walk(base, state(), found).catch(() => undefined);
      const matched = found.filter((p) => re.test(relative(base, p).split(sep).join('/')));
      if (matched.length === 0) throw new AnimesegError('BAD_INPUT', `no image matches '${arg}'`, { hint: `images: ${IMAGE_EXTENSIONS.join(' ')}` });
      for (const p of matched) items.push({ path: p, name: noExt(relative(base, p)) });
      continue;
    }
    const p = resolve(arg);
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new AnimesegError('BAD_INPUT', 'no such file or folder', { file: arg });
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      await walk(p, state(), found);
      for (const f of found) items.push({ path: f, name: noExt(relative(p, f)) });
    } else items.push({ path: p, name: stem(p) });
  }
  // Same image twice: keep the first (by real path: the same image reached through a symbolic link is
  // still the same image).
  const seen = new Set<string>();
  const unique: InputItem[] = [];
  for (const it of items) {
    const real = await realpath(it.path).catch(() => it.path);
    if (seen.has(real)) continue;
    seen.add(real);
    unique.push(it);
  }
  return uniqueNames(unique);
}

/**
 * Different images with one output name (x.jpg and x.png): the first keeps it, each later one gets the
 * first `NAME-N` (N = 2, 3, ...) that no image of the run has, its own natural name included, so x.png is
 * never numbered onto x-2.jpg's name. Names compare without case (case-insensitive file systems). The
 * result depends only on the list, so a rerun over the same inputs gives every image the same name.
 */
function uniqueNames(items: readonly InputItem[]): InputItem[] {
  const taken = new Set(items.map((it) => it.name.toLowerCase()));
  const kept = new Set<string>();
  return items.map((it) => {
    const key = it.name.toLowerCase();
    if (!kept.has(key)) {
      kept.add(key);
      return it;
    }
    let n = 2;
    while (taken.has(`${key}-${n}`)) n++;
    taken.add(`${key}-${n}`);
    return { ...it, name: `${it.name}-${n}` };
  });
}

function noExt(rel: string): string {
  const d = dirname(rel);
  const s = stem(rel);
  return (d === '.' ? s : join(d, s)).split(sep).join('/');
}
