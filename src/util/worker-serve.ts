/**
 * The worker side of worker-pool.ts: build the worker's state once, answer 'ready' (or 'failed'), then
 * answer every task by id. Tasks are not serialised here: a handler that awaits lets the next task start
 * (the pool's `inFlight` bounds how many).
 */
import { parentPort, type TransferListItem } from 'node:worker_threads';
import { toWire, type TaskMessage, type WorkerReply } from './worker-pool.js';

export interface Answer<V> {
  value: V;
  /** Buffers of the value to move to the main thread instead of copying. */
  transfer?: TransferListItem[];
}

export type TaskHandler<T, V> = (task: T) => Promise<Answer<V>>;

export async function serveTasks<T, V>(setup: () => TaskHandler<T, V> | Promise<TaskHandler<T, V>>): Promise<void> {
  const port = parentPort!;
  let handle: TaskHandler<T, V>;
  try {
    handle = await setup();
  } catch (e) {
    // The pool rejects its start with this error and terminates the thread.
    port.postMessage({ type: 'failed', error: toWire(e) } satisfies WorkerReply<V>);
    return;
  }
  port.on('message', async ({ id, task }: TaskMessage<T>) => {
    let reply: WorkerReply<V>;
    let transfer: TransferListItem[] = [];
    try {
      const a = await handle(task);
      reply = { type: 'result', id, value: a.value };
      transfer = a.transfer ?? [];
    } catch (e) {
      reply = { type: 'error', id, error: toWire(e) };
    }
    try {
      port.postMessage(reply, transfer);
    } catch (e) {
      // A value that cannot be cloned fails its task, not the worker.
      port.postMessage({ type: 'error', id, error: toWire(e) } satisfies WorkerReply<V>);
    }
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply<V>);
}
