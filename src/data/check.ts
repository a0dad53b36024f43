/**
 * `animeseg dataset check`: validate a YOLO-seg dataset the way Ultralytics will read it, before hours of
 * training find out. Errors make `ok` false; warnings are reported but training would still run.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import sharp from 'sharp';
import { Progress } from '../util/progress.js';
import { SPLITS, labelPathFor, readDataYaml, type DataYaml, type SplitName } from './yaml.js';
import { listSplitImages, walkFiles } from './files.js';
import { parseLabelText } from './labels.js';
import { describeError } from '../errors.js';

export interface CheckOptions {
  /** Hash every image to find duplicate files (default true). */
  hash?: boolean;
  /** Decode image headers with sharp (default true). */
  openImages?: boolean;
  /** How many examples to list per kind of problem (default 20); the rest are counted. */
  maxExamples?: number;
  /** Files processed at once (default 16; sharp/fs work runs on libuv threads). */
  concurrency?: number;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
}

export interface SplitCounts {
  images: number;
  labelled: number;
  backgrounds: number; // images whose label file exists but is empty
  missingLabels: number; // images with no label file
  instances: number;
}

export interface CheckCounts {
  images: number;
  labels: number;
  instances: number;
  backgrounds: number;
  missingLabels: number;
  orphanLabels: number;
  unreadableImages: number;
  badRows: number;
  duplicateImages: number;
  perSplit: Partial<Record<SplitName, SplitCounts>>;
  /** class id → instances. */
  perClass: Record<number, number>;
}

export interface CheckResult {
  ok: boolean;
  errors: string[];
  warnings: string[];
  counts: CheckCounts;
}

/** Collects messages by kind, keeping the first N examples of each so a broken 90k-image set stays readable. */
class Messages {
  private readonly kinds = new Map<string, { examples: string[]; total: number }>();
  constructor(private readonly max: number) {}
  add(kind: string, example: string): void {
    let k = this.kinds.get(kind);
    if (!k) this.kinds.set(kind, (k = { examples: [], total: 0 }));
    k.total++;
    if (k.examples.length < this.max) k.examples.push(example);
  }
  list(): string[] {
    const out: string[] = [];
    for (const [kind, k] of this.kinds) {
      out.push(`${kind} (${k.total}):`);
      for (const e of k.examples) out.push(`  ${e}`);
      if (k.total > k.examples.length) out.push(`  ... and ${k.total - k.examples.length} more`);
    }
    return out;
  }
  get size(): number {
    return this.kinds.size;
  }
}

async function mapPool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(runners);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** JPEG files must end with the EOI marker; Ultralytics warns and re-saves those that don't. */
function jpegTruncated(buf: Uint8Array, path: string): boolean {
  const lower = path.toLowerCase();
  if (!(lower.endsWith('.jpg') || lower.endsWith('.jpeg'))) return false;
  return buf.length < 2 || buf[buf.length - 2] !== 0xff || buf[buf.length - 1] !== 0xd9;
}

/** What every step of a check writes to: the messages, the counts, and how paths are shown. */
interface CheckRun {
  errors: Messages;
  warnings: Messages;
  counts: CheckCounts;
  show: (p: string) => string;
}

interface ImageItem {
  path: string;
  split: SplitName;
}

function emptyCounts(): CheckCounts {
  return {
    images: 0,
    labels: 0,
    instances: 0,
    backgrounds: 0,
    missingLabels: 0,
    orphanLabels: 0,
    unreadableImages: 0,
    badRows: 0,
    duplicateImages: 0,
    perSplit: {},
    perClass: {},
  };
}

/** Ultralytics sets nc = len(names): ids must be exactly 0..nc-1. */
function checkClassNames(data: DataYaml, errors: Messages): void {
  const names = data.names;
  if (names.size === 0) errors.add('data.yaml', "'names' is empty");
  const ids = [...names.keys()].sort((a, b) => a - b);
  if (ids.some((id, i) => id !== i)) {
    errors.add('data.yaml', `class ids must be 0..${names.size - 1} without gaps (Ultralytics uses nc = len(names)); got ${ids.join(', ')}`);
  }
}

