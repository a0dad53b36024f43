/**
 * Watch mode (`segment --watch`): after the first batch, poll the inputs and process files that appear.
 * A file is taken only once its size and modification time are unchanged over two polls (a copy in
 * progress is not read half-written). Polling rather than fs.watch: it works the same on every platform
 * and file system (network shares, bind mounts) and sees files that arrive while a batch is running.
 */
import { stat } from 'node:fs/promises';
import type { InputItem } from './inputs.js';
import type { BatchSummary } from './batch.js';

export interface WatchOptions {
  /** List the inputs now (the same expansion as the first batch). */
  list: () => Promise<InputItem[]>;
  /** Process files that are new and stable; resolves when they are done. */
  process: (items: InputItem[]) => Promise<void>;
  /** Ends the watch: the batch in progress finishes, no new one starts. */
  signal: AbortSignal;
  /** Input paths already handled (the first batch). */
  known?: Iterable<string>;
  /** Poll interval (default 1000 ms). */
  intervalMs?: number;
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal.aborted) return res();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      res();
    }
    signal.addEventListener('abort', done);
  });
}

export async function watchInputs(o: WatchOptions): Promise<void> {
  const handled = new Set(o.known ?? []);
  /** Size and mtime at the last poll of files seen but not yet stable. */
  const pending = new Map<string, string>();
  const every = o.intervalMs ?? 1000;
  while (!o.signal.aborted) {
    await pause(every, o.signal);
    if (o.signal.aborted) break;
    const ready: InputItem[] = [];
    for (const it of await o.list()) {
      if (handled.has(it.path)) continue;
      const st = await stat(it.path).catch(() => null);
      if (!st) continue; // gone again
      const key = `${st.size}:${st.mtimeMs}`;
      if (st.size > 0 && pending.get(it.path) === key) {
        pending.delete(it.path);
        handled.add(it.path);
        ready.push(it);
      } else pending.set(it.path, key);
    }
    if (ready.length > 0) await o.process(ready);
  }
}

/** Add one batch's summary into a running total (watch mode reports the whole session). */
export function addSummary(total: BatchSummary, s: BatchSummary): BatchSummary {
  total.total += s.total;
  total.done += s.done;
  total.skipped += s.skipped;
  total.failed.push(...s.failed);
  total.empty.push(...s.empty);
  total.redone.settings += s.redone.settings;
  total.redone.source += s.redone.source;
  total.instances += s.instances;
  for (const n of s.notes) if (!total.notes.includes(n)) total.notes.push(n);
  total.seconds += s.seconds;
  for (const [k, v] of Object.entries(s.stageMs)) total.stageMs[k] = (total.stageMs[k] ?? 0) + v;
  total.stopped ??= s.stopped;
  if (s.warnings) (total.warnings ??= []).push(...s.warnings);
  return total;
}
