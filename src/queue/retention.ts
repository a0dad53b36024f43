/**
 * Retention for jobs that came in over HTTP (`serve --queue`, POST /v1/jobs): finished jobs, their uploads
 * (QUEUE_DIR/uploads/) and their outputs (QUEUE_DIR/results/HASH/NAME.*) are removed once older than an age
 * or beyond a count, and the upload folder is kept under a byte budget. Only jobs whose source lies in the
 * upload folder are touched: `queue add` runs on the same queue are the operator's, not the server's.
 * An upload is removed only when no job that is still kept (waiting, running or finished) reads it (uploads
 * are content-addressed, so several jobs may share one).
 */
import { OUTPUT_DEFAULTS } from '../pipeline/options.js';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Job, Queue } from 'bullmq';
import { outputPaths } from '../pipeline/run/batch.js';
import { JOB_RESULT_KINDS } from '../pipeline/run/output-kinds.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import type { FolderStorage } from './storage.js';
import type { ImageJob } from './settings.js';

export interface RetentionOptions {
  /** Finished jobs older than this (ms since they finished) go, with their upload and outputs. */
  maxAgeMs: number;
  /** At most this many finished jobs are kept (the most recently finished ones). */
  maxJobs: number;
  /** Bytes the upload folder may hold; finished jobs' uploads go first (oldest first) to stay under it. */
  uploadBytes: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  maxAgeMs: 24 * 3600_000,
  maxJobs: 1000,
  uploadBytes: 2 * 1024 ** 3,
};

export interface SweepResult {
  /** Jobs removed from Redis. */
  jobs: number;
  /** Upload files removed, and their bytes. */
  uploads: number;
  uploadBytesFreed: number;
  /** Output files removed. */
  outputs: number;
  /** Bytes left in the upload folder (-1: the sweep failed, see error). */
  uploadBytes: number;
  error?: string;
}

const FINISHED = ['completed', 'failed'] as const;
const PENDING = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;

export class UploadRetention {
  private readonly uploadsDir: string;
  /** Sweeps and the adding of an upload's job run one at a time, so a sweep never takes an upload whose job is being added. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: Queue,
    storage: FolderStorage,
    readonly options: RetentionOptions,
  ) {
    this.uploadsDir = storage.localPath('uploads');
  }

  /** Upload files (name -> bytes, modified ms); temp files of atomic writes are not uploads. */
  private async uploads(): Promise<Map<string, { bytes: number; mtimeMs: number }>> {
    const out = new Map<string, { bytes: number; mtimeMs: number }>();
    const names = await readdir(this.uploadsDir).catch(() => [] as string[]);
    for (const n of names) {
      if (n.startsWith(TEMP_PREFIX)) continue;
      const st = await stat(join(this.uploadsDir, n)).catch(() => null);
      if (st?.isFile()) out.set(join(this.uploadsDir, n), { bytes: st.size, mtimeMs: st.mtimeMs });
    }
    return out;
  }

  /** Bytes the upload folder holds now. */
  async uploadBytes(): Promise<number> {
    let n = 0;
    for (const u of (await this.uploads()).values()) n += u.bytes;
    return n;
  }

  private ours(job: Job | undefined): boolean {
    const source = (job?.data as ImageJob | undefined)?.source;
    return typeof source === 'string' && source.startsWith(this.uploadsDir + sep);
  }

  /** Run `fn` while no sweep runs (and no other `fn`). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Remove what the retention rules say is due (waits for a running sweep or job add). */
  sweep(now = Date.now()): Promise<SweepResult> {
    return this.exclusive(() => this.sweepOnce(now, 0));
  }

  /**
   * Inside exclusive(): make room for an upload of `bytes` (a sweep counting it against the budget when the
   * folder would go over). False when it cannot fit even so: the kept uploads are all of waiting jobs.
   */
  async makeRoom(bytes: number, now = Date.now()): Promise<boolean> {
    if ((await this.uploadBytes()) + bytes <= this.options.uploadBytes) return true;
    const r = await this.sweepOnce(now, bytes);
    return r.uploadBytes + bytes <= this.options.uploadBytes;
  }

  private async sweepOnce(now: number, extraBytes: number): Promise<SweepResult> {
    const o = this.options;
    const result: SweepResult = { jobs: 0, uploads: 0, uploadBytesFreed: 0, outputs: 0, uploadBytes: 0 };
    // Most recently finished first.
    const finished = (await this.queue.getJobs([...FINISHED], 0, -1)).filter((j): j is Job<ImageJob> => this.ours(j)).sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0));
    const pending = (await this.queue.getJobs([...PENDING], 0, -1)).filter((j): j is Job<ImageJob> => this.ours(j));
    const due = new Set(finished.filter((j, i) => i >= o.maxJobs || now - (j.finishedOn ?? now) > o.maxAgeMs));
    const kept = finished.filter((j) => !due.has(j));

    const uploads = await this.uploads();
    // An upload stays when a kept job reads it, or when no job does but it is young (its job may be
    // being added right now); it goes with its last removed job, or once old.
    const stays = (path: string, live: Set<string>, dueSources: Set<string>, mtimeMs: number) => live.has(path) || (!dueSources.has(path) && now - mtimeMs <= o.maxAgeMs);
    const sources = (jobs: Iterable<Job<ImageJob>>) => new Set([...jobs].map((j) => j.data.source));
    const remainingBytes = () => {
      const live = sources([...pending, ...kept]);
      const dueSources = sources(due);
      let n = extraBytes;
      for (const [path, u] of uploads) if (stays(path, live, dueSources, u.mtimeMs)) n += u.bytes;
      return n;
    };
    // Over the budget: the oldest finished jobs go too, until what stays fits.
    while (kept.length > 0 && remainingBytes() > o.uploadBytes) due.add(kept.pop()!);

    for (const j of due) {
      result.outputs += await removeOutputs(j.data);
      await j.remove().catch(() => undefined); // already gone (another sweep, `queue drain`): fine
      result.jobs++;
    }
    const live = sources([...pending, ...kept]);
    const dueSources = sources(due);
    for (const [path, u] of uploads) {
      if (stays(path, live, dueSources, u.mtimeMs)) continue;
      await rm(path, { force: true });
      uploads.delete(path);
      result.uploads++;
      result.uploadBytesFreed += u.bytes;
    }
    result.uploadBytes = [...uploads.values()].reduce((n, u) => n + u.bytes, 0);
    return result;
  }
}

/** Delete a job's output files (those a server job can have); the count of files that were there. */
async function removeOutputs(job: ImageJob): Promise<number> {
  const p = outputPaths(job.outDir, job.name, job.settings.options.outputs?.format ?? OUTPUT_DEFAULTS.format);
  let n = 0;
  for (const f of JOB_RESULT_KINDS.map((k) => p[k])) {
    const had = await stat(f).then(() => true, () => false);
    await rm(f, { force: true });
    if (had) n++;
  }
  return n;
}