/** Every image of every split once per split it is listed in, and the label folders of folder splits. */
async function gatherImages(data: DataYaml, run: CheckRun): Promise<{ items: ImageItem[]; labelDirs: Set<string> }> {
  const items: ImageItem[] = [];
  const labelDirs = new Set<string>();
  for (const split of SPLITS) {
    const entries = data.splits[split];
    if (!entries) continue;
    run.counts.perSplit[split] = { images: 0, labelled: 0, backgrounds: 0, missingLabels: 0, instances: 0 };
    for (const entry of entries) {
      let imgs: string[];
      try {
        imgs = await listSplitImages(entry);
      } catch (e) {
        run.errors.add(`${split}: split path problems`, describeError(e));
        continue;
      }
      if (imgs.length === 0) run.errors.add(`${split}: split path problems`, `${entry}: no images`);
      for (const p of imgs) items.push({ path: p, split });
      try {
        if ((await stat(entry)).isDirectory()) labelDirs.add(dirname(labelPathFor(entry + '/x.jpg')));
      } catch {
        /* already reported */
      }
    }
  }
  return { items, labelDirs };
}

function warnImagesInSeveralSplits(items: readonly ImageItem[], run: CheckRun): void {
  const pathSplits = new Map<string, SplitName[]>();
  for (const it of items) pathSplits.set(it.path, [...(pathSplits.get(it.path) ?? []), it.split]);
  for (const [p, s] of pathSplits) {
    if (new Set(s).size > 1) run.warnings.add('image in more than one split (val metrics will be optimistic)', `${run.show(p)}: ${[...new Set(s)].join(', ')}`);
  }
}

/** Duplicate bytes (sha1, first path wins), header size, truncated JPEG. False when the image is unusable. */
async function checkImageFile(path: string, run: CheckRun, opts: { hashes?: Map<string, string>; open: boolean }): Promise<boolean> {
  if (!opts.hashes && !opts.open) return true;
  const { errors, warnings, counts, show } = run;
  let ok = true;
  try {
    const buf = await readFile(path);
    if (opts.hashes) {
      const h = createHash('sha1').update(buf).digest('hex');
      const first = opts.hashes.get(h);
      if (first !== undefined && first !== path) {
        counts.duplicateImages++;
        warnings.add('duplicate image files (same bytes)', `${show(path)} = ${show(first)}`);
      } else opts.hashes.set(h, path);
    }
    if (opts.open) {
      const meta = await sharp(buf).metadata();
      if (!meta.width || !meta.height) throw new Error('no size in header');
      if (meta.width < 10 || meta.height < 10) {
        ok = false;
        errors.add('images too small (Ultralytics needs > 9 px per side)', `${show(path)}: ${meta.width}x${meta.height}`);
      }
      if (jpegTruncated(buf, path)) warnings.add('truncated JPEG (Ultralytics re-saves it)', show(path));
    }
  } catch (e) {
    ok = false;
    counts.unreadableImages++;
    errors.add('images that do not open', `${show(path)}: ${(e as Error).message.split('\n')[0]}`);
  }
  return ok;
}

/** The image's label file: missing (background), rows checked against the class names, counts per split and class. */
async function checkLabelFile(item: ImageItem, names: ReadonlyMap<number, string>, run: CheckRun, labelsSeen: Set<string>): Promise<void> {
  const { errors, warnings, counts, show } = run;
  const sc = counts.perSplit[item.split]!;
  const lp = labelPathFor(item.path);
  labelsSeen.add(lp);
  let text: string | null = null;
  try {
    text = await readFile(lp, 'utf8');
  } catch (e) {
    if (!isMissing(e)) errors.add('label files that cannot be read', `${show(lp)}: ${(e as Error).message}`);
  }
  if (text === null) {
    counts.missingLabels++;
    sc.missingLabels++;
    warnings.add('images without a label file (trained as background)', show(item.path));
    return;
  }
  counts.labels++;
  sc.labelled++;
  const parsed = parseLabelText(text, (c) => names.has(c));
  for (const p of parsed.errors) {
    counts.badRows++;
    errors.add('bad label rows', `${show(lp)}:${p.line}: ${p.message}`);
  }
  for (const p of parsed.warnings) warnings.add('label warnings', `${show(lp)}:${p.line}: ${p.message}`);
  if (parsed.rows.length === 0 && parsed.errors.length === 0) {
    counts.backgrounds++;
    sc.backgrounds++;
  }
  counts.instances += parsed.rows.length;
  sc.instances += parsed.rows.length;
  for (const r of parsed.rows) counts.perClass[r.cls] = (counts.perClass[r.cls] ?? 0) + 1;
}

