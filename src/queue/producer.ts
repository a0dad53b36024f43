/**
 * The producer side: enqueue one job per image, report counts and throughput, wait for a run's jobs,
 * retry failed jobs, drain. All through BullMQ's Queue; raw Redis reads only where BullMQ has no call.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { InputItem } from '../pipeline/run/inputs.js';
import { Progress } from '../util/progress.js';
import { bullConnection, openRedis, type QueueTarget } from './connection.js';
import type { OutputFolder } from '../pipeline/run/output-folder.js';
import { imageDecision } from './image-step.js';
import { jobIdFor, type ImageJob, type JobSettings } from './settings.js';

export const JOB_NAME = 'segment';

/**
 * Retries: transient errors (a busy or full disk, a dropped NFS mount) get 5 attempts 2, 4, 8, 16 s apart;
 * bad images fail at once (the worker throws UnrecoverableError). Finished jobs are kept so that a rerun
 * of `queue add` dedupes on the job id and `--wait` can see them; `queue drain --all` clears them.
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: false,
  removeOnFail: false,
};

export function openQueue(t: QueueTarget): Queue {
  return new Queue(t.name, { connection: bullConnection(t) });
}

export interface EnqueueResult {
  /** Ids of this run's jobs (new ones and ones the queue already had). */
  jobIds: string[];
  /** Images skipped because their record says done with this source and settings hash (any run). */
  alreadyDone: number;
  /** Of jobIds, those the queue already held (an earlier `queue add` of the same run): not added again. */
  alreadyQueued: number;
}

export async function enqueueImages(
  queue: Queue,
  redis: Redis,
  items: readonly InputItem[],
  run: { outDir: string; settings: JobSettings; settingsHash: string; folder: OutputFolder; overwrite?: boolean },
  onChecked?: (n: number) => void,
): Promise<EnqueueResult> {
  const hash = run.settingsHash;
  const nonce = Date.now().toString(36);
  const jobIds: string[] = [];
  let alreadyDone = 0;
  let alreadyQueued = 0;
  let batch: { name: string; data: ImageJob; opts: JobsOptions }[] = [];
  const flush = async () => {
    if (!batch.length) return;
    alreadyQueued += await redis.exists(...batch.map((b) => queue.toKey(b.opts.jobId!)));
    await queue.addBulk(batch);
    batch = [];
  };
  for (const it of items) {
    const data: ImageJob = { source: it.path, name: it.name, outDir: run.outDir, settings: run.settings, settingsHash: hash, ...(run.overwrite && { overwrite: true }) };
    onChecked?.(1);
    // The resume rule of `segment` (run-record.ts): done with the same source and settings hash.
    if (!run.overwrite && (await imageDecision(run.folder, data, hash)).decision.action === 'skip') {
      alreadyDone++;
      continue;
    }
    // --overwrite must make new jobs: the known id of a finished job would be ignored by BullMQ.
    const jobId = jobIdFor(it.path, run.outDir, it.name, run.overwrite ? `${hash}/overwrite/${nonce}` : hash);
    jobIds.push(jobId);
    batch.push({ name: JOB_NAME, data, opts: { ...JOB_OPTIONS, jobId } });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return { jobIds, alreadyDone, alreadyQueued };
}

export interface QueueStatus {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  /** Jobs completed per minute over the last `windowMin` minutes (from their finish times). */
  perMinute: number;
  windowMin: number;
}

export async function queueStatus(queue: Queue, redis: Redis, windowMin = 5): Promise<QueueStatus> {
  const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  // The completed set is scored by finish time (ms), so a count over a score range is the throughput.
  const recent = await redis.zcount(queue.toKey('completed'), Date.now() - windowMin * 60_000, '+inf');
  return {
    waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
    perMinute: recent / windowMin,
    windowMin,
  };
}

export function formatStatus(s: QueueStatus): string {
  return `waiting ${s.waiting}, active ${s.active}, delayed (retry backoff) ${s.delayed}, completed ${s.completed}, failed ${s.failed}; ${s.perMinute.toFixed(1)} img/min over the last ${s.windowMin} min`;
}

export interface FailedJob {
  id: string;
  source: string;
  reason: string;
  attempts: number;
}

export async function failedJobs(queue: Queue, limit = 20): Promise<FailedJob[]> {
  const jobs = await queue.getFailed(0, limit - 1);
  return jobs.map((j) => ({ id: j.id ?? '', source: (j.data as ImageJob).source, reason: j.failedReason, attempts: j.attemptsMade }));
}

/**
 * Wait until every job of `ids` is completed or failed, ticking `progress` as they finish. Polls the
 * finished sets with ZMSCORE over the ids still pending (one round trip per 5000 ids), so the cost shrinks
 * as the run progresses and no finish event can be missed.
 */
export async function waitForJobs(queue: Queue, redis: Redis, ids: readonly string[], progress: Progress, pollMs = 500): Promise<{ completed: number; failed: number }> {
  let pending = [...ids];
  let completed = 0;
  let failed = 0;
  const completedKey = queue.toKey('completed');
  const failedKey = queue.toKey('failed');
  while (pending.length > 0) {
    const still: string[] = [];
    for (let i = 0; i < pending.length; i += 5000) {
      const chunk = pending.slice(i, i + 5000);
      const [ok, bad] = await Promise.all([redis.zmscore(completedKey, ...chunk), redis.zmscore(failedKey, ...chunk)]);
      chunk.forEach((id, k) => {
        if (ok[k] !== null) {
          completed++;
          progress.tick(1, true);
        } else if (bad[k] !== null) {
          failed++;
          progress.tick(1, false);
        } else still.push(id);
      });
    }
    pending = still;
    if (pending.length > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
  progress.finish();
  return { completed, failed };
}

export { openRedis };
