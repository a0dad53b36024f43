/**
 * `animeseg dataset curate`: from segment results (or any image folder) to a training set, in a fixed order
 * of steps (CURATE_STEPS); every item dropped is listed with its reason in the report.
 *
 * Three phases, each resumable:
 * 1. analyse: decode each source once, cut its items out, measure them (size, area, border cut, colour,
 *    sharpness, dHash, pHash). Measures do not depend on any threshold and are appended, one complete JSON
 *    line per item, to DIR/.curate/analysis.jsonl; a rerun reuses every line whose source file is unchanged
 *    (same size and mtime), so a killed run redoes only what it had not measured.
 * 2. decide: the filters, then near-duplicate grouping on what passed (pure, fast; src/curate/decide.ts).
 * 3. export: frame, caption and write each kept item (images and captions atomically, then one line in
 *    DIR/.curate/outputs.jsonl). A rerun skips items whose line has the same output settings and whose
 *    files exist, and deletes the files of items no longer kept (they are ours: a line names them).
 *    The index file (metadata.jsonl / metadata.csv), report.json and contact sheets are written last.
 * Files in DIR that no outputs line names are never replaced (the run stops first).
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { AnimesegError, describeError, isAnimesegError } from '../errors.js';
import { encodeImage } from '../image/encode.js';
import type { RawImage } from '../image/types.js';
import { TEMP_PREFIX, writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import { decide, type CurateFilters, type DedupSpec, type Decision, type DropReason, type ItemAnalysis } from './decide.js';
import { framePicture, type FrameSpec } from './frame.js';
import { hashToHex, imageHashes } from './hash.js';
import { discoverItems, loadSource, type LoadedItem, type SourceEntry } from './items.js';
import { dataFolder, fileStem, indexFile, sidecarCaptions, type ExportRow, type LayoutSpec } from './layout.js';
import { borderCut, colourfulness, sharpness } from './quality.js';
import { writeContactSheet } from './sheet.js';
import { captionOf, loadTagger, selectTags, type Tagger, type TaggerOptions } from './tagger.js';

/** The steps in the order they apply; a step runs only when its option is given. */
export const CURATE_STEPS = [
  'decode: read each source; unreadable sources and empty masks are dropped',
  'score: --min-score (segment results)',
  'area: --min-area, fraction of the source image the character covers',
  'size: --min-side, shortest side of the character crop in pixels',
  'aspect: --aspect MIN-MAX, width / height of the crop',
  'border-cut: --max-border-cut, fraction of the outline on the image border',
  'monochrome: --min-colour, fraction of coloured pixels (weight-free line-art and greyscale detector)',
  'blur: --min-sharpness, variance of the Laplacian',
  'near-duplicates: --dedup, perceptual-hash groups; the best of each group is kept (--keep)',
  'frame: --frame square|buckets, --size, --margin, --background',
  'caption: --trigger, --tagger (WD14 tags)',
  'export: --layout kohya|hf|plain',
] as const;

export const STATE_DIR = '.curate';
const ANALYSIS_VERSION = 1;

export interface CurateOptions {
  input: string;
  out: string;
  filters?: CurateFilters;
  dedup?: DedupSpec | null;
  frame?: FrameSpec;
  layout: LayoutSpec;
  /** Tagger name or .onnx path; no tags when absent (captions are then the trigger word alone). */
  tagger?: string;
  taggerOptions?: TaggerOptions;
  generalThreshold?: number;
  characterThreshold?: number;
  excludeTags?: string[];
  /** Contact sheets (default true); at most this many tiles per sheet (default 64). */
  sheets?: boolean;
  sheetTiles?: number;
  maxPixels?: number;
  /** Sources decoded at once (default 2). */
  concurrency?: number;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
}

export interface CurateReport {
  tool: 'animeseg dataset curate';
  version: 1;
  input: string;
  out: string;
  mode: 'results' | 'images';
  finished: string;
  steps: readonly string[];
  settings: Record<string, unknown>;
  counts: { items: number; kept: number; dropped: Partial<Record<DropReason, number>>; reused: number; written: number; removed: number };
  kept: { key: string; file: string; source: string; caption: string | null }[];
  dropped: { key: string; source: string; reason: DropReason; detail: string; duplicateOf?: string }[];
  groups: Decision['groups'];
  sheets: Record<string, string>;
  index: string | null;
}

interface OutputRecord {
  key: string;
  settings: string;
  files: string[];
  caption: string | null;
  width: number;
  height: number;
}

/** Complete JSON lines of a state file (a torn last line from a killed run is ignored). */
async function readJsonLines<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      /* a damaged line: that item is redone */
    }
  }
  return out;
}

