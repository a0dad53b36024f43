/**
 * The output folder of a batch run, checked before any model loads: it must be writable (one probe
 * write), temp files of a killed run are removed, and which files in it are the tool's own is decided
 * from the run record (a manifest line listing the file, or the NAME.json the tool wrote beside it).
 * A file that no record claims is the user's: it is never replaced unless the caller says overwrite, and
 * never read back as an input when the output folder lies inside an input folder.
 */
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep, isAbsolute } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { TEMP_PREFIX, tempPathFor } from '../../util/atomic.js';
import { rmdirSync } from 'node:fs';
import { LockFile } from '../../util/lock-file.js';
import { writeError } from '../../util/write-errors.js';
import { Manifest, type ManifestOpenOptions } from './manifest.js';
import { ownedOutputStem } from './output-kinds.js';

/** The lock a `segment` run holds on its output folder (a dot file: never taken as an input or an output). */
export const LOCK_NAME = '.animeseg.lock';


const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);

/**
 * Check once, before any work, that outputs can be written: one probe file is written (and removed) in
 * the folder, or in its nearest existing parent when it does not exist yet (it is created only when the
 * first output is written, so a run that fails early leaves nothing behind).
 */
export async function checkWritable(outDir: string): Promise<void> {
  const hint = 'choose another output folder with -o, or fix its permissions';
  let dir = outDir;
  for (;;) {
    const st = await stat(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? null : Promise.reject(e))).catch((e) => {
      throw new AnimesegError('IO', `cannot use the output folder (${errCode(e)})`, { file: outDir, hint });
    });
    if (st) {
      if (!st.isDirectory()) throw new AnimesegError('IO', `cannot create the output folder: ${dir} is a file, not a folder`, { file: outDir, hint });
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const probe = tempPathFor(join(dir, 'probe'));
  try {
    const fh = await open(probe, 'wx');
    await fh.close();
  } catch (e) {
    throw new AnimesegError('IO', `the output folder is not writable (${errCode(e)}${dir !== outDir ? ` in ${dir}` : ''})`, { file: outDir, hint });
  }
  await rm(probe, { force: true });
}

/** Remove TEMP_PREFIX files (left by a killed run) directly inside these folders. Returns how many. */
export async function removeStaleTemps(dirs: Iterable<string>): Promise<number> {
  let n = 0;
  for (const d of new Set(dirs)) {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue; // not created yet
    }
    for (const f of names) {
      if (!f.startsWith(TEMP_PREFIX)) continue;
      await rm(join(d, f), { force: true });
      n++;
    }
  }
  return n;
}

/** The shape of a NAME.json the batch writes: enough to tell it from a user's own JSON. */
function isToolJson(text: string): boolean {
  try {
    const j = JSON.parse(text);
    return typeof j === 'object' && j !== null && typeof j.image === 'string' && typeof j.settings === 'object' && Array.isArray(j.instances);
  } catch {
    return false;
  }
}

const toRel = (p: string): string => p.split(sep).join('/');

export class OutputFolder {
  private readonly toolJson = new Map<string, Promise<boolean>>();

  private constructor(
    readonly outDir: string,
    readonly manifest: Manifest,
    private readonly lock?: { file: LockFile; removeCreated: () => void },
  ) {}

  /**
   * Check writability, then read (and repair) the manifest (a queue worker: appending to its own file).
   * `exclusive` (a `segment` run): first take the folder's lock, OUT/.animeseg.lock, so a second run on the
   * same folder is refused instead of redoing the work beside this one; close() gives it back.
   */
  static async open(outDir: string, opts?: ManifestOpenOptions & { exclusive?: boolean }): Promise<OutputFolder> {
    await checkWritable(outDir);
    if (!opts?.exclusive) return new OutputFolder(outDir, await Manifest.open(outDir, opts));
    const createdDir = await mkdir(outDir, { recursive: true }).catch((e: unknown) => Promise.reject(writeError(e, outDir)));
    const removeCreated = (): void => removeEmptyDirs(outDir, createdDir);
    try {
      const file = await LockFile.acquire(join(outDir, LOCK_NAME), { what: `the output folder ${outDir}` });
      const m = await Manifest.open(outDir, opts).catch(async (e: unknown) => {
        await file.release();
        throw e;
      });
      // A CLI that ends early (an error before its run, a second Ctrl-C) still leaves no empty folder it
      // created; the lock file removes itself on exit the same way (LockFile).
      process.once('exit', removeCreated);
      return new OutputFolder(outDir, m, { file, removeCreated });
    } catch (e) {
      removeCreated();
      throw e;
    }
  }

