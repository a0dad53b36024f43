/**
 * The batch runner behind `animeseg segment`: images in, outputs per image out, with concurrency,
 * resume (an image whose NAME.json exists is done), per-image error capture and a summary.
 * One bad image is reported and skipped; the others finish.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { AnimesegError, describeError } from '../errors.js';
import { encodeImage, type ImageFormat } from '../image/encode.js';
import { writeFileAtomic } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import type { InputItem } from './inputs.js';
import {
  alphaImage,
  resultAlpha,
  cutout,
  instanceCutouts,
  overlayImage,
  resultJson,
  type Rgb,
} from './outputs.js';
import type { DetectOptions, Segmenter } from './segmenter.js';

export interface OutputOptions {
  format?: Exclude<ImageFormat, 'jpeg'>;
  /** Write NAME.overlay.png. */
  overlay?: boolean;
  /** Write NAME.instNN.png per instance. */
  instances?: boolean;
  /** Only the mask (NAME.mask.png) and JSON, no cutout. */
  onlyMask?: boolean;
  bgColor?: Rgb;
  crop?: boolean;
}

export interface BatchOptions extends OutputOptions {
  outDir: string;
  concurrency?: number;
  overwrite?: boolean;
  detect?: DetectOptions;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  stream?: NodeJS.WriteStream;
  /** Called after each processed image with its stage timings (benchmarks, logs). */
  onImage?: (item: InputItem, timings: Record<string, number>) => void;
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
  instances: number;
  seconds: number;
  /** Sum of per-stage milliseconds over processed images. */
  stageMs: Record<string, number>;
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
 * one core, the pure-CPU refiners ('regions', 'none' with a soft edge) otherwise hold the main thread
 * while the inference workers wait; SAM refiners ('vote', 'box') stay in-process. Half the cores: on 2
 * cores (40 illustrations, --refine regions) 1 worker took 5.3 s against 5.9 s in-process and 5.6 s with 2
 * (each worker adds its own start-up and JIT warm-up, and the inference workers already fill the cores).
 */
export function planRefine(refine: string, softEdge: boolean, concurrency: number, images: number, cores = availableParallelism()): number {
  const pure = refine === 'regions' || (refine === 'none' && softEdge);
  const inFlight = Math.max(1, Math.min(concurrency, images));
  if (!pure || inFlight < 2 || cores < 2) return 0;
  return Math.min(inFlight, Math.floor(cores / 2));
}

/** Output paths of one image. */
export function outputPaths(outDir: string, name: string, format: string) {
  const base = join(outDir, name);
  return {
    cutout: `${base}.${format}`,
    mask: `${base}.mask.png`,
    json: `${base}.json`,
    overlay: `${base}.overlay.png`,
    instance: (k: number) => `${base}.inst${String(k).padStart(2, '0')}.${format}`,
  };
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/**
 * An image is done when its JSON exists (written last) and so does every output this run asks for, so a
 * rerun that adds --overlay produces the overlays without redoing anything else by hand.
 */
export async function isDone(paths: ReturnType<typeof outputPaths>, opts: OutputOptions): Promise<boolean> {
  const need = [paths.json, paths.mask];
  if (!opts.onlyMask) need.push(paths.cutout);
  if (opts.overlay) need.push(paths.overlay);
  for (const p of need) if (!(await exists(p))) return false;
  return true;
}

/** Segment one image and write its outputs (JSON last: it marks the image done). Returns the instance count. */
export async function processOne(seg: Segmenter, item: InputItem, opts: BatchOptions, inputPaths: ReadonlySet<string>): Promise<{ instances: number; timings: Record<string, number> }> {
  const format = opts.format ?? 'png';
  const paths = outputPaths(resolve(opts.outDir), item.name, format);
  const refuseInput = (p: string): void => {
    if (inputPaths.has(p)) {
      throw new AnimesegError('BAD_OPTION', `output ${p} would overwrite an input image`, { file: item.path, hint: 'choose another output folder with -o' });
    }
  };
  [paths.cutout, paths.mask, paths.json, paths.overlay].forEach(refuseInput);
  const r = await seg.segment(item.path, opts.detect);
  const t0 = performance.now();
  if (opts.instances) r.instances.forEach((_, k) => refuseInput(paths.instance(k)));
  const { width, height } = r;
  const alpha = resultAlpha(r);
  // Encode everything first (in parallel: sharp encodes on its own threads), then write: a failure leaves
  // no partial set (and no JSON, so a rerun redoes the image). Each job is an async thunk so that a
  // synchronous error also surfaces through Promise.all.
  const jobs: (() => Promise<[string, Uint8Array]>)[] = [];
  const job = (path: string, make: () => Promise<Uint8Array>): void => {
    jobs.push(async () => [path, await make()]);
  };
  job(paths.mask, () => encodeImage(alphaImage(alpha, width, height), 'png'));
  if (!opts.onlyMask) job(paths.cutout, () => encodeImage(cutout(r.image, alpha, { bgColor: opts.bgColor, crop: opts.crop }), format));
  if (opts.overlay) job(paths.overlay, async () => encodeImage(await overlayImage(r.image, r.instances), 'png'));
  if (opts.instances) {
    const cuts = instanceCutouts(r.image, r.instances, { bgColor: opts.bgColor, inputAlpha: r.inputAlpha });
    cuts.forEach((c, k) => job(paths.instance(k), () => encodeImage(c, format)));
  }
  const files = await Promise.all(jobs.map((j) => j()));
  const settings = { ...seg.info.defaultClasses && { default_classes: seg.info.defaultClasses }, ...opts.detect, refine: seg.info.refine, imgsz: seg.info.imgsz };
  const timings = { ...r.timings };
  const json = resultJson(r, { image: item.path, model: seg.info.model, settings });
  // Written in parallel (each write waits on its own fsync); the JSON goes last because it marks the image done.
  await Promise.all(files.map(([p, data]) => writeFileAtomic(p, data)));
  timings.encode_write = performance.now() - t0;
  json.timings_ms.encode_write = Math.round(timings.encode_write * 100) / 100;
  await writeFileAtomic(paths.json, JSON.stringify(json) + '\n');
  return { instances: r.instances.length, timings };
}

export async function runBatch(seg: Segmenter, items: readonly InputItem[], opts: BatchOptions): Promise<BatchSummary> {
  const start = performance.now();
  const format = opts.format ?? 'png';
  const outDir = resolve(opts.outDir);
  const inputPaths = new Set(items.map((i) => resolve(i.path)));
  const summary: BatchSummary = { total: items.length, done: 0, skipped: 0, failed: [], instances: 0, seconds: 0, stageMs: {} };
  const progress = new Progress({ total: items.length, label: 'segment', unit: 'img', mode: opts.progress ?? 'auto', stream: opts.stream });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        if (!opts.overwrite && (await isDone(outputPaths(outDir, item.name, format), opts))) {
          summary.skipped++;
          progress.tick(1, true);
          continue;
        }
        const { instances, timings } = await processOne(seg, item, opts, inputPaths);
        summary.done++;
        summary.instances += instances;
        for (const [k, v] of Object.entries(timings)) summary.stageMs[k] = (summary.stageMs[k] ?? 0) + v;
        opts.onImage?.(item, timings);
        progress.tick(1, true);
      } catch (e) {
        // Every failure is per-image so the other images finish; unexpected ones are labelled as such.
        const known = e instanceof AnimesegError;
        const where = known && e.file === item.path ? '' : `${item.path}: `;
        const message = `${where}${known ? describeError(e) : `internal error: ${(e as Error)?.message ?? String(e)}`}`;
        summary.failed.push({ file: item.path, message });
        progress.log(`failed: ${message}`);
        progress.tick(1, false);
      }
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, items.length || 1));
  await Promise.all(Array.from({ length: n }, worker));
  progress.finish();
  summary.seconds = (performance.now() - start) / 1000;
  return summary;
}

export function formatSummary(s: BatchSummary): string {
  const rate = s.done > 0 && s.seconds > 0 ? `, ${(s.done / s.seconds).toFixed(2)} img/s` : '';
  const lines = [`${s.total} image(s): ${s.done} done, ${s.skipped} skipped (already done), ${s.failed.length} failed; ${s.instances} instance(s) in ${s.seconds.toFixed(1)} s${rate}`];
  for (const f of s.failed) lines.push(`  failed: ${f.message.split('\n')[0]}`);
  return lines.join('\n');
}
