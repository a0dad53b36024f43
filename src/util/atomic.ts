import { mkdir, rename, rm, writeFile, open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeError } from './write-errors.js';

/** Temp files are named so that a killed run leaves something clearly not-an-output, removed on rerun. */
export const TEMP_PREFIX = '.animeseg-tmp-';

export function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${basename(path)}`);
}

/**
 * Write a file so that readers only ever see the old content or the complete new content:
 * write to a temp file in the same folder, fsync, then rename over the target.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true }).catch((e: unknown) => Promise.reject(writeError(e, path)));
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    // A full disk or a read-only folder is said in words, with the file (write-errors.ts).
    throw writeError(e, path);
  }
}

/** Same as writeFileAtomic but for callers that already produced a temp file elsewhere. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export { writeFile };
