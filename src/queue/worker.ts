/**
 * A queue worker: BullMQ Worker running the per-image step of `segment` (image-step.ts) on each job.
 * One segmenter per distinct model/refiner settings, loaded once per process and reused for every job;
 * bad images fail for good (UnrecoverableError, with the reason), transient I/O errors retry with
 * exponential backoff (the job options in producer.ts), and a worker that dies leaves its jobs to be
 * picked up again once their lock expires (stalled-job recovery).
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { AnimesegError, describeError } from '../errors.js';
import { planInference, planRefine } from '../pipeline/run/batch.js';
import { writerManifestPath } from '../pipeline/run/manifest.js';
import { OutputFolder } from '../pipeline/run/output-folder.js';
import type { RunRecord } from '../pipeline/run/run-record.js';
import { createSegmenter, type Segmenter } from '../pipeline/segmenter.js';
import type { Device } from '../models/session.js';
import { assertReachable, bullConnection, isConnectionError, reconnectDelayMs, safeUrl, type QueueTarget } from './connection.js';
import { runJob } from './image-step.js';
import { segmenterKey, segmenterOptionsOf, type ImageJob } from './settings.js';

export interface QueueWorkerOptions extends QueueTarget {
  /** Jobs in flight in this process (default 2). */
  concurrency?: number;
  device?: Device;
  threads?: number;
  /**
   * How long a job's lock lasts without renewal (ms, default 30000): a killed worker's jobs go back to the
   * queue within about lockMs + stalledMs. A live worker renews the lock every lockMs / 2.
   */
  lockMs?: number;
  /** How often workers look for stalled jobs (ms, default 15000). */
  stalledMs?: number;
  /** Stop once the queue has no waiting jobs left (benchmarks, one-off runs). */
  exitWhenDrained?: boolean;
  log?: (line: string) => void;
  /** The same error (e.g. Redis unreachable on every reconnect attempt) is logged once per this many ms (default 30000). */
  reportEveryMs?: number;
}

/** What a completed job returns (kept in Redis as the job's return value). */
export interface ImageJobResult {
  instances: number;
  status?: RunRecord['status'];
  /** The outputs were already there with these settings (a retried or recovered job). */
  skipped?: boolean;
  outDir: string;
  name: string;
}

/** Errors worth another attempt: the file system or network had a bad moment, the image is fine. */
const TRANSIENT = new Set(['EIO', 'EBUSY', 'ENOSPC', 'EAGAIN', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'ESTALE', 'EDQUOT', 'EINTR']);

export function isTransient(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  }
  // A model missing or not yet downloaded on this machine: another attempt (maybe elsewhere) may work.
  return e instanceof AnimesegError && (e.code === 'MODEL_NOT_FOUND' || e.code === 'DOWNLOAD_FAILED');
}

/** The error BullMQ records: transient ones as they are (retried), all others unrecoverable (failed list). */
export function jobError(e: unknown, job: ImageJob): Error {
  const where = e instanceof AnimesegError && e.file === job.source ? '' : `${job.source}: `;
  const transient = isTransient(e);
  const message = `${where}${e instanceof AnimesegError || transient ? describeError(e) : `internal error: ${describeError(e)}`}`;
  if (transient) {
    const err = new Error(message);
    (err as NodeJS.ErrnoException).code = (e as NodeJS.ErrnoException).code;
    return err;
  }
  return new UnrecoverableError(message);
}

export interface QueueWorker {
  worker: Worker<ImageJob, ImageJobResult>;
  /**
   * Resolves when the worker has stopped (close() or, with exitWhenDrained, an empty queue). `clean` is false
   * when it stopped without Redis: its active jobs were not handed back and wait for stalled-job recovery.
   */
  stopped: Promise<{ clean: boolean }>;
  /**
   * Graceful: take no new jobs, finish the active ones. force: stop now (active jobs stall and are picked up
   * again). Without Redis nothing graceful is possible, so close() then stops as force does; a forced stop
   * that Redis does not answer gives up after a few seconds (bounded, never hangs).
   */
  close(force?: boolean): Promise<void>;
}

/** How long a forced stop waits for BullMQ to let go before dropping the connections. */
const FORCED_STOP_MS = 3000;
/** How long close() waits to learn whether Redis is there. */
const REACHABLE_CHECK_MS = 1000;

/**
 * Logs each distinct message at most once per `everyMs`, saying how many were held back in between (a
 * Redis that is down fails every reconnect attempt of every connection, and that is one fact, not many).
 */
export function onePerInterval(log: (line: string) => void, everyMs: number, now: () => number = Date.now): (message: string) => void {
  const last = new Map<string, { at: number; held: number }>();
  return (message) => {
    const t = now();
    const seen = last.get(message);
    if (seen && t - seen.at < everyMs) {
      seen.held++;
      return;
    }
    if (last.size > 100) last.clear();
    last.set(message, { at: t, held: 0 });
    const held = seen?.held ? ` (${seen.held} more like it in the last ${Math.round((t - seen.at) / 1000)} s)` : '';
    log(`${message}${held}`);
  };
}

