/**
 * The batch runner behind `animeseg segment`: images in, outputs per image out, with concurrency,
 * per-image error capture, a run manifest (OUT/manifest.jsonl, one line per finished image) and resume:
 * an image is skipped only when its record names the same source file and settings hash and its outputs
 * exist (see run-record.ts). Files in the output folder that no record claims are never replaced unless
 * `overwrite` (see output-folder.ts). One bad image is reported and skipped; the others finish.
 */
import { rm, stat, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { AnimesegError, describeError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { Progress } from '../../util/progress.js';
import type { InputItem } from './inputs.js';
import { resultAlpha, resultJson } from '../outputs.js';
import type { DetectOptions, Segmenter, SegmenterInfo, SegmentInstance, SegmentResult } from '../segmenter.js';
import type { ImageInput } from '../decode-input.js';
import { filterInstances, type InstanceFilterOptions } from '../instance-filter.js';
import { OUTPUT_DEFAULTS } from '../options.js';
import { OUTPUT_KEYS, resolveSegmentSettings, settingsJson, type OutputOptions, type SegmentSettings } from '../settings.js';
import { resumeDecision, settingsHash, type ImageStatus, type ResumeDecision, type RunRecord, type RunSettings } from './run-record.js';
import { OutputFolder, foreignFilesError } from './output-folder.js';
import type { CropSpec } from '../crops.js';
import type { RefinerOptions } from '../../refine/index.js';
import { refinerRunsInWorkers } from '../../refine/registry.js';
import { pathExists } from '../../util/exists.js';
import { haltsWrites } from '../../util/write-errors.js';
import { OUTPUT_KINDS, outputExtension, outputName, type OutputKind, type OutputKindKey, type RenderSource } from './output-kinds.js';

/** What a run writes per image: declared with the other settings (settings.ts). */
export type { OutputOptions } from '../settings.js';

/** What the batch reports per image (library progress): the outcome, not only timings. */
export interface ImageEvent {
  item: InputItem;
  status: ImageStatus | 'skipped';
  /** The image's manifest record (for 'skipped': the record that made it done). */
  record?: RunRecord;
  /** Kept instances (after refinement and the instance filter); absent when skipped or failed. */
  instances?: readonly SegmentInstance[];
  /** Output files written (absolute paths). */
  outputs: string[];
  timings: Record<string, number>;
  /** Why an earlier result was not reused (absent for a first run). */
  redone?: Exclude<ResumeDecision, { action: 'skip' }>['reason'];
  /** Failure reason (status 'failed'). */
  reason?: string;
  /** Images finished so far in this run (any status) and the total. */
  finished: number;
  total: number;
}

export interface BatchOptions extends OutputOptions {
  outDir: string;
  concurrency?: number;
  /** Redo every image and replace existing files even when no run record claims them. */
  overwrite?: boolean;
  detect?: DetectOptions;
  /** Dropping junk instances after refinement (min area, covered by better ones). */
  filter?: InstanceFilterOptions;
  /** The refiner options the segmenter was made with (soft edge, SAM model...): part of the settings hash. */
  refineOptions?: RefinerOptions;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  stream?: NodeJS.WriteStream;
  /** Called after each processed image with its stage timings (benchmarks, logs). */
  onImage?: (item: InputItem, timings: Record<string, number>) => void;
  /** Called for every image as it finishes (done, empty, failed or skipped) with its result. */
  onProgress?: (event: ImageEvent) => void;
  /** Stop taking new images once aborted (images in flight finish and are recorded). */
  signal?: AbortSignal;
  /** An output folder already opened and checked (prepareBatch); else runBatch opens it. */
  folder?: OutputFolder;
}

export interface BatchFailure {
  file: string;
  message: string;
}

export interface BatchSummary {
  total: number;
  done: number;
  skipped: number;
  failed: BatchFailure[];
  /** Input paths of the images in which no character was found (done this run or earlier). */
  empty: string[];
  /** Images redone because an earlier result had other settings, or came from another source file. */
  redone: { settings: number; source: number };
  instances: number;
  /** Distinct notes of the results (NAME.json "notes"), e.g. that the vote's SAM decoder ran degraded. */
  notes: string[];
  seconds: number;
  /** Sum of per-stage milliseconds over processed images. */
  stageMs: Record<string, number>;
  /** The run manifest. */
  manifest: string;
  /** Why the run stopped before the end (a full disk, a read-only folder): no later image was started. */
  stopped?: string;
  /** Problems that cost no image (the manifest could not be compacted). */
  warnings?: string[];
}

/**
 * How a batch runs the model on the CPU: with more than one image in flight and more than one core,
 * one worker thread per core with a single-threaded session each (onnxruntime-node runs inferences of one
 * thread one at a time; workers run side by side: on 2 cores ~48 ms/image against ~58 ms/image for one
 * 2-thread session on YOLOv8n-seg int8). An explicit thread count splits the cores accordingly.
 */
export function planInference(concurrency: number, images: number, threads?: number, cores = availableParallelism()): { workers: number; threads?: number } {
  const inFlight = Math.max(1, Math.min(concurrency, images));
  const t = threads && threads > 0 ? threads : 1;
  const workers = Math.min(inFlight, Math.floor(cores / t));
  return workers > 1 ? { workers, threads: t } : { workers: 1, threads };
}

/**
 * Refine workers for a batch (0 = refine on the main thread). With several images in flight on more than
 * one core, the pure-CPU refiners (descriptor `inWorkers`: 'regions', 'none' with a soft edge) otherwise hold
 * the main thread while the inference workers wait; SAM refiners ('vote', 'box') stay in-process. Half the cores: on 2
 * cores (40 illustrations, --refine regions) 1 worker took 5.3 s against 5.9 s in-process and 5.6 s with 2
 * (each worker adds its own start-up and JIT warm-up, and the inference workers already fill the cores).
 */
export function planRefine(refine: string, softEdge: boolean, concurrency: number, images: number, cores = availableParallelism()): number {
  // 'none' without a soft edge has nothing to run.
  const pure = refinerRunsInWorkers(refine) && (refine !== 'none' || softEdge);
  const inFlight = Math.max(1, Math.min(concurrency, images));
  if (!pure || inFlight < 2 || cores < 2) return 0;
  return Math.min(inFlight, Math.floor(cores / 2));
}

/** Where each kind of an image's outputs goes: a path for a per-image kind, (instance, extension) => path for a per-instance one. */
export type OutputPaths = { [K in OutputKindKey]: (typeof OUTPUT_KINDS)[K]['perInstance'] extends true ? (k: number, ext?: string) => string : string };

/** The registry's kinds with their keys, in planning order. */
const KINDS = Object.entries(OUTPUT_KINDS) as [OutputKindKey, OutputKind][];

/**
 * Output paths of one image (names from the output registry, output-kinds.ts). A per-instance path takes
 * its extension (a crop's depends on the background); by default the kind's extension for `format`.
 */
export function outputPaths(outDir: string, name: string, format: string): OutputPaths {
  const paths: Record<string, string | ((k: number, ext?: string) => string)> = {};
  for (const [key, kind] of KINDS) {
    const ext = outputExtension(key, { format });
    const at = (k?: number, e: string = ext): string => join(outDir, outputName(name, key, e, k));
    paths[key] = kind.perInstance ? (k: number, e?: string) => at(k, e) : at();
  }
  return paths as OutputPaths;
}

/** The path of one output file: a per-image kind's path, or instance `k`'s of a per-instance kind. */
function pathOf(paths: OutputPaths, key: OutputKindKey, k: number, ext: string): string {
  const p: string | ((k: number, ext?: string) => string) = paths[key];
  return typeof p === 'string' ? p : p(k, ext);
}

/** What the settings resolver needs of a segmenter to give a run's settings (and its hash). */
export type RunModel = { info: Pick<SegmenterInfo, 'model' | 'path' | 'defaultClasses' | 'recommended' | 'refine' | 'softEdge' | 'recall' | 'models' | 'boxPrior'> & Partial<Pick<SegmenterInfo, 'classNames'>> };

/** The outputs part of batch options (they are flat there, as the library has always taken them). */
function outputOptionsOf(o: OutputOptions): OutputOptions {
  return Object.fromEntries(OUTPUT_KEYS.map((k) => [k, o[k]])) as OutputOptions;
}

/**
 * A run's settings: the segmenter's refiner, soft edge, recall aids and box prior with the batch's detection,
 * refiner options, instance filter (a batch always filters) and outputs, resolved once (settings.ts).
 */
export function runSegmentSettings(seg: RunModel, opts: BatchOptions): SegmentSettings {
  const { info } = seg;
  return resolveSegmentSettings(
    { ...opts.detect, refine: info.refine, softEdge: info.softEdge, recall: info.recall, boxPrior: info.boxPrior, refineOptions: opts.refineOptions ?? {}, filter: opts.filter ?? {}, outputs: outputOptionsOf(opts) },
    info,
  );
}

/** Settings of this run as hashed into every record (see RunSettings). */
export async function batchSettings(seg: RunModel, opts: BatchOptions): Promise<RunSettings> {
  return runSettings(runSegmentSettings(seg, opts), seg.info);
}

/** A run's settings as its records hash them: the values that change what is written, and the model file's size. */
export async function runSettings(s: SegmentSettings, model: Pick<SegmenterInfo, 'model' | 'path' | 'models'>): Promise<RunSettings> {
  const classes = s.classes && [...s.classes].sort((a, b) => a - b);
  // Display-only keys (progress bars) do not change what is written.
  const refineOptions = JSON.parse(JSON.stringify(s.refineOptions, (k, v) => (k === 'progress' ? undefined : v)));
  const modelBytes = await stat(model.path).then((st) => st.size, () => undefined);
  const { recall, outputs: o } = s;
  return {
    model: model.model,
    modelBytes,
    conf: s.conf,
    iou: s.iou,
    maxDet: s.maxDet,
    classes,
    agnostic: s.agnostic,
    refine: s.refine,
    softEdge: s.softEdge !== null,
    refineOptions: Object.keys(refineOptions).length ? refineOptions : undefined,
    minArea: s.filter?.minArea,
    maxCovered: s.filter?.maxCovered,
    // Left out at their defaults, so plain runs keep the hashes they had before these options existed.
    recall: recall.tta !== 'none' || recall.tiles || recall.secondPass ? { ...recall } : undefined,
    boxPrior: model.models.some((m) => m.task === 'detect') ? s.boxPrior : undefined,
    // Every output option, defaulted (unset bgColor and crops drop out of the hash).
    outputs: { ...o },
  };
}

/** The outputs an image gets (absolute paths, JSON last), given its instance count: the registry's kinds in order. */
export function plannedOutputs(paths: OutputPaths, opts: OutputOptions, instances: number): string[] {
  const skipped = instances === 0 && opts.skipEmpty;
  const out: string[] = [];
  for (const [key, kind] of KINDS) {
    if (!kind.planned(opts) || (skipped && !kind.keptWhenSkipped)) continue;
    const ext = outputExtension(key, opts);
    for (let k = 0; k < (kind.perInstance ? instances : 1); k++) out.push(pathOf(paths, key, k, ext));
  }
  return out;
}

/**
 * Open the output folder for a batch (locked, unless the caller gives one it opened), before any model
 * loads: check it is writable, repair the manifest,
 * remove temp files of a killed run, and refuse (unless overwrite) when an output would replace a file
 * no run record claims.
 */
export async function prepareBatch(items: readonly InputItem[], opts: BatchOptions): Promise<OutputFolder> {
  const outDir = resolve(opts.outDir);
  const folder = opts.folder ?? (await OutputFolder.open(outDir, { exclusive: true }));
  const format = opts.format ?? OUTPUT_DEFAULTS.format;
  const fixed = items.flatMap((it) => plannedOutputs(outputPaths(outDir, it.name, format), { ...opts, skipEmpty: false }, 0));
  try {
    await folder.removeStaleTemps(fixed);
    // An output that would replace an input fails that image alone (processOne says so), not the run.
    const inputs = new Set(items.map((i) => resolve(i.path)));
    if (!opts.overwrite) {
      const foreign = await folder.foreign(fixed.filter((p) => !inputs.has(p)), pathExists);
      if (foreign.length > 0) throw foreignFilesError(foreign, outDir);
    }
  } catch (e) {
    if (!opts.folder) await folder.close(); // opened (and locked) here
    throw e;
  }
  return folder;
}

/**
 * The record of an image done before manifests existed (or whose manifest line a kill cut off): its
 * NAME.json, when the tool wrote it, names the source and the settings hash.
 */
async function recordFromJson(folder: OutputFolder, paths: OutputPaths, name: string, opts: OutputOptions): Promise<RunRecord | undefined> {
  let j;
  try {
    j = JSON.parse(await readFile(paths.json, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof j?.image !== 'string' || !Array.isArray(j.instances)) return undefined;
  const insts = j.instances as { score: number; area: number }[];
  return {
    input: j.image,
    name,
    status: insts.length === 0 ? 'empty' : 'ok',
    outputs: plannedOutputs(paths, opts, insts.length).map((p) => folder.rel(p) ?? p),
    instances: insts.length,
    scores: insts.map((i) => i.score),
    areas: insts.map((i) => i.area),
    settings_hash: typeof j.settings_hash === 'string' ? j.settings_hash : '',
    finished: new Date().toISOString(),
  };
}

/**
 * An image's latest record: its manifest line, else the record its tool-written NAME.json implies (a run
 * from before manifests, or one whose line a kill cut off). The resume decision of `segment` and of the
 * queue worker both start here.
 */
export async function latestRecord(folder: OutputFolder, outDir: string, name: string, opts: OutputOptions): Promise<{ record?: RunRecord; fromManifest: boolean }> {
  const line = folder.manifest.latest(name);
  if (line) return { record: line, fromManifest: true };
  return { record: await recordFromJson(folder, outputPaths(outDir, name, opts.format ?? OUTPUT_DEFAULTS.format), name, opts), fromManifest: false };
}

/**
 * The 'failed' record of an image. It keeps the claim on every file an earlier attempt wrote: the latest
 * record's outputs whatever its status (an earlier result, this attempt's 'writing' line, or an earlier
 * failure that carried the claim on), so no number of failures turns the tool's files into "a user's".
 */
export function failedRecord(folder: OutputFolder, f: { input: string; name: string; reason: string; settingsHash: string }, previous?: RunRecord): RunRecord {
  const latest = folder.manifest.latest(f.name) ?? previous;
  return { input: f.input, name: f.name, status: 'failed', reason: f.reason, outputs: latest?.outputs ?? [], instances: 0, scores: [], areas: [], settings_hash: f.settingsHash, finished: new Date().toISOString() };
}

/**
 * Every planned file (`want`) of every kind the registry draws, encoded in parallel (sharp encodes on its
 * own threads): [path, bytes] pairs, NAME.json aside. Each job is an async thunk so that a synchronous
 * error also surfaces through Promise.all.
 */
async function encodeOutputs(src: RenderSource, paths: OutputPaths, want: ReadonlySet<string>, opts: OutputOptions): Promise<[string, Uint8Array][]> {
  const jobs: (() => Promise<[string, Uint8Array | null]>)[] = [];
  for (const [key, kind] of KINDS) {
    const render = kind.render;
    if (!render) continue; // NAME.json: written by processOne, last
    const ext = outputExtension(key, opts);
    for (let k = 0; k < (kind.perInstance ? src.instances.length : 1); k++) {
      const path = pathOf(paths, key, k, ext);
      if (want.has(path)) jobs.push(async () => [path, await render(src, opts, ext, k)]);
    }
  }
  return (await Promise.all(jobs.map((j) => j()))).filter((f): f is [string, Uint8Array] => f[1] !== null);
}

export interface ProcessContext {
  inputPaths: ReadonlySet<string>;
  folder: OutputFolder;
  settingsHash: string;
  /** Outputs of the image's previous record that this run may remove when it no longer writes them. */
  previous?: RunRecord;
}

/**
 * Segment one image as a run does: the run's detection, instance filter and outputs go with the call (so the
 * result's settings, and the JSON written from them, are the whole of this image's), and junk instances are
 * dropped after refinement, judged on the masks that would be written. A batch (processOne) and `segment -`
 * both segment through here, so an image keeps the same instances from a file and from stdin.
 */
export async function segmentForRun(seg: Segmenter, input: ImageInput, opts: Pick<BatchOptions, 'detect' | 'filter'> & OutputOptions, file?: string): Promise<SegmentResult> {
  const r = await seg.segment(input, { ...opts.detect, filter: opts.filter ?? {}, outputs: outputOptionsOf(opts), ...(file !== undefined && { file }) });
  return { ...r, instances: filterInstances(r.instances, r.width, r.height, opts.filter).kept };
}

/**
 * Segment one image, drop junk instances, write its outputs (JSON last) and return its record (the
 * caller appends it to the manifest, which marks the image done).
 */
export async function processOne(seg: Segmenter, item: InputItem, opts: BatchOptions, ctx: ProcessContext): Promise<{ record: RunRecord; instances: SegmentInstance[]; outputs: string[]; timings: Record<string, number>; notes: string[] }> {
  const format = opts.format ?? OUTPUT_DEFAULTS.format;
  const outDir = resolve(opts.outDir);
  const paths = outputPaths(outDir, item.name, format);
  const refuseInput = (p: string): void => {
    if (ctx.inputPaths.has(p)) {
      throw new AnimesegError('BAD_OPTION', `output ${p} would overwrite an input image`, { file: item.path, hint: 'choose another output folder with -o' });
    }
  };
  // Every per-image name, planned or not, is checked before the model runs (per-instance ones after).
  for (const [key, kind] of KINDS) if (!kind.perInstance) refuseInput(pathOf(paths, key, 0, format));
  const r = await segmentForRun(seg, item.path, opts);
  const t0 = performance.now();
  const instances = r.instances;
  const outputs = plannedOutputs(paths, opts, instances.length);
  outputs.forEach(refuseInput);
  if (!opts.overwrite) {
    const foreign = await ctx.folder.foreign(outputs, pathExists);
    if (foreign.length > 0) throw foreignFilesError(foreign, outDir);
  }
  const want = new Set(outputs);
  // Encode everything first, then write: a failure leaves no partial set (and no record, so a rerun redoes the image).
  const src: RenderSource = { image: r.image, width: r.width, height: r.height, instances, inputAlpha: r.inputAlpha, alpha: resultAlpha(r) };
  const files = await encodeOutputs(src, paths, want, opts);
  const rel = (p: string): string => ctx.folder.rel(p) ?? p;
  const record: RunRecord = {
    input: item.path,
    name: item.name,
    status: 'writing',
    outputs: outputs.map(rel),
    instances: instances.length,
    scores: [],
    areas: [],
    settings_hash: ctx.settingsHash,
    finished: new Date().toISOString(),
  };
  // Claim every file this step may write or remove before touching any, so a kill in between leaves files
  // the next run knows as its own (and redoes), never "a user's file" it must refuse to replace.
  const stale = (ctx.previous?.outputs ?? []).filter((o) => !want.has(join(outDir, o)) && ctx.folder.rel(join(outDir, o)) !== null);
  await ctx.folder.manifest.append({ ...record, outputs: [...record.outputs, ...stale] });
  // The values this image ran with, detection with where each came from (option, model, default).
  const settings = settingsJson(r.settings, seg.info);
  const timings = { ...r.timings };
  const base = resultJson(r, { image: item.path, model: seg.info.model, settings });
  const json = { ...base, settings_hash: ctx.settingsHash };
  // Written in parallel (each write waits on its own fsync); the JSON goes last because it marks the image done.
  await Promise.all(files.map(([p, data]) => writeFileAtomic(p, data)));
  timings.encode_write = performance.now() - t0;
  json.timings_ms.encode_write = Math.round(timings.encode_write * 100) / 100;
  await writeFileAtomic(paths.json, JSON.stringify(json) + '\n');
  ctx.folder.wrote(item.name);
  // Outputs of an earlier result this one no longer has (fewer characters, no overlay now) would
  // otherwise be mistaken for part of it.
  for (const old of stale) await rm(join(outDir, old), { force: true });
  record.status = instances.length === 0 ? 'empty' : 'ok';
  record.scores = base.instances.map((i) => i.score);
  record.areas = base.instances.map((i) => i.area);
  record.finished = new Date().toISOString();
  return { record, instances, outputs, timings, notes: r.notes ?? [] };
}

/**
 * Run a batch. Without `opts.folder` the output folder is opened here, locked for the run (a second run on
 * it is refused) and closed at the end; with it, the caller holds (and closes) the folder.
 */
export async function runBatch(seg: Segmenter, items: readonly InputItem[], opts: BatchOptions): Promise<BatchSummary> {
  const start = performance.now();
  const folder = await prepareBatch(items, opts);
  if (opts.folder) return runInFolder(seg, items, opts, folder, start);
  try {
    return await runInFolder(seg, items, opts, folder, start);
  } finally {
    await folder.close();
  }
}

async function runInFolder(seg: Segmenter, items: readonly InputItem[], opts: BatchOptions, folder: OutputFolder, start: number): Promise<BatchSummary> {
  const outDir = resolve(opts.outDir);
  const manifest = folder.manifest;
  const hash = settingsHash(await batchSettings(seg, opts));
  const inputPaths = new Set(items.map((i) => resolve(i.path)));
  const summary: BatchSummary = { total: items.length, done: 0, skipped: 0, failed: [], empty: [], redone: { settings: 0, source: 0 }, instances: 0, notes: [], seconds: 0, stageMs: {}, manifest: manifest.path };
  const progress = new Progress({ total: items.length, label: 'segment', unit: 'img', mode: opts.progress ?? 'auto', stream: opts.stream });
  let next = 0;
  let finished = 0;
  const emit = (e: Omit<ImageEvent, 'finished' | 'total'>): void => {
    finished++;
    opts.onProgress?.({ ...e, finished, total: items.length });
  };
  const worker = async (): Promise<void> => {
    while (next < items.length && !opts.signal?.aborted && summary.stopped === undefined) {
      const item = items[next++];
      let redone: ImageEvent['redone'];
      let previous: RunRecord | undefined;
      try {
        const latest = await latestRecord(folder, outDir, item.name, opts);
        previous = latest.record;
        if (!opts.overwrite) {
          const d = await resumeDecision(previous, { input: item.path, settingsHash: hash }, (o) => pathExists(join(outDir, o)));
          if (d.action === 'skip') {
            // Done by a run whose manifest line was cut off by a kill: give it its line now.
            if (!latest.fromManifest && previous) await manifest.append(previous);
            summary.skipped++;
            if (previous!.status === 'empty') summary.empty.push(item.path);
            progress.tick(1, true);
            emit({ item, status: 'skipped', record: previous, outputs: [], timings: {} });
            continue;
          }
          if (d.reason === 'settings') summary.redone.settings++;
          if (d.reason === 'source') summary.redone.source++;
          if (d.reason !== 'new') redone = d.reason;
        }
        const { record, instances, outputs, timings, notes } = await processOne(seg, item, opts, { inputPaths, folder, settingsHash: hash, previous });
        for (const n of notes) if (!summary.notes.includes(n)) summary.notes.push(n);
        await manifest.append(record);
        summary.done++;
        summary.instances += instances.length;
        if (record.status === 'empty') summary.empty.push(item.path);
        for (const [k, v] of Object.entries(timings)) summary.stageMs[k] = (summary.stageMs[k] ?? 0) + v;
        opts.onImage?.(item, timings);
        progress.tick(1, true);
        emit({ item, status: record.status, record, instances, outputs, timings, redone });
      } catch (e) {
        // Every failure is per-image so the other images finish; unexpected ones are labelled as such.
        const known = e instanceof AnimesegError;
        const where = known && e.file === item.path ? '' : `${item.path}: `;
        const message = `${where}${known ? describeError(e) : `internal error: ${(e as Error)?.message ?? String(e)}`}`;
        summary.failed.push({ file: item.path, message });
        progress.log(`failed: ${message}`);
        progress.tick(1, false);
        const record = failedRecord(folder, { input: item.path, name: item.name, reason: message.split('\n')[0], settingsHash: hash }, previous);
        await manifest.append(record).catch(() => undefined);
        // A full disk or a read-only folder fails every later image the same way: start no more.
        if (haltsWrites(e) && summary.stopped === undefined) summary.stopped = (e as AnimesegError).message;
        emit({ item, status: 'failed', record, outputs: [], timings: {}, redone, reason: message });
      }
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, items.length || 1));
  await Promise.all(Array.from({ length: n }, worker));
  // The manifest stays valid uncompacted (per image the latest line counts), so a failure here (a full
  // disk) is said and the summary still comes.
  await manifest.compact().catch((e: unknown) => (summary.warnings ??= []).push(`run manifest not compacted (it stays valid): ${describeError(e).split('\n')[0]}`));
  progress.finish();
  summary.empty.sort();
  summary.seconds = (performance.now() - start) / 1000;
  return summary;
}

/** Names of images with no character, at most this many in the text summary (all are in the manifest). */
const EMPTY_SHOWN = 20;

export function formatSummary(s: BatchSummary): string {
  const rate = s.done > 0 && s.seconds > 0 ? `, ${(s.done / s.seconds).toFixed(2)} img/s` : '';
  const lines = [`${s.total} image(s): ${s.done} done, ${s.skipped} skipped (already done), ${s.failed.length} failed; ${s.instances} instance(s) in ${s.seconds.toFixed(1)} s${rate}`];
  const redone = [s.redone.settings > 0 && `${s.redone.settings} because settings changed`, s.redone.source > 0 && `${s.redone.source} because the source file changed`].filter(Boolean);
  if (redone.length) lines.push(`  redone: ${redone.join(', ')}`);
  if (s.empty.length) {
    lines.push(`  no character found in ${s.empty.length} image(s):`);
    for (const f of s.empty.slice(0, EMPTY_SHOWN)) lines.push(`    ${f}`);
    if (s.empty.length > EMPTY_SHOWN) lines.push(`    ... and ${s.empty.length - EMPTY_SHOWN} more`);
    lines.push(`  (status "empty" in ${s.manifest})`);
  }
  for (const n of s.notes) lines.push(`  note: ${n}`);
  for (const f of s.failed) lines.push(`  failed: ${f.message.split('\n')[0]}`);
  for (const w of s.warnings ?? []) lines.push(`  warning: ${w}`);
  if (s.stopped !== undefined) {
    const notStarted = s.total - s.done - s.skipped - s.failed.length;
    lines.push(`  stopped early: ${s.stopped}; ${notStarted} image(s) not started (run again once it is fixed: finished images are skipped)`);
  }
  return lines.join('\n');
}
