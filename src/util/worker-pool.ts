/**
 * The one worker_threads pool of the project (synthesis, refinement and YOLO inference run on it).
 *
 * Protocol (see worker-serve.ts for the worker side): a worker posts { type: 'ready' } once it has built
 * its state, or { type: 'failed', error } if it cannot; then it answers each { id, task } with
 * { type: 'result', id, value } or { type: 'error', id, error }. Tasks queue in order and go to a ready
 * worker with fewer than `inFlight` tasks, so a slow task never stalls the others; results come by task id.
 * A worker that crashes or exits rejects the start (if still starting) and its own tasks; it is replaced
 * while `respawns` lasts, and when no worker is left the queued tasks reject. Idle workers are unref'd:
 * an open pool with nothing to do does not keep the process alive.
 */
import type { TransferListItem, Worker } from 'node:worker_threads';
import { AnimesegError, type ErrorCode } from '../errors.js';

/** An error as it crosses the thread boundary: `code` only for AnimesegError. */
export interface WireError {
  code?: string;
  message: string;
  hint?: string;
  file?: string;
}

export type WorkerReply<V> =
  | { type: 'ready' }
  | { type: 'failed'; error: WireError }
  | { type: 'result'; id: number; value: V }
  | { type: 'error'; id: number; error: WireError };

export interface TaskMessage<T> {
  id: number;
  task: T;
}

export function toWire(e: unknown): WireError {
  // Only AnimesegError codes travel as codes; any other error stays an unexpected one on the main side.
  if (e instanceof AnimesegError) return { code: e.code, message: e.message, hint: e.hint, file: e.file };
  return { message: e instanceof Error ? e.message : String(e) };
}

export function fromWire(e: WireError): Error {
  if (e.code) return new AnimesegError(e.code as ErrorCode, e.message, { hint: e.hint, file: e.file });
  return new Error(e.message);
}

export interface WorkerPoolOptions {
  workers: number;
  /** Starts one worker thread (`new Worker(...)`); a throw (e.g. workerData that cannot be cloned) fails the start. */
  create: () => Worker;
  /** Tasks sent to one worker before it answers (default 1). */
  inFlight?: number;
  /** Replacements for workers that die after they were ready (default 0: the others take the queue). */
  respawns?: number;
  /** The error for a worker that stopped (`why`: its error message or exit code); its tasks reject with it. */
  stopped: (why: string) => Error;
  /** The error for a task or a start the worker answered with an error (default: fromWire). */
  answered?: (e: WireError) => Error;
  /** The error for a task given to, or queued in, a disposed pool. */
  closed: () => Error;
}

export interface WorkerPool<T, V> {
  /** Queue a task; `transfer`: buffers of the task to move to the worker instead of copying. */
  run(task: T, transfer?: readonly TransferListItem[]): Promise<V>;
  /** Workers started and not dead. */
  readonly alive: number;
  /** Terminates the workers; tasks queued or in flight reject with `closed()`. */
  dispose(): Promise<void>;
}

interface Pending<T, V> {
  id: number;
  task: T;
  transfer: readonly TransferListItem[];
  resolve: (v: V) => void;
  reject: (e: unknown) => void;
}

interface Slot<T, V> {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  busy: Map<number, Pending<T, V>>;
}

/** Start `workers` threads and wait until each has answered 'ready'; the first failure rejects (and stops all). */
export async function startWorkerPool<T, V>(opts: WorkerPoolOptions): Promise<WorkerPool<T, V>> {
  const pool = new ThreadPool<T, V>(opts);
  const starts: Promise<void>[] = [];
  try {
    for (let i = 0; i < Math.max(1, Math.floor(opts.workers)); i++) starts.push(pool.spawn());
    await Promise.all(starts);
  } catch (e) {
    for (const s of starts) s.catch(() => undefined);
    await pool.dispose();
    throw e;
  }
  return pool;
}

