/**
 * A bounded work queue: at most `concurrency` jobs run, at most `maxQueued` wait; anything beyond is refused
 * at once (the caller answers 503 + Retry-After) so a burst cannot pile up memory or latency without bound.
 * Jobs that wait longer than their deadline are dropped before they start; a running job cannot be
 * interrupted (ONNX inference has no cancel), so its caller gets the timeout and the slot frees when it ends.
 */
import { HttpError } from './http-errors.js';

export interface WorkQueueOptions {
  concurrency: number;
  maxQueued: number;
}

export interface QueueStats {
  running: number;
  queued: number;
  /** Admitted requests not yet running or queued (upload being read, header check). */
  admitted: number;
  completed: number;
  rejected: number;
  timedOut: number;
  /** Moving average of job run time in ms (0 before the first job). */
  avgRunMs: number;
}

/** A place in the queue taken before the request body is read (see WorkQueue.admit). */
export interface Admission {
  /** Still holding its place (not yet released nor consumed). */
  readonly held: boolean;
  /** Give the place back (idempotent); run() consumes it instead. */
  release(): void;
}

interface Waiting {
  start: () => void;
  cancel: () => void;
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private completed = 0;
  private rejected = 0;
  private timedOut = 0;
  private avgRunMs = 0;
  private idleWaiters: (() => void)[] = [];
  /** Requests admitted whose upload is still being read or checked: they count against the limit. */
  private admitted = 0;

  constructor(private readonly opts: WorkQueueOptions) {
    if (!(opts.concurrency >= 1)) throw new RangeError('concurrency must be >= 1');
    if (!(opts.maxQueued >= 0)) throw new RangeError('maxQueued must be >= 0');
  }

  get stats(): QueueStats {
    return {
      running: this.running,
      queued: this.waiting.length,
      admitted: this.admitted,
      completed: this.completed,
      rejected: this.rejected,
      timedOut: this.timedOut,
      avgRunMs: this.avgRunMs,
    };
  }

  /** Seconds a refused client should wait: the time to drain what is queued now, at least 1 s. */
  retryAfterSec(): number {
    const perJob = this.avgRunMs > 0 ? this.avgRunMs : 1000;
    const jobsAhead = this.waiting.length + this.running + this.admitted;
    return Math.max(1, Math.ceil((jobsAhead * perJob) / this.opts.concurrency / 1000));
  }

  /**
   * Run `job` when a slot is free. Rejects with HttpError 503 BUSY when the queue is full, and with
   * 503 TIMEOUT when `timeoutMs` passes first (waiting or running).
   */
  /**
   * Take a place for a request before its body is read, so a burst of uploads is refused (503 BUSY)
   * before any of them is buffered. Returns null when full (the rejection is counted).
   */
  admit(): Admission | null {
    if (this.full()) {
      this.rejected++;
      return null;
    }
    this.admitted++;
    let held = true;
    return {
      get held() {
        return held;
      },
      release: () => {
        if (!held) return;
        held = false;
        this.admitted--;
      },
    };
  }

  /** The 503 BUSY answer, with Retry-After. */
  busyError(): HttpError {
    const retry = this.retryAfterSec();
    return new HttpError(503, 'BUSY', `server busy: ${this.running} running, ${this.waiting.length} queued and ${this.admitted} uploading (queue limit ${this.opts.maxQueued})`, `retry after ${retry} s`, {
      'retry-after': String(retry),
    });
  }

  /** The 503 TIMEOUT answer of a request that did not finish within `timeoutMs`, with Retry-After. */
  timeoutError(timeoutMs: number): HttpError {
    return new HttpError(503, 'TIMEOUT', `request did not finish within ${timeoutMs} ms`, 'retry later, send a smaller image, or ask the operator to raise --timeout-ms', {
      'retry-after': String(this.retryAfterSec()),
    });
  }

  private full(): boolean {
    return this.running + this.waiting.length + this.admitted >= this.opts.concurrency + this.opts.maxQueued;
  }

  run<T>(job: () => Promise<T>, timeoutMs = 0, admission?: Admission): Promise<T> {
    // An admitted request already holds its place; it moves from "admitted" to running or waiting. One
    // whose place was given back (answered at its deadline, or its client left) does not start.
    if (admission) {
      if (!admission.held) return Promise.reject(this.timeoutError(timeoutMs));
      admission.release();
    } else if (this.full()) {
      this.rejected++;
      return Promise.reject(this.busyError());
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        fn();
      };
      const start = () => {
        this.running++;
        const t0 = performance.now();
        let p: Promise<T>;
        try {
          p = job();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (v) => settle(() => resolve(v)),
          (e) => settle(() => reject(e)),
        ).finally(() => {
          const ms = performance.now() - t0;
          // Exponential moving average: recent jobs matter most for Retry-After.
          this.avgRunMs = this.avgRunMs === 0 ? ms : this.avgRunMs * 0.8 + ms * 0.2;
          this.running--;
          this.completed++;
          this.next();
        });
      };
      const entry: Waiting = {
        start,
        cancel: () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
        },
      };
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          // Drop the job if it never started; if it is running it completes and frees its slot later.
          entry.cancel();
          this.timedOut++;
          settle(() => reject(this.timeoutError(timeoutMs)));
          this.checkIdle();
        }, timeoutMs);
      }
      if (this.running < this.opts.concurrency) start();
      else this.waiting.push(entry);
    });
  }

  /** Resolves when nothing runs or waits (used by graceful shutdown). */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.waiting.length > 0) {
      this.waiting.shift()!.start();
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.running === 0 && this.waiting.length === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of ws) w();
    }
  }
}
