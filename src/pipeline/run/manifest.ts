/**
 * The run manifest, OUT/manifest.jsonl: one JSON line per image (see RunRecord in run-record.ts),
 * appended as each image finishes. Every line goes out in one append of a complete line, so a killed
 * run leaves at worst a torn last line; opening the manifest cuts that tail off and rewrites the file
 * (atomically) with the latest line per image when it held repeats or unreadable lines.
 *
 * Queue workers (several processes, several machines on a shared folder) never write manifest.jsonl:
 * each appends to a file of its own, OUT/manifest.d/HOST-PID-START.jsonl, and never rewrites it, so no
 * two writers share a file and nothing is lost to a rewrite. Reading the manifest reads manifest.jsonl
 * and every manifest.d/*.jsonl (torn last lines ignored there, never cut: their writer may be alive); per
 * image the latest line wins: the last one within a file, the one finished latest across files.
 */
import { mkdir, open, readdir, readFile, truncate } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { writeError } from '../../util/write-errors.js';
import { parseRecord, type RunRecord } from './run-record.js';

export const MANIFEST_NAME = 'manifest.jsonl';
/** Folder of the per-writer manifest files of queue workers. */
export const MANIFEST_DIR = 'manifest.d';

/** A fresh per-process manifest file for a queue worker (never reused, even when a pid is). */
export function writerManifestPath(outDir: string): string {
  const host = hostname().replace(/[^\w.-]/g, '_') || 'host';
  return join(outDir, MANIFEST_DIR, `${host}-${process.pid}-${Date.now().toString(36)}.jsonl`);
}

export interface ManifestOpenOptions {
  /**
   * Append to this file instead of manifest.jsonl (a worker's writerManifestPath). Such a manifest never
   * repairs or rewrites manifest.jsonl (a `segment` run may be appending to it) and never compacts.
   */
  appendTo?: string;
}

/** Complete lines of a text (a torn last line dropped), and the torn tail's byte count. */
function completeLines(text: string): { lines: string[]; tornBytes: number } {
  const end = text.lastIndexOf('\n') + 1;
  return { lines: text.slice(0, end).split('\n'), tornBytes: Buffer.byteLength(text.slice(end)) };
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new AnimesegError('IO', `cannot read the run manifest (${(e as NodeJS.ErrnoException).code})`, { file: path });
  }
}

/** The later of two records of one image from different files (finish time; ties go to `b`). */
const later = (a: RunRecord, b: RunRecord): RunRecord => (a.finished > b.finished ? a : b);

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
    /** Latest record per image over manifest.jsonl and manifest.d/. */
    private byName: Map<string, RunRecord>,
    /** Latest record per image in manifest.jsonl alone (what a compaction writes back). */
    private readonly mainByName: Map<string, RunRecord>,
    readonly repair: ManifestRepair,
    /** Where append() writes: manifest.jsonl, or a worker's own file. */
    readonly appendPath: string,
  ) {
    for (const r of byName.values()) this.claim(r);
  }

  /** Every output some record listed (a set: ownership checks run per output of every image). */
  private readonly claimed = new Set<string>();

  private claim(r: RunRecord): void {
    for (const o of r.outputs) this.claimed.add(o);
  }

  private get ownFile(): boolean {
    return this.appendPath !== this.path;
  }

  /** Read (and, unless appendTo, repair) OUT/manifest.jsonl, plus the workers' manifest.d/ files. */
  static async open(outDir: string, opts: ManifestOpenOptions = {}): Promise<Manifest> {
    const path = join(outDir, MANIFEST_NAME);
    const repairs = opts.appendTo === undefined;
    const { lines, tornBytes } = completeLines(await readIfExists(path));
    const repair: ManifestRepair = { tornBytes, badLines: 0, superseded: 0 };
    if (tornBytes > 0 && repairs) {
      // A torn last line from a killed run: no reader may ever see it, and the next append must start a line.
      await truncate(path, Buffer.byteLength(lines.join('\n')));
    }
    const mainByName = new Map<string, RunRecord>();
    for (const line of lines) {
      if (line.trim() === '') continue;
      const r = parseRecord(line);
      if (!r) repair.badLines++;
      else {
        if (mainByName.has(r.name)) repair.superseded++;
        mainByName.delete(r.name); // keep insertion order = order of the latest lines
        mainByName.set(r.name, r);
      }
    }
    const byName = await Manifest.merge(outDir, mainByName);
    const m = new Manifest(path, byName, mainByName, repair, opts.appendTo ?? path);
    if (repairs && (repair.badLines > 0 || repair.superseded > 0)) await m.rewrite();
    return m;
  }

  /** manifest.jsonl's records merged with those of manifest.d/*.jsonl (latest per image). */
  private static async merge(outDir: string, mainByName: ReadonlyMap<string, RunRecord>): Promise<Map<string, RunRecord>> {
    const byName = new Map(mainByName);
    const dir = join(outDir, MANIFEST_DIR);
    const files = await readdir(dir).then((f) => f.filter((n) => n.endsWith('.jsonl')).sort(), () => [] as string[]);
    for (const f of files) {
      const own = new Map<string, RunRecord>();
      for (const line of completeLines(await readIfExists(join(dir, f))).lines) {
        const r = line.trim() === '' ? null : parseRecord(line);
        if (r) own.set(r.name, r);
      }
      for (const [name, r] of own) {
        const have = byName.get(name);
        byName.set(name, have ? later(have, r) : r);
      }
    }
    return byName;
  }

  /**
   * Read the workers' files again (another worker may have finished an image since this manifest was
   * opened: a job picked up after its worker died). manifest.jsonl is not re-read.
   */
  async refresh(): Promise<void> {
    const fresh = await Manifest.merge(dirname(this.path), this.mainByName);
    for (const [name, r] of this.byName) {
      const f = fresh.get(name);
      if (!f || f.finished < r.finished) fresh.set(name, r);
    }
    this.byName = fresh;
    for (const r of fresh.values()) this.claim(r);
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

  /** Append one record as one write of one complete line (to manifest.jsonl or this worker's own file). */
  async append(r: RunRecord): Promise<void> {
    const line = Buffer.from(JSON.stringify(r) + '\n');
    try {
      await mkdir(dirname(this.appendPath), { recursive: true });
      const fh = await open(this.appendPath, 'a');
      try {
        const { bytesWritten } = await fh.write(line, 0, line.length);
        if (bytesWritten !== line.length) throw new AnimesegError('IO', `short write to the run manifest (${bytesWritten} of ${line.length} bytes)`, { file: this.appendPath });
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw writeError(e, this.appendPath);
    }
    this.byName.delete(r.name);
    this.byName.set(r.name, r);
    this.claim(r);
    if (this.ownFile) return;
    if (this.mainByName.delete(r.name)) this.superseded++;
    this.mainByName.set(r.name, r);
  }

  /** Lines replaced by later ones since the file was last written whole. */
  private superseded = 0;

  /**
   * Rewrite manifest.jsonl with one line per image when appends replaced earlier lines (end of a run).
   * Only manifest.jsonl's own lines: the workers' files are theirs alone.
   */
  async compact(): Promise<void> {
    if (this.superseded === 0 || this.ownFile) return;
    await this.rewrite();
    this.superseded = 0;
  }

  /** Rewrite manifest.jsonl with its latest record per image, atomically. */
  private async rewrite(): Promise<void> {
    await writeFileAtomic(this.path, [...this.mainByName.values()].map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