/** Rewrite a state file with exactly these records (atomic), so the next append starts on a clean line. */
async function rewriteJsonLines(path: string, records: readonly unknown[]): Promise<void> {
  await writeFileAtomic(path, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

async function stampOf(entry: SourceEntry): Promise<string> {
  const parts: string[] = [];
  for (const f of [entry.source, entry.resultFile]) {
    if (!f) continue;
    try {
      const s = await stat(f);
      parts.push(`${s.size}:${Math.round(s.mtimeMs)}`);
    } catch {
      parts.push('missing');
    }
  }
  return parts.join('/');
}

/** Measures of one loaded item (phase 1). */
export function analyseItem(item: LoadedItem, extra: { source: string; stamp: string; instance?: number; score?: number; className?: string }): ItemAnalysis {
  const { rgba } = item;
  let pixels = 0;
  for (let i = 3; i < rgba.data.length; i += 4) if (rgba.data[i] >= 128) pixels++;
  const h = imageHashes(rgba);
  return {
    v: ANALYSIS_VERSION,
    key: item.key,
    source: extra.source,
    stamp: extra.stamp,
    ...(extra.instance !== undefined ? { instance: extra.instance } : {}),
    ...(extra.score !== undefined ? { score: extra.score } : {}),
    ...(extra.className !== undefined ? { className: extra.className } : {}),
    width: rgba.width,
    height: rgba.height,
    pixels,
    areaFraction: item.areaFraction,
    borderCut: item.frameMask ? borderCut(item.frameMask, item.frameWidth, item.frameHeight) : null,
    colourfulness: colourfulness(rgba),
    sharpness: sharpness(rgba),
    dhash: hashToHex(h.dhash),
    phash: hashToHex(h.phash),
  };
}

/** Run `fn` over items with at most `n` in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/** Every file under DIR, relative and '/'-separated, outside the state folder and our temp files. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function go(d: string, rel: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (rel === '' && e.name === STATE_DIR) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await go(join(d, e.name), r);
      else out.push(r);
    }
  }
  await go(dir, '');
  return out;
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

function settingsHash(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
}

export async function curateDataset(opts: CurateOptions): Promise<CurateReport> {
  const out = resolve(opts.out);
  const input = resolve(opts.input);
  if (out === input) throw new AnimesegError('BAD_OPTION', 'the output folder is the input folder', { file: out, hint: 'give --to a new folder' });
  const state = join(out, STATE_DIR);
  const folder = dataFolder(opts.layout); // checks the layout options before any work
  await mkdir(out, { recursive: true });
  const ownState = await exists(state);
  const present = await filesUnder(out);
  if (!ownState && present.length > 0) {
    throw new AnimesegError('BAD_OPTION', `the output folder holds ${present.length} file(s) and is not a curate output (no ${STATE_DIR}/ folder); refusing to write into it`, {
      file: out,
      hint: 'give --to an empty or new folder',
    });
  }
  await mkdir(state, { recursive: true });
  for (const f of present) if (f.split('/').pop()!.startsWith(TEMP_PREFIX)) await rm(join(out, f), { force: true });

  const progressMode = opts.progress ?? 'auto';
  const { mode, sources } = await discoverItems(input, { exclude: out.startsWith(input + sep) ? out : undefined });

  // Phase 1: analyse (reusing measures of unchanged sources).
  const analysisPath = join(state, 'analysis.jsonl');
  const cached = new Map<string, ItemAnalysis>();
  for (const r of await readJsonLines<ItemAnalysis>(analysisPath)) if (r.v === ANALYSIS_VERSION) cached.set(r.key, r);
  const analyses = new Map<string, ItemAnalysis>();
  const stamps = new Map<SourceEntry, string>();
  const todo: SourceEntry[] = [];
  for (const s of sources) {
    const stamp = await stampOf(s);
    stamps.set(s, stamp);
    const hits = s.items.map((it) => cached.get(it.key));
    if (hits.every((h) => h && h.stamp === stamp && h.source === s.source)) for (const h of hits) analyses.set(h!.key, h!);
    else todo.push(s);
  }
  const reused = analyses.size;
  // Start the file on a clean line with only the records still current (drops a torn tail and old lines).
  await rewriteJsonLines(analysisPath, [...analyses.values()]);
  const totalItems = sources.reduce((n, s) => n + s.items.length, 0);
  const p1 = new Progress({ total: totalItems, label: 'analyse', unit: 'item', mode: progressMode });
  p1.tick(reused);
  await pool(todo, opts.concurrency ?? 2, async (s) => {
    const stamp = stamps.get(s)!;
    let records: ItemAnalysis[];
    try {
      const loaded = await loadSource(s, { maxPixels: opts.maxPixels });
      records = loaded.map((l, i) => analyseItem(l, { source: s.source, stamp, instance: s.items[i].instance, score: s.items[i].score, className: s.items[i].className }));
    } catch (e) {
      if (!isAnimesegError(e)) throw e;
      const error = describeError(e).split('\n')[0];
      records = s.items.map((it) => ({ v: ANALYSIS_VERSION, key: it.key, source: s.source, stamp, error }) as ItemAnalysis);
      p1.log(`curate: ${error}`);
    }
    // One append of complete lines per source: a kill leaves at worst a torn last line, ignored on rerun.
    await appendFile(analysisPath, records.map((r) => JSON.stringify(r) + '\n').join(''));
    for (const r of records) analyses.set(r.key, r);
    p1.tick(records.length);
  });
  p1.finish();

  // Phase 2: decide.
  const ordered = sources.flatMap((s) => s.items.map((it) => analyses.get(it.key)!));
  const decision = decide(ordered, opts.filters ?? {}, opts.dedup ?? null);

  // Phase 3: export.
  const outputSettings = {
    frame: opts.frame ?? { mode: 'none' },
    layout: opts.layout,
    tagger: opts.tagger ?? null,
    ...(opts.tagger ? { general: opts.generalThreshold ?? null, character: opts.characterThreshold ?? null, exclude: opts.excludeTags ?? [] } : {}),
  };
  const hash = settingsHash(outputSettings);
  const outputsPath = join(state, 'outputs.jsonl');
  const records = new Map<string, OutputRecord>();
  for (const r of await readJsonLines<OutputRecord>(outputsPath)) records.set(r.key, r);
  const claimed = new Set([...records.values()].flatMap((r) => r.files));
  const plan = new Map<string, string[]>();
  const rel = (f: string) => (folder ? `${folder}/${f}` : f);
  for (const a of decision.kept) {
    const stem = fileStem(a.key);
    plan.set(a.key, [rel(`${stem}.png`), ...(sidecarCaptions(opts.layout, !!(opts.layout.trigger || opts.tagger)) ? [rel(`${stem}.txt`)] : [])]);
  }
  const planned = new Set([...plan.values()].flat());
  const presentSet = new Set(present);
  const foreign = [...planned].filter((f) => !claimed.has(f) && presentSet.has(f));
  if (foreign.length > 0) {
    throw new AnimesegError('BAD_OPTION', `${foreign.length} file(s) in the output folder were not written by curate and would be replaced (e.g. ${foreign[0]})`, {
      file: out,
      hint: 'move them away or give --to another folder',
    });
  }
  // Files of items no longer kept, or kept under other names: ours (a line names them), so removed.
  let removed = 0;
  const emptied = new Set<string>();
  for (const r of records.values()) {
    for (const f of r.files) {
      if (!planned.has(f) && (await exists(join(out, f)))) {
        await rm(join(out, f), { force: true });
        removed++;
        if (f.includes('/')) emptied.add(f.slice(0, f.lastIndexOf('/')));
      }
    }
  }
  // A folder of an earlier layout (10_oldtrigger/) that is now empty goes too; rmdir refuses a non-empty one.
  for (const d of emptied) await rmdir(join(out, d)).catch(() => undefined);
  // So does the index file of an earlier run with another layout (the last report names it).
  const previous = await readFile(join(state, 'report.json'), 'utf8').then((t) => JSON.parse(t) as Partial<CurateReport>, () => undefined);
  const newIndex = indexFile(opts.layout, [])?.path ?? null;
  if (typeof previous?.index === 'string' && previous.index !== newIndex && !planned.has(previous.index)) await rm(join(out, previous.index), { force: true });
  const done = new Map<string, OutputRecord>();
  for (const a of decision.kept) {
    const r = records.get(a.key);
    const files = plan.get(a.key)!;
    if (r && r.settings === hash && r.files.join('\n') === files.join('\n')) {
      let all = true;
      for (const f of files) if (!(await exists(join(out, f)))) all = false;
      if (all) done.set(a.key, r);
    }
  }
  await rewriteJsonLines(outputsPath, [...done.values()]);
  const work = decision.kept.filter((a) => !done.has(a.key));
  let tagger: Tagger | undefined;
  if (opts.tagger && work.length > 0) tagger = await loadTagger(opts.tagger, opts.taggerOptions);
  const exclude = new Set(opts.excludeTags ?? []);
  const p3 = new Progress({ total: decision.kept.length, label: 'export', unit: 'img', mode: progressMode });
  p3.tick(done.size);
  // Group the work by source so each source is decoded once.
  const bySource = new Map<string, ItemAnalysis[]>();
  for (const a of work) bySource.set(a.source, [...(bySource.get(a.source) ?? []), a]);
  const entryOf = new Map(sources.map((s) => [s.source, s]));
  try {
    await pool([...bySource.keys()], opts.concurrency ?? 2, async (src) => {
      const entry = entryOf.get(src)!;
      const loaded = new Map((await loadSource(entry, { maxPixels: opts.maxPixels })).map((l) => [l.key, l]));
      for (const a of bySource.get(src)!) {
        const framed = await framePicture(loaded.get(a.key)!.rgba, opts.frame ?? { mode: 'none' });
        let caption: string | null = opts.layout.trigger ?? null;
        if (tagger) {
          const tags = selectTags(await tagger.probabilities(framed), tagger.tags, { general: opts.generalThreshold, character: opts.characterThreshold, exclude });
          caption = captionOf(tags, opts.layout.trigger);
        }
        const files = plan.get(a.key)!;
        await writeFileAtomic(join(out, files[0]), await encodeImage(framed, 'png'));
        if (files[1]) await writeFileAtomic(join(out, files[1]), (caption ?? '') + '\n');
        const rec: OutputRecord = { key: a.key, settings: hash, files, caption, width: framed.width, height: framed.height };
        await appendFile(outputsPath, JSON.stringify(rec) + '\n');
        done.set(a.key, rec);
        p3.tick();
      }
    });
  } finally {
    await tagger?.dispose();
  }
  p3.finish();

  // Index file, report, sheets.
  const rows: ExportRow[] = decision.kept.map((a) => {
    const r = done.get(a.key)!;
    return { file: folder ? r.files[0].slice(folder.length + 1) : r.files[0], caption: r.caption, key: a.key, source: a.source, width: r.width, height: r.height, ...(a.score !== undefined ? { score: a.score } : {}) };
  });
  const index = indexFile(opts.layout, rows);
  if (index) await writeFileAtomic(join(out, index.path), index.text);
  const droppedCounts: Partial<Record<DropReason, number>> = {};
  for (const d of decision.dropped) droppedCounts[d.reason] = (droppedCounts[d.reason] ?? 0) + 1;
  const report: CurateReport = {
    tool: 'animeseg dataset curate',
    version: 1,
    input,
    out,
    mode,
    finished: new Date().toISOString(),
    steps: CURATE_STEPS,
    settings: { filters: opts.filters ?? {}, dedup: opts.dedup ?? null, ...outputSettings },
    counts: { items: ordered.length, kept: decision.kept.length, dropped: droppedCounts, reused, written: work.length, removed },
    kept: decision.kept.map((a) => ({ key: a.key, file: done.get(a.key)!.files[0], source: a.source, caption: done.get(a.key)!.caption })),
    dropped: decision.dropped.map((d) => ({ key: d.item.key, source: d.item.source, reason: d.reason, detail: d.detail, ...(d.duplicateOf ? { duplicateOf: d.duplicateOf } : {}) })),
    groups: decision.groups,
    sheets: {},
    index: index?.path ?? null,
  };
  if (opts.sheets ?? true) report.sheets = await writeSheets(out, decision, sources, done, opts);
  await writeJsonAtomic(join(state, 'report.json'), report);
  return report;
}

/** One sheet of the kept pictures (as exported) and one per drop reason (the items as cut out). */
async function writeSheets(out: string, decision: Decision, sources: readonly SourceEntry[], done: ReadonlyMap<string, OutputRecord>, opts: CurateOptions): Promise<Record<string, string>> {
  const max = opts.sheetTiles ?? 64;
  const sheets: Record<string, string> = {};
  const sheetDir = join(out, STATE_DIR, 'sheets');
  await rm(sheetDir, { recursive: true, force: true });
  const { decodeImageFile } = await import('../image/decode.js');
  const kept = [];
  for (const a of decision.kept.slice(0, max)) {
    const { image } = await decodeImageFile(join(out, done.get(a.key)!.files[0]));
    kept.push({ picture: image, label: a.key });
  }
  if (kept.length) {
    sheets.kept = 'sheets/kept.png';
    await writeContactSheet(join(out, STATE_DIR, sheets.kept), kept);
  }
  const entryOf = new Map(sources.map((s) => [s.source, s]));
  const byReason = new Map<DropReason, Decision['dropped']>();
  for (const d of decision.dropped) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d]);
  for (const [reason, list] of byReason) {
    const tiles: { picture: RawImage; label: string }[] = [];
    for (const d of list.slice(0, max)) {
      let picture: RawImage | undefined;
      try {
        picture = (await loadSource(entryOf.get(d.item.source)!, { maxPixels: opts.maxPixels })).find((l) => l.key === d.item.key)?.rgba;
      } catch {
        picture = undefined; // unreadable: a dark tile with the reason
      }
      tiles.push({ picture: picture ?? { data: new Uint8Array([96, 0, 0]), width: 1, height: 1, channels: 3 }, label: `${d.item.key}: ${d.detail}` });
    }
    sheets[reason] = `sheets/dropped-${reason}.png`;
    await writeContactSheet(join(out, STATE_DIR, sheets[reason]), tiles);
  }
  return sheets;
}
