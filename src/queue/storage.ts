/**
 * Where images and outputs live, as every worker sees them. A shared folder (NFS, SMB, a bind mount)
 * is the one implementation; the interface is what an S3-compatible store would implement later.
 * Today's per-image pipeline (batch.ts processOne) reads and writes files by path, so a store that is
 * not a file system also needs `localPath` to stage files (not done: see docs/QUEUE.md).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { AnimesegError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { pathExists } from '../util/exists.js';

export interface Storage {
  /** A human-readable root ('/mnt/shared', 's3://bucket/prefix'). */
  readonly root: string;
  read(ref: string): Promise<Uint8Array>;
  /** Readers see the old content or the whole new content, never a part. */
  writeAtomic(ref: string, data: Uint8Array | string): Promise<void>;
  exists(ref: string): Promise<boolean>;
  /** The file-system path of a ref, for code that works on paths (the segment pipeline). */
  localPath(ref: string): string;
}

/** A folder every worker mounts at the same path. Refs are paths relative to the root (or absolute inside it). */
export class FolderStorage implements Storage {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  localPath(ref: string): string {
    const p = isAbsolute(ref) ? resolve(ref) : resolve(join(this.root, ref));
    const rel = relative(this.root, p);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new AnimesegError('BAD_INPUT', `path is outside the shared folder ${this.root}`, { file: ref });
    return p;
  }

  async read(ref: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.localPath(ref)));
  }

  writeAtomic(ref: string, data: Uint8Array | string): Promise<void> {
    return writeFileAtomic(this.localPath(ref), data);
  }

  exists(ref: string): Promise<boolean> {
    return pathExists(this.localPath(ref));
  }
}