export async function startWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = o.concurrency ?? 2;
  const lockMs = o.lockMs ?? 30_000;
  const segmenters = new Map<string, Promise<Segmenter>>();
  const segmenterFor = (job: ImageJob): Promise<Segmenter> => {
    const key = segmenterKey(job.settings);
    let p = segmenters.get(key);
    if (!p) {
      const s = job.settings;
      const options = segmenterOptionsOf(s.options);
      // The same inference/refine plan as `segment --concurrency N` on a long run.
      const plan = o.device === 'cuda' ? { workers: 1, threads: o.threads } : planInference(concurrency, Infinity, o.threads);
      const refineWorkers = o.device === 'cuda' ? 0 : planRefine(options.refine ?? 'none', options.softEdge === true, concurrency, Infinity);
      p = createSegmenter({ ...options, model: s.model, device: o.device, threads: plan.threads, inferenceWorkers: plan.workers, refineWorkers, maxPixels: s.maxPixels });
      // A failed load is not cached: the next job tries again (and reports its own error).
      p.catch(() => segmenters.delete(key));
      segmenters.set(key, p);
    }
    return p;
  };

  // One OutputFolder per output folder for the life of the process; its manifest lines go to a file of
  // this process's own (manifest.d/HOST-PID-START.jsonl, see manifest.ts), never to manifest.jsonl.
  const folders = new Map<string, Promise<OutputFolder>>();
  const folderFor = (outDir: string): Promise<OutputFolder> => {
    let p = folders.get(outDir);
    if (!p) {
      const appendTo = writerManifestPath(outDir);
      p = OutputFolder.open(outDir, { appendTo });
      void p.then(() => o.log?.(`${outDir}: manifest lines go to ${appendTo}`), () => undefined);
      p.catch(() => folders.delete(outDir));
      folders.set(outDir, p);
    }
    return p;
  };

  const processor = async (job: Job<ImageJob, ImageJobResult>): Promise<ImageJobResult> => {
    const data = job.data;
    const result = { outDir: data.outDir, name: data.name };
    // The manifest gets a 'failed' line when this attempt is the job's last: a bad image, or retries used up.
    const isFinal = (e: unknown): string | null => {
      const err = jobError(e, data);
      const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      return last ? err.message.split('\n')[0]! : null;
    };
    try {
      const seg = await segmenterFor(data);
      const folder = await folderFor(data.outDir);
      // A job started before (its worker died, or a retry) may have been finished by then: runJob re-reads
      // the other workers' manifest files and skips it when its record says done.
      const r = await runJob(seg, folder, data, { rerun: (job.attemptsStarted ?? 0) > 1 || job.attemptsMade > 0, isFinal });
      return { ...result, instances: r.instances, status: r.status, ...(r.skipped && { skipped: true }) };
    } catch (e) {
      throw jobError(e, data);
    }
  };

  const worker = new Worker<ImageJob, ImageJobResult>(o.name, processor, {
    connection: bullConnection(o),
    concurrency,
    lockDuration: lockMs,
    stalledInterval: o.stalledMs ?? Math.max(1000, Math.round(lockMs / 2)),
    // Twice: one death is recovered; a job that kills every worker it meets ends in the failed list.
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    o.log?.(`${final ? 'failed' : 'will retry'}: ${err.message.split('\n')[0]}`);
  });
  const reportEveryMs = o.reportEveryMs ?? 30_000;
  const report = o.log ? onePerInterval(o.log, reportEveryMs) : () => undefined;
  worker.on('error', (err) => {
    // One line per kind of outage (the code, not the message, which names each connection's own port).
    if (isConnectionError(err)) report(`queue error: cannot reach Redis at ${safeUrl(o.url)} (${(err as NodeJS.ErrnoException).code ?? 'connection closed'}); reconnecting, at most every ${reconnectDelayMs(Infinity) / 1000} s`);
    else report(`queue error: ${err.message}`);
  });

  let resolveStopped!: (r: { clean: boolean }) => void;
  const stopped = new Promise<{ clean: boolean }>((r) => (resolveStopped = r));
  let graceful: Promise<void> | null = null;
  let forced: Promise<void> | null = null;
  const disposeAll = async (): Promise<void> => {
    const all = [...segmenters.values()];
    segmenters.clear();
    await Promise.all(all.map((p) => p.then((s) => s.dispose(), () => undefined)));
  };
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  /** Redis was found gone while stopping: the active jobs were not handed back. */
  let lostRedis = false;
  /** Stop now; if BullMQ cannot finish that (no Redis to talk to) within FORCED_STOP_MS, drop the connections. */
  const forceStop = (): Promise<void> =>
    (forced ??= (async () => {
      const done = await Promise.race([worker.close(true).then(() => true, () => true), sleep(FORCED_STOP_MS).then(() => false)]);
      if (!done) {
        lostRedis = true;
        await Promise.race([worker.disconnect().catch(() => undefined), sleep(1000)]);
        await Promise.race([disposeAll(), sleep(1000)]);
        resolveStopped({ clean: false });
        return;
      }
      await disposeAll();
    })());
  const close = async (force = false): Promise<void> => {
    if (!force && !graceful) {
      // Without Redis a graceful stop cannot finish (BullMQ waits for it to hand the jobs back).
      const reachable = await assertReachable(o, REACHABLE_CHECK_MS).then(() => true, () => false);
      if (!reachable) {
        lostRedis = true;
        o.log?.(`Redis at ${safeUrl(o.url)} is unreachable: stopping now; active jobs are left to stalled-job recovery`);
        force = true;
      }
    }
    if (force) return forceStop();
    graceful ??= worker.close().then(disposeAll);
    return graceful;
  };
  if (o.exitWhenDrained) worker.on('drained', () => void close());
  const running = worker.run();
  await worker.waitUntilReady();
  void running
    .catch(() => undefined)
    .then(() => forced ?? graceful ?? undefined)
    .then(() => resolveStopped({ clean: !lostRedis }));
  return { worker, stopped, close };
}
