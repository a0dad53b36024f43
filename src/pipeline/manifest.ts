/**
 * The run manifest, OUT/manifest.jsonl: one JSON line per image (see RunRecord in run-record.ts),
 * appended as each image finishes. Every line goes out in one append of a complete line, so a killed
 * run leaves at worst a torn last line; opening the manifest cuts that tail off and rewrites the file
 * (atomically) with the latest line per image when it held repeats or unreadable lines.
 */
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AnimesegError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { parseRecord, type RunRecord } from './run-record.js';

export const MANIFEST_NAME = 'manifest.jsonl';

export interface ManifestRepair {
  /** Bytes of a torn last line that were cut off. */
  tornBytes: number;
  /** Complete lines that were not records (dropped on rewrite). */
  badLines: number;
  /** Older lines replaced by a later line for the same image (dropped on rewrite). */
  superseded: number;
}

export class Manifest {
  private constructor(
    readonly path: string,
    private readonly byName: Map<string, RunRecord>,
    readonly repair: ManifestRepair,
  ) {
    for (const r of byName.values()) this.claim(r);
  }

  /** Every output some record listed (a set: ownership checks run per output of every image). */
  private readonly claimed = new Set<string>();

  private claim(r: RunRecord): void {
    for (const o of r.outputs) this.claimed.add(o);
  }

  /** Read (and repair) OUT/manifest.jsonl; a missing file is an empty manifest. */
  static async open(outDir: string): Promise<Manifest> {
    const path = join(outDir, MANIFEST_NAME);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AnimesegError('IO', `cannot read the run manifest (${(e as NodeJS.ErrnoException).code})`, { file: path });
    }
    const repair: ManifestRepair = { tornBytes: 0, badLines: 0, superseded: 0 };
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      // A torn last line from a killed run: no reader may ever see it, and the next append must start a line.
      repair.tornBytes = Buffer.byteLength(text.slice(end));
      text = text.slice(0, end);
      await truncate(path, Buffer.byteLength(text));
    }
    const byName = new Map<string, RunRecord>();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const r = parseRecord(line);
      if (!r) repair.badLines++;
      else {
        if (byName.has(r.name)) repair.superseded++;
        byName.delete(r.name); // keep insertion order = order of the latest lines
        byName.set(r.name, r);
      }
    }
    const m = new Manifest(path, byName, repair);
    if (repair.badLines > 0 || repair.superseded > 0) await m.rewrite();
    return m;
  }

  /** The latest record for an output name. */
  latest(name: string): RunRecord | undefined {
    return this.byName.get(name);
  }

  records(): RunRecord[] {
    return [...this.byName.values()];
  }

  /** Whether some record lists this output (relative, '/'-separated). */
  lists(output: string): boolean {
    return this.claimed.has(output);
  }

  /** Append one record as one write of one complete line. */
  async append(r: RunRecord): Promise<void> {
    const line = Buffer.from(JSON.stringify(r) + '\n');
    await mkdir(dirname(this.path), { recursive: true });
    const fh = await open(this.path, 'a');
    try {
      const { bytesWritten } = await fh.write(line, 0, line.length);
      if (bytesWritten !== line.length) throw new AnimesegError('IO', `short write to the run manifest (${bytesWritten} of ${line.length} bytes)`, { file: this.path });
    } finally {
      await fh.close();
    }
    if (this.byName.delete(r.name)) this.superseded++;
    this.byName.set(r.name, r);
    this.claim(r);
  }

  /** Lines replaced by later ones since the file was last written whole. */
  private superseded = 0;

  /** Rewrite the file with one line per image when appends replaced earlier lines (end of a run). */
  async compact(): Promise<void> {
    if (this.superseded === 0) return;
    await this.rewrite();
    this.superseded = 0;
  }

  /** Rewrite the file with the latest record per image, atomically. */
  private async rewrite(): Promise<void> {
    await writeFileAtomic(this.path, this.records().map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
