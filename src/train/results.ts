/**
 * Ultralytics' results.csv: one row per finished epoch, written by the trainer as it goes.
 * Ultralytics 8.0 right-aligns every field to 23 characters; 8.1+ writes plain CSV and adds a `time` column.
 * Both parse the same here (fields trimmed, columns looked up by name, never by position).
 */
import { readFile } from 'node:fs/promises';

export interface EpochRow {
  epoch: number;
  /** Every column by its (trimmed) name, as numbers (NaN where a cell is not a number). */
  values: Record<string, number>;
}

/** The columns shown while training and in the model card. */
export const KEY_COLUMNS = {
  boxLoss: 'train/box_loss',
  segLoss: 'train/seg_loss',
  clsLoss: 'train/cls_loss',
  dflLoss: 'train/dfl_loss',
  boxP: 'metrics/precision(B)',
  boxR: 'metrics/recall(B)',
  boxMap50: 'metrics/mAP50(B)',
  boxMap: 'metrics/mAP50-95(B)',
  maskP: 'metrics/precision(M)',
  maskR: 'metrics/recall(M)',
  maskMap50: 'metrics/mAP50(M)',
  maskMap: 'metrics/mAP50-95(M)',
} as const;

/**
 * Parse the complete lines of a results.csv text. A last line without its newline may be half-written
 * (the trainer is appending right now) and is left for the next read.
 */
export function parseResultsCsv(text: string): { header: string[]; rows: EpochRow[] } {
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  const lines = complete.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length === 0) return { header: [], rows: [] };
  const header = lines[0].split(',').map((h) => h.trim());
  const rows: EpochRow[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) continue; // torn or foreign line: skip rather than mis-assign columns
    const values: Record<string, number> = {};
    header.forEach((h, i) => (values[h] = Number(cells[i])));
    const epoch = values.epoch;
    if (!Number.isFinite(epoch)) continue;
    rows.push({ epoch, values });
  }
  return { header, rows };
}

export async function readResultsCsv(path: string): Promise<{ header: string[]; rows: EpochRow[] } | undefined> {
  try {
    return parseResultsCsv(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The planned epoch count in one of Ultralytics' training progress lines (`      2/12      2.31G      1.23 ...`:
 * epoch/epochs, then GPU memory), or undefined for any other line. Read because the plan can change during a
 * run: with `time=H` Ultralytics refits its epochs to the time after every epoch (engine/trainer.py).
 */
export function plannedEpochsOf(line: string): number | undefined {
  const m = /^\s*(\d+)\/(\d+)\s+\d+(?:\.\d+)?G\s/.exec(line);
  return m && Number(m[1]) <= Number(m[2]) ? Number(m[2]) : undefined;
}

/** Ultralytics' own model-selection fitness for segmentation: 0.1·mAP50 + 0.9·mAP50-95, summed over B and M. */
export function fitness(row: EpochRow): number {
  const v = row.values;
  const f = (k: string) => (Number.isFinite(v[k]) ? v[k] : 0);
  return (
    0.1 * f(KEY_COLUMNS.boxMap50) + 0.9 * f(KEY_COLUMNS.boxMap) + 0.1 * f(KEY_COLUMNS.maskMap50) + 0.9 * f(KEY_COLUMNS.maskMap)
  );
}

/** The row best.pt comes from (highest fitness; first one on ties, as Ultralytics keeps the first best). */
export function bestRow(rows: EpochRow[]): EpochRow | undefined {
  let best: EpochRow | undefined;
  for (const r of rows) if (!best || fitness(r) > fitness(best)) best = r;
  return best;
}

export function formatEpoch(row: EpochRow, epochs: number): string {
  const v = row.values;
  const n = (k: string, d = 4) => (Number.isFinite(v[k]) ? v[k].toFixed(d) : '-');
  return (
    `epoch ${row.epoch}/${epochs}  box ${n(KEY_COLUMNS.boxLoss, 3)}  seg ${n(KEY_COLUMNS.segLoss, 3)}  ` +
    `cls ${n(KEY_COLUMNS.clsLoss, 3)}  mask mAP50-95 ${n(KEY_COLUMNS.maskMap)}  mAP50 ${n(KEY_COLUMNS.maskMap50)}`
  );
}

/**
 * Poll a growing results.csv and report each new row once. Polling (not fs.watch) because the file is
 * rewritten by another process, possibly on a network filesystem, where change events are unreliable.
 */
export class ResultsWatcher {
  private seen = 0;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  rows: EpochRow[] = [];

  /** `alreadySeen`: rows present before this run (a resumed run appends to the same file). */
  constructor(
    private readonly path: string,
    private readonly onRow: (row: EpochRow) => void,
    private readonly everyMs = 500,
    alreadySeen = 0,
  ) {
    this.seen = alreadySeen;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.everyMs);
  }

  /** Read once more (after the trainer exits) so the last epoch is never missed. */
  async stop(): Promise<EpochRow[]> {
    clearInterval(this.timer);
    while (this.reading) await new Promise((r) => setTimeout(r, 5));
    await this.poll();
    return this.rows;
  }

  async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const r = await readResultsCsv(this.path);
      if (!r) return;
      this.rows = r.rows;
      for (; this.seen < r.rows.length; this.seen++) this.onRow(r.rows[this.seen]);
    } catch {
      // A read racing a rewrite: try again at the next tick.
    } finally {
      this.reading = false;
    }
  }
}
