/**
 * An exclusive lock held by one process: a file naming its holder (pid, host, start time), created
 * atomically (written whole to a temp file, then hard-linked to the lock name, which fails when the name
 * exists), removed on release and, as a last resort, when the process exits. A lock whose holder is gone
 * (same host, no process with its pid) is stale and taken over; one held on another host cannot be
 * checked from here and is refused, with the file named so the user can remove it.
 */
import { link, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { AnimesegError } from '../errors.js';
import { tempPathFor } from './atomic.js';
import { writeError } from './write-errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
}

/** Whether a process with this pid runs on this machine (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const j = JSON.parse(text);
    return Number.isInteger(j?.pid) && j.pid > 0 && typeof j.host === 'string' && typeof j.started === 'string' ? { pid: j.pid, host: j.host, started: j.started } : null;
  } catch {
    return null;
  }
}

/** A lock file whose content is not a holder (written by hand, or by a file system without hard links that was cut off) counts as stale after this long. */
const UNREADABLE_STALE_MS = 10_000;

export interface LockOptions {
  /** What is locked, for messages ("the output folder OUT"). */
  what: string;
  /** Told when a stale lock was taken over. */
  onStale?: (holder: LockHolder | null) => void;
}

export class LockFile {
  private released = false;
  private readonly onExit = (): void => {
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  };

  private constructor(readonly path: string, readonly holder: LockHolder) {
    process.once('exit', this.onExit);
  }

  /** Take the lock, or throw AnimesegError('IO') naming the live holder. */
  static async acquire(path: string, opts: LockOptions): Promise<LockFile> {
    const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    const content = JSON.stringify(me) + '\n';
    // A few rounds: each lost race (another run took the name first, or replaced a stale lock) re-reads it.
    for (let round = 0; round < 5; round++) {
      if (await create(path, content)) return new LockFile(path, me);
      const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
      if (text === null) continue; // released meanwhile
      const holder = parseHolder(text);
      if (!(await isStale(path, holder))) throw heldError(path, holder, opts.what);
      if (await removeIfUnchanged(path, text)) opts.onStale?.(holder);
    }
    throw heldError(path, parseHolder(await readFile(path, 'utf8').catch(() => '')), opts.what);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    await rm(this.path, { force: true });
  }
}

/** Create the lock file with its full content in one step; false when the name exists. */
async function create(path: string, content: string): Promise<boolean> {
  const tmp = tempPathFor(path);
  await writeFile(tmp, content).catch(async (e: unknown) => {
    await rm(tmp, { force: true });
    throw writeError(e, path);
  });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    // No hard links on this file system: exclusive create, then the content (a reader may briefly see it empty).
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

async function isStale(path: string, holder: LockHolder | null): Promise<boolean> {
  if (holder === null) {
    const st = await stat(path).catch(() => null);
    return st === null || Date.now() - st.mtimeMs > UNREADABLE_STALE_MS;
  }
  return holder.host === hostname() && holder.pid !== process.pid && !processAlive(holder.pid);
}

/**
 * Remove a stale lock only if it is still the one judged stale: it is moved aside first and checked,
 * so a run that replaced it meanwhile keeps its lock (the moved file is linked back).
 */
async function removeIfUnchanged(path: string, staleText: string): Promise<boolean> {
  const aside = tempPathFor(path);
  try {
    await rename(path, aside);
  } catch {
    return false; // gone or replaced: the next round looks again
  }
  try {
    if ((await readFile(aside, 'utf8')) === staleText) return true;
    await link(aside, path).catch(() => undefined);
    return false;
  } finally {
    await rm(aside, { force: true });
  }
}

function heldError(path: string, holder: LockHolder | null, what: string): AnimesegError {
  const by = holder ? `another animeseg run (pid ${holder.pid} on ${holder.host}, since ${holder.started})` : 'another animeseg run';
  return new AnimesegError('IO', `${what} is in use by ${by}`, {
    file: path,
    hint: `wait for that run to end, or choose another folder with -o; if no animeseg run is going on${holder ? ` on ${holder.host}` : ''}, remove ${path}`,
  });
}