  /** Give the lock back (exclusive), and remove the folder again when this run created it and wrote nothing. */
  async close(): Promise<void> {
    if (!this.lock) return;
    await this.lock.file.release();
    process.off('exit', this.lock.removeCreated);
    this.lock.removeCreated();
  }

  /** Output path relative to the folder ('/'-separated), or null when it lies outside. */
  rel(abs: string): string | null {
    const r = relative(this.outDir, abs);
    return r === '' || r.startsWith('..') || isAbsolute(r) ? null : toRel(r);
  }

  /** Whether NAME.json (relative stem) is a JSON the tool wrote. */
  private stemIsOurs(stem: string): Promise<boolean> {
    let p = this.toolJson.get(stem);
    if (!p) {
      p = readFile(join(this.outDir, `${stem}.json`), 'utf8').then(isToolJson, () => false);
      this.toolJson.set(stem, p);
    }
    return p;
  }

  /** Whether an existing file in the folder is the tool's own output (a record claims it). */
  async isOurs(abs: string): Promise<boolean> {
    const rel = this.rel(abs);
    if (rel === null) return false;
    if (this.manifest.lists(rel)) return true;
    // The image the file would belong to, from the output registry's names.
    const stem = ownedOutputStem(rel);
    if (stem === null) return false;
    // NAME.json speaks for its siblings only for images the manifest does not know (older versions' outputs);
    // otherwise the manifest line is the record, and a file it does not list is the user's.
    return this.manifest.latest(stem) === undefined && this.stemIsOurs(stem);
  }

  /** Forget cached NAME.json checks (after this run writes them). */
  wrote(stem: string): void {
    this.toolJson.set(stem, Promise.resolve(true));
  }

  /**
   * Of these output paths, the existing ones no record claims (the user's files). `exists` is injected so
   * the caller decides how (and the check stays cheap for paths known to be absent).
   */
  async foreign(paths: readonly string[], exists: (p: string) => Promise<boolean>): Promise<string[]> {
    const out: string[] = [];
    for (const p of paths) if ((await exists(p)) && !(await this.isOurs(p))) out.push(p);
    return out;
  }

  /** Remove temp files of a killed run in the folders these outputs go to. */
  removeStaleTemps(outputs: Iterable<string>): Promise<number> {
    const dirs = [this.outDir];
    for (const o of outputs) dirs.push(dirname(o));
    return removeStaleTemps(dirs);
  }
}

/**
 * Remove `dir` and its parents up to `top` (the first folder mkdir created; undefined: none) while they
 * are empty. Synchronous: it also runs in a process 'exit' listener.
 */
function removeEmptyDirs(dir: string, top: string | undefined): void {
  if (top === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or gone)
    }
    if (d === top || dirname(d) === d) return;
  }
}

/** The refusal for outputs that would replace a user's files. */
export function foreignFilesError(files: readonly string[], outDir: string): AnimesegError {
  const shown = files.slice(0, 5).map((f) => relative(outDir, f) || f);
  const more = files.length > shown.length ? ` and ${files.length - shown.length} more` : '';
  return new AnimesegError('IO', `refusing to replace ${files.length} file(s) that animeseg did not write: ${shown.join(', ')}${more}`, {
    file: outDir,
    hint: 'no run record (manifest.jsonl line or NAME.json) names them; move them away, choose another folder with -o, or pass --overwrite to replace them',
  });
}