/** Labels nobody will read: their image is missing (often a renamed or deleted image). */
async function warnOrphanLabels(labelDirs: ReadonlySet<string>, labelsSeen: ReadonlySet<string>, run: CheckRun): Promise<void> {
  for (const dir of labelDirs) {
    let files: string[] = [];
    try {
      files = (await walkFiles(dir)).filter((f) => f.endsWith('.txt'));
    } catch (e) {
      if (!isMissing(e)) run.warnings.add('label folders that cannot be listed', `${dir}: ${(e as Error).message}`);
    }
    for (const f of files) {
      if (!labelsSeen.has(f)) {
        run.counts.orphanLabels++;
        run.warnings.add('label files without an image', run.show(f));
      }
    }
  }
}

function checkSplitsHaveInstances(run: CheckRun): void {
  for (const split of ['train', 'val'] as const) {
    const sc = run.counts.perSplit[split];
    if (sc && sc.images > 0 && sc.instances === 0) run.errors.add('splits without any instance', `${split}: ${sc.images} images, 0 labelled instances`);
  }
}

export async function checkDataset(dataYamlPath: string, opts: CheckOptions = {}): Promise<CheckResult> {
  const max = opts.maxExamples ?? 20;
  const run: CheckRun = { errors: new Messages(max), warnings: new Messages(max), counts: emptyCounts(), show: (p) => p };
  const result = (): CheckResult => ({ ok: run.errors.size === 0, errors: run.errors.list(), warnings: run.warnings.list(), counts: run.counts });

  let data: DataYaml;
  try {
    data = await readDataYaml(dataYamlPath);
  } catch (e) {
    run.errors.add('data.yaml', describeError(e));
    return result();
  }
  for (const w of data.warnings) run.warnings.add('data.yaml', w);
  checkClassNames(data, run.errors);
  const root = data.root;
  run.show = (p) => relative(root, p) || p;

  const { items, labelDirs } = await gatherImages(data, run);
  warnImagesInSeveralSplits(items, run);

  const progress = new Progress({ total: items.length, label: 'check', unit: 'img', mode: opts.progress ?? 'auto' });
  const imageChecks = { hashes: (opts.hash ?? true) ? new Map<string, string>() : undefined, open: opts.openImages ?? true };
  const labelsSeen = new Set<string>();
  await mapPool(items, opts.concurrency ?? 16, async (item) => {
    const sc = run.counts.perSplit[item.split]!;
    run.counts.images++;
    sc.images++;
    const ok = await checkImageFile(item.path, run, imageChecks);
    await checkLabelFile(item, data.names, run, labelsSeen);
    progress.tick(1, ok);
  });
  progress.finish();

  await warnOrphanLabels(labelDirs, labelsSeen, run);
  checkSplitsHaveInstances(run);
  return result();
}

/** A human-readable report of a check result (what `animeseg dataset check` prints). */
export function formatCheckReport(file: string, r: CheckResult): string {
  const c = r.counts;
  const lines: string[] = [`dataset check: ${file}`];
  for (const [split, s] of Object.entries(c.perSplit)) {
    lines.push(
      `  ${split.padEnd(5)} ${s.images} images, ${s.instances} instances, ${s.backgrounds} empty labels, ${s.missingLabels} without label`,
    );
  }
  const perClass = Object.entries(c.perClass)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  lines.push(`  classes  ${perClass || 'none'}`);
  lines.push(`  duplicates ${c.duplicateImages}, orphan labels ${c.orphanLabels}, unreadable images ${c.unreadableImages}, bad rows ${c.badRows}`);
  if (r.errors.length) lines.push('ERRORS', ...r.errors.map((e) => `  ${e}`));
  if (r.warnings.length) lines.push('warnings', ...r.warnings.map((w) => `  ${w}`));
  lines.push(r.ok ? 'OK' : 'FAILED: fix the errors above before training');
  return lines.join('\n');
}
