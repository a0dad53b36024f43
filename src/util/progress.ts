/**
 * Progress reporting for long jobs. On a terminal: one self-rewriting bar with rate and ETA.
 * Otherwise (CI logs, pipes): a plain line every `plainEverySec` seconds and at the end.
 */
export interface ProgressOptions {
  total: number;
  label?: string;
  unit?: string; // e.g. 'img'
  stream?: NodeJS.WriteStream;
  /** Force plain output even on a TTY (tests) or disable entirely. */
  mode?: 'auto' | 'bar' | 'plain' | 'silent';
  plainEverySec?: number;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private readonly start = Date.now();
  private lastPrint = 0;
  /** `done` at the last line written, so finish() does not repeat a plain 100 % line. */
  private lastRendered = -1;
  private readonly mode: 'bar' | 'plain' | 'silent';
  private readonly stream: NodeJS.WriteStream;

  constructor(private opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    const m = opts.mode ?? 'auto';
    this.mode = m === 'auto' ? (this.stream.isTTY ? 'bar' : 'plain') : m;
  }

  /** The work turned out larger or smaller than planned (e.g. Ultralytics fitting its epochs to `time=`). */
  setTotal(total: number): void {
    if (total === this.opts.total) return;
    this.opts = { ...this.opts, total };
    this.render(true);
  }

  tick(n = 1, ok = true): void {
    this.done += n;
    if (!ok) this.failed += n;
    this.render(false);
  }

  /** Print a message without breaking the bar. */
  log(line: string): void {
    if (this.mode === 'silent') return;
    if (this.mode === 'bar') this.stream.write('\r\x1b[K');
    this.stream.write(line + '\n');
    this.render(true);
  }

  finish(): void {
    if (this.mode !== 'plain' || this.lastRendered !== this.done) this.render(true);
    if (this.mode === 'bar') this.stream.write('\n');
  }

  get elapsedSec(): number {
    return (Date.now() - this.start) / 1000;
  }

  get rate(): number {
    const s = this.elapsedSec;
    return s > 0 ? this.done / s : 0;
  }

  private render(force: boolean): void {
    if (this.mode === 'silent') return;
    const now = Date.now();
    const every = this.mode === 'bar' ? 100 : (this.opts.plainEverySec ?? 5) * 1000;
    const complete = this.done >= this.opts.total;
    if (!force && !complete && now - this.lastPrint < every) return;
    this.lastPrint = now;
    this.lastRendered = this.done;
    const { total } = this.opts;
    const unit = this.opts.unit ?? 'it';
    const rate = this.rate;
    const eta = rate > 0 ? (total - this.done) / rate : NaN;
    const pct = total > 0 ? Math.min(100, (100 * this.done) / total) : 100;
    const stats = `${this.done}/${total} ${unit} ${rate.toFixed(2)} ${unit}/s ETA ${fmtSec(eta)}${this.failed ? ` failed ${this.failed}` : ''}`;
    const label = this.opts.label ? `${this.opts.label} ` : '';
    if (this.mode === 'bar') {
      const width = 28;
      const filled = Math.round((pct / 100) * width);
      this.stream.write(`\r\x1b[K${label}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.toFixed(0)}% ${stats}`);
    } else {
      this.stream.write(`${label}${pct.toFixed(0)}% ${stats}\n`);
    }
  }
}

export function fmtSec(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
