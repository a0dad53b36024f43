/**
 * A failed write said the way a user can act on it: "no space left on device writing OUT/NAME.png"
 * rather than "ENOSPC: no space left on device, write" with a stack trace. The causes that no other file
 * of the same folder would escape (a full disk, a quota, a read-only file system) are marked, so a batch
 * stops instead of failing every remaining image the same way.
 */
import { AnimesegError } from '../errors.js';

/** errno codes of a failed write, in words; the `halts` ones hold for the whole folder, not one file. */
const WRITE_FAILURES: Record<string, { words: string; halts: boolean; hint: string }> = {
  ENOSPC: { words: 'no space left on device', halts: true, hint: 'free some space (or choose another folder with -o) and run again: finished images are kept and skipped' },
  EDQUOT: { words: 'disk quota exceeded', halts: true, hint: 'free some space within your quota (or choose another folder with -o) and run again: finished images are kept and skipped' },
  EROFS: { words: 'read-only file system', halts: true, hint: 'make the folder writable again (or choose another folder with -o) and run again: finished images are kept and skipped' },
  EACCES: { words: 'permission denied', halts: false, hint: 'fix the permissions of the folder, or choose another folder with -o' },
  EPERM: { words: 'operation not permitted', halts: false, hint: 'fix the permissions of the folder, or choose another folder with -o' },
  EIO: { words: 'input/output error', halts: false, hint: 'check the disk, then run again' },
};

const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/**
 * The error to throw for a failed write of `path`: an AnimesegError('IO') in words for the known causes
 * (the original error as its `cause`), anything else unchanged. An AnimesegError passes through.
 */
export function writeError(e: unknown, path: string): unknown {
  if (e instanceof AnimesegError) return e;
  const code = errnoCode(e);
  const known = code !== undefined ? WRITE_FAILURES[code] : undefined;
  if (!known) return e;
  return new AnimesegError('IO', `${known.words} writing ${path}`, { hint: known.hint, cause: e });
}

/** Whether a (writeError) failure holds for every later write to the folder: a full disk, a read-only one. */
export function haltsWrites(e: unknown): boolean {
  if (!(e instanceof AnimesegError) || e.code !== 'IO') return false;
  const code = errnoCode(e.cause);
  return code !== undefined && WRITE_FAILURES[code]?.halts === true;
}
