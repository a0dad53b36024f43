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
  const inFlight = Math.max(1, Math.floor(opts.inFlight ?? 1));
  const answered = opts.answered ?? fromWire;
  const slots: Slot<T, V>[] = [];
  const queue: Pending<T, V>[] = [];
  let respawns = opts.respawns ?? 0;
  let closed = false;
  let nextId = 0;

  const dispatch = (): void => {
    for (const s of slots) {
      while (queue.length > 0 && s.ready && !s.dead && s.busy.size < inFlight) {
        const p = queue.shift()!;
        s.busy.set(p.id, p);
        s.worker.ref(); // busy workers keep the process alive; idle ones do not (see settle()).
        s.worker.postMessage({ id: p.id, task: p.task } satisfies TaskMessage<T>, p.transfer);
      }
    }
    if (queue.length > 0 && slots.length === 0) {
      const err = opts.stopped('no worker left');
      for (const p of queue.splice(0)) p.reject(err);
    }
  };

  const settle = (s: Slot<T, V>, id: number): Pending<T, V> | undefined => {
    const p = s.busy.get(id);
    s.busy.delete(id);
    if (s.busy.size === 0) s.worker.unref();
    return p;
  };

  const remove = (s: Slot<T, V>): void => {
    s.dead = true;
    const i = slots.indexOf(s);
    if (i >= 0) slots.splice(i, 1);
  };

  const spawn = (): Promise<void> => {
    const worker = opts.create();
    const slot: Slot<T, V> = { worker, ready: false, dead: false, busy: new Map() };
    slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      const died = (why: string): void => {
        if (slot.dead) return;
        remove(slot);
        const err = opts.stopped(why);
        reject(err);
        for (const p of slot.busy.values()) p.reject(err);
        slot.busy.clear();
        if (closed) return;
        if (slot.ready && respawns > 0) {
          respawns--;
          try {
            spawn().catch(() => undefined);
          } catch {
            // No replacement: the remaining workers take the queue (or it fails in dispatch).
          }
        }
        dispatch();
      };
      worker.on('message', (m: WorkerReply<V>) => {
        if (m.type === 'ready') {
          slot.ready = true;
          worker.unref();
          resolve();
          dispatch();
        } else if (m.type === 'failed') {
          remove(slot);
          reject(answered(m.error));
          void worker.terminate();
          dispatch();
        } else {
          const p = settle(slot, m.id);
          if (p) {
            if (m.type === 'result') p.resolve(m.value);
            else p.reject(answered(m.error));
          }
          dispatch();
        }
      });
      worker.on('error', (e) => died(e.message));
      worker.on('exit', (code) => {
        if (!closed) died(`exited with code ${code}`);
      });
    });
  };

  const pool: WorkerPool<T, V> = {
    run(task, transfer = []) {
      if (closed) return Promise.reject(opts.closed());
      return new Promise<V>((resolve, reject) => {
        queue.push({ id: nextId++, task, transfer, resolve, reject });
        dispatch();
      });
    },
    get alive() {
      return slots.length;
    },
    async dispose() {
      if (closed) return;
      closed = true;
      const err = opts.closed();
      for (const p of queue.splice(0)) p.reject(err);
      for (const s of slots) {
        for (const p of s.busy.values()) p.reject(err);
        s.busy.clear();
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };

  const starts: Promise<void>[] = [];
  try {
    for (let i = 0; i < Math.max(1, Math.floor(opts.workers)); i++) starts.push(spawn());
    await Promise.all(starts);
  } catch (e) {
    for (const s of starts) s.catch(() => undefined);
    await pool.dispose();
    throw e;
  }
  return pool;
}
