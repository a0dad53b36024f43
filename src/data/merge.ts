/**
 * `animeseg dataset merge`: one data.yaml over several YOLO-seg sets (e.g. the original three-part set:
 * simple composites + enhanced composites + COCO persons) without copying any file: Ultralytics accepts a
 * list of image folders per split. Class names must agree; the counts per source are reported and kept in
 * the yaml under `sources` (Ultralytics ignores unknown keys).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AnimesegError } from '../errors.js';
import { listSplitImages } from './files.js';
import { labelPathFor, readDataYaml, writeDataYaml, type SplitName } from './yaml.js';

export interface MergeSourceCounts {
  data: string;
  images: Partial<Record<SplitName, number>>;
  instances: Partial<Record<SplitName, number>>;
}

export interface MergeResult {
  out: string;
  names: Map<number, string>;
  sources: MergeSourceCounts[];
  totals: { images: Partial<Record<SplitName, number>>; instances: Partial<Record<SplitName, number>> };
}

async function countRows(labelFile: string): Promise<number> {
  try {
    const t = await readFile(labelFile, 'utf8');
    let n = 0;
    for (const line of t.split('\n')) if (line.trim() !== '') n++;
    return n;
  } catch {
    return 0;
  }
}

async function countSplit(entries: string[]): Promise<{ images: number; instances: number }> {
  let images = 0;
  let instances = 0;
  for (const e of entries) {
    const imgs = await listSplitImages(e);
    images += imgs.length;
    // Bounded parallelism: label files are small, but there can be tens of thousands.
    for (let i = 0; i < imgs.length; i += 256) {
      const counts = await Promise.all(imgs.slice(i, i + 256).map((p) => countRows(labelPathFor(p))));
      for (const c of counts) instances += c;
    }
  }
  return { images, instances };
}

export async function mergeDatasets(sources: string[], out: string): Promise<MergeResult> {
  if (sources.length < 1) throw new AnimesegError('BAD_OPTION', 'dataset merge needs at least one data.yaml to merge');
  const outFile = resolve(out.endsWith('.yaml') || out.endsWith('.yml') ? out : `${out}/data.yaml`);
  if (sources.some((s) => resolve(s) === outFile)) {
    throw new AnimesegError('BAD_OPTION', 'the merged data.yaml would overwrite one of its sources', { file: outFile });
  }
  const splits: Record<'train' | 'val' | 'test', string[]> = { train: [], val: [], test: [] };
  let names: Map<number, string> | null = null;
  let namesFrom = '';
  const result: MergeResult = { out: outFile, names: new Map(), sources: [], totals: { images: {}, instances: {} } };
  for (const src of sources) {
    const d = await readDataYaml(src);
    if (names === null) {
      names = d.names;
      namesFrom = src;
    } else {
      const a = JSON.stringify([...names.entries()].sort((x, y) => x[0] - y[0]));
      const b = JSON.stringify([...d.names.entries()].sort((x, y) => x[0] - y[0]));
      if (a !== b) {
        throw new AnimesegError('BAD_DATASET', `class names differ from ${namesFrom}: ${b} vs ${a}`, {
          file: src,
          hint: 'merge only sets with the same classes (e.g. convert COCO with --classes person and synthesize with class 0)',
        });
      }
    }
    const counts: MergeSourceCounts = { data: resolve(src), images: {}, instances: {} };
    for (const s of ['train', 'val', 'test'] as const) {
      const entries = d.splits[s];
      if (!entries) continue;
      // A set without its own val points val at train: do not count (or list) those images twice.
      if (s !== 'train' && JSON.stringify(entries) === JSON.stringify(d.splits.train)) continue;
      splits[s].push(...entries);
      const c = await countSplit(entries);
      counts.images[s] = c.images;
      counts.instances[s] = c.instances;
      result.totals.images[s] = (result.totals.images[s] ?? 0) + c.images;
      result.totals.instances[s] = (result.totals.instances[s] ?? 0) + c.instances;
    }
    result.sources.push(counts);
  }
  if (splits.val.length === 0) throw new AnimesegError('BAD_DATASET', 'none of the sources has a val split of its own', { hint: 'give one source a val split (synth --val 0.1)' });
  result.names = names!;
  await writeDataYaml(outFile, {
    root: dirname(outFile),
    train: splits.train,
    val: splits.val,
    test: splits.test.length ? splits.test : undefined,
    names: names!,
    extra: { sources: result.sources.map((s) => ({ data: s.data, images: s.images, instances: s.instances })) },
    comment: `written by animeseg dataset merge from ${sources.length} sets`,
  });
  return result;
}