/** The pool's state: its workers (slots), the queue of tasks no worker has taken yet, the respawns left. */
class ThreadPool<T, V> implements WorkerPool<T, V> {
  private readonly slots: Slot<T, V>[] = [];
  private readonly queue: Pending<T, V>[] = [];
  private readonly inFlight: number;
  private readonly answered: (e: WireError) => Error;
  private respawns: number;
  private closed = false;
  private nextId = 0;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.inFlight = Math.max(1, Math.floor(opts.inFlight ?? 1));
    this.answered = opts.answered ?? fromWire;
    this.respawns = opts.respawns ?? 0;
  }

  run(task: T, transfer: readonly TransferListItem[] = []): Promise<V> {
    if (this.closed) return Promise.reject(this.opts.closed());
    return new Promise<V>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transfer, resolve, reject });
      this.dispatch();
    });
  }

  get alive(): number {
    return this.slots.length;
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = this.opts.closed();
    for (const p of this.queue.splice(0)) p.reject(err);
    for (const s of this.slots) {
      for (const p of s.busy.values()) p.reject(err);
      s.busy.clear();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Start one worker: resolves once it is ready, rejects if it fails or dies first (a throw of `create` throws). */
  spawn(): Promise<void> {
    const worker = this.opts.create();
    const slot: Slot<T, V> = { worker, ready: false, dead: false, busy: new Map() };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: WorkerReply<V>) => this.onReply(slot, m, resolve, reject));
      worker.on('error', (e) => this.died(slot, e.message, reject));
      worker.on('exit', (code) => {
        if (!this.closed) this.died(slot, `exited with code ${code}`, reject);
      });
    });
  }

  /** A worker's answer: ready or failed (settling its start), or a task's result or error. */
  private onReply(slot: Slot<T, V>, m: WorkerReply<V>, started: () => void, failed: (e: Error) => void): void {
    if (m.type === 'ready') {
      slot.ready = true;
      slot.worker.unref();
      started();
    } else if (m.type === 'failed') {
      this.remove(slot);
      failed(this.answered(m.error));
      void slot.worker.terminate();
    } else {
      const p = this.settle(slot, m.id);
      if (p) {
        if (m.type === 'result') p.resolve(m.value);
        else p.reject(this.answered(m.error));
      }
    }
    this.dispatch();
  }

  /** A worker crashed or exited: its start and its tasks reject; a ready one is replaced while respawns last. */
  private died(slot: Slot<T, V>, why: string, failed: (e: Error) => void): void {
    if (slot.dead) return;
    this.remove(slot);
    const err = this.opts.stopped(why);
    failed(err);
    for (const p of slot.busy.values()) p.reject(err);
    slot.busy.clear();
    if (this.closed) return;
    if (slot.ready && this.respawns > 0) {
      this.respawns--;
      try {
        this.spawn().catch(() => undefined);
      } catch {
        // No replacement: the remaining workers take the queue (or it fails in dispatch).
      }
    }
    this.dispatch();
  }

  /** Hand queued tasks to ready workers with room; with no worker left, the queue rejects. */
  private dispatch(): void {
    for (const s of this.slots) {
      while (this.queue.length > 0 && s.ready && !s.dead && s.busy.size < this.inFlight) {
        const p = this.queue.shift()!;
        s.busy.set(p.id, p);
        s.worker.ref(); // busy workers keep the process alive; idle ones do not (see settle()).
        s.worker.postMessage({ id: p.id, task: p.task } satisfies TaskMessage<T>, p.transfer);
      }
    }
    if (this.queue.length > 0 && this.slots.length === 0) {
      const err = this.opts.stopped('no worker left');
      for (const p of this.queue.splice(0)) p.reject(err);
    }
  }

  /** Take a finished task off its worker (unref'd once it has none). */
  private settle(s: Slot<T, V>, id: number): Pending<T, V> | undefined {
    const p = s.busy.get(id);
    s.busy.delete(id);
    if (s.busy.size === 0) s.worker.unref();
    return p;
  }

  private remove(s: Slot<T, V>): void {
    s.dead = true;
    const i = this.slots.indexOf(s);
    if (i >= 0) this.slots.splice(i, 1);
  }
}
