/**
 * evaluate(): Ultralytics-exact Box/Mask metrics of a model (or of stored predictions) on a YOLO-seg split,
 * plus refined-mask quality at full resolution, plots and a contact sheet of the worst images.
 *
 * Prediction masks on Ultralytics' metric grid (imgsz/4 cells of the square validation letterbox):
 * - model runs: the model's own proto-resolution masks cropped as process_mask does, from the same inference
 *   that gives the native masks (model-runner.ts). With the default imgsz (= the model's input size) the
 *   model's letterbox IS the validator's, so boxes, masks and scores are exactly what SegmentationValidator
 *   compares (rect=False). With another --imgsz the native masks (proto logits upsampled to the original image,
 *   threshold 0, box crop) are sampled onto the grid instead: each cell reads the same 2x2 canvas pixels the
 *   ground-truth downsampling reads, mapped back to the original image (nearest), then the box crop. On our
 *   synthesized set that moved Mask mAP50-95 by -0.005 and nothing else (bench/eval.ts prints both).
 * - stored predictions: polygons through polygon2mask exactly as the ground truth; RLE masks sampled as above.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { AnimesegError, describeError, invalidParameterError, isAnimesegError } from '../errors.js';
import { readDataYaml, labelPathFor, type SplitName } from '../data/yaml.js';
import { listSplitImages } from '../data/files.js';
import { fillPolygons } from '../mask/polygon.js';
import { Progress } from '../util/progress.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { Instance, Refiner } from '../pipeline/types.js';
import { DETECT_DEFAULTS } from '../pipeline/options.js';
import type { RefinerName } from '../refine/registry.js';
import type { ValRun, ValRunner, ValRunnerOptions } from './model-runner.js';
import { VAL_SETTINGS } from './val-settings.js';
import { valGeometry, scaleBoxToNative, type ValGeometry } from './metrics/geometry.js';
import { buildGt, parseLabel, type LabelInstance } from './metrics/gt.js';
import { canvasLookup, gridMaskFromNative } from './metrics/predmask.js';
import { predImageInOrder, scoreOrder } from './pred-image.js';
import { MetricsAccumulator, formatTable, type MetricCurves, type PredImage, type UltralyticsMetrics } from './metrics/results.js';
import { imageKey, predImageFromStored, readPredictions, storedPredictionMask, type StoredImage } from './predictions.js';
import { imageQuality, summarise, type ImageQuality, type QualityInstance, type QualitySummary } from './quality.js';
import type { WorstEntry } from './plots.js';
import type { RefinerOptions } from '../refine/index.js';

export interface EvaluateOptions {
  /** data.yaml path. */
  data: string;
  split?: SplitName;
  /** Model name or .onnx path (ignored with `predictions`). */
  model?: string;
  /** Refiner measured against 'none' (default 'none': only the model's masks). */
  refine?: RefinerName;
  /** Output folder for metrics.json and pictures (none written when absent). */
  out?: string;
  /** Stored predictions JSON instead of running a model. */
  predictions?: string;
  /** Validation letterbox size (default: the model's input size, else 640). */
  imgsz?: number;
  /** Boundary F-score tolerance in pixels (default 2). */
  boundaryTol?: number;
  /** Predictions at or above this score take part in the full-resolution quality figures (default: predict's, DETECT_DEFAULTS.conf). */
  qualityConf?: number;
  /** Images on the worst-IoU contact sheet (default 8; 0 = no sheet). */
  worst?: number;
  /** Write the PR/F1 curve PNGs and the contact sheet (default true when `out` is given). */
  plots?: boolean;
  /** Model loading settings (models folder, device, threads). */
  segmenter?: Omit<ValRunnerOptions, 'model' | 'imgsz'>;
  /** Options for the refiner (createRefiner). */
  refineOptions?: RefinerOptions;
  /** Evaluate at most this many images (quick checks). */
  limit?: number;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface PerImage {
  image: string;
  width: number;
  height: number;
  gt: number;
  /** Predictions at validation settings. */
  predictions: number;
  /** Full-resolution quality per mask source ('none' = YOLO masks, and the refiner's name). */
  quality: Record<string, { fgIoU: number; boundaryF: number; instanceIoU: number | null; matched: number }>;
}

export interface EvaluateReport {
  /** Ultralytics' numbers (same keys as its results_dict / our reference expected.json). */
  ultralytics: UltralyticsMetrics;
  /** The familiar table. */
  table: string;
  quality: { conf: number; boundaryTol: number; sources: Record<string, QualitySummary> };
  settings: Record<string, unknown>;
  skipped: { image: string; reason: string }[];
  /** Problems that did not stop the run (e.g. pictures not drawn). */
  warnings: string[];
  perImage: PerImage[];
  timings: { images: number; inferenceMs: number; refineMs: number; metricsMs: number; qualityMs: number; totalMs: number };
  files: string[];
}

interface DatasetItem {
  image: string;
  label: string;
}

async function listDataset(dataFile: string, split: SplitName): Promise<{ items: DatasetItem[]; names: Map<number, string>; warnings: string[] }> {
  const data = await readDataYaml(dataFile);
  const entries = data.splits[split];
  if (!entries || entries.length === 0) {
    throw new AnimesegError('BAD_DATASET', `data.yaml has no '${split}' split`, { file: dataFile, hint: 'use --split val|test|train' });
  }
  const images: string[] = [];
  for (const e of entries) images.push(...(await listSplitImages(e)));
  images.sort();
  if (images.length === 0) throw new AnimesegError('BAD_DATASET', `the '${split}' split has no images`, { file: dataFile });
  return { items: images.map((image) => ({ image, label: labelPathFor(image) })), names: data.names, warnings: data.warnings.map((w) => `${dataFile}: ${w}`) };
}

async function readLabels(file: string, names: Map<number, string>): Promise<LabelInstance[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    // Ultralytics treats a missing label file as an image without objects.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AnimesegError('BAD_DATASET', `cannot read label: ${(e as Error).message}`, { file });
  }
  const labels = parseLabel(text, file);
  // Ultralytics refuses such a label ("Label class X exceeds dataset class count") and drops the image.
  const bad = labels.find((l) => !names.has(l.cls));
  if (bad) {
    throw new AnimesegError('BAD_DATASET', `class ${bad.cls} is not in data.yaml names (${[...names.keys()].join(', ')})`, { file });
  }
  return labels;
}

/** Image size as the decoder will see it (EXIF orientation applied), without decoding pixels. */
async function imageSize(file: string): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(file).metadata();
    if (!m.width || !m.height) throw new Error('no size in header');
    const swap = (m.orientation ?? 1) >= 5;
    return swap ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', `cannot read image: ${(e as Error).message}`, { file });
  }
}

/** Full-resolution truth masks from the normalised label polygons (OpenCV fillPoly rules). */
function gtMasksFull(labels: readonly LabelInstance[], w: number, h: number): QualityInstance[] {
  return labels.map((l) => {
    const pts = new Array<number>(l.points.length);
    for (let k = 0; k < l.points.length; k += 2) {
      pts[k] = l.points[k] * w;
      pts[k + 1] = l.points[k + 1] * h;
    }
    return { cls: l.cls, mask: fillPolygons([pts], w, h) };
  });
}

/**
 * Our segmenter's instances → the validator's prediction arrays (order: descending score, as NMS returns).
 * Masks: native masks sampled onto the validator grid (see the module comment).
 */
export function predImageFromInstances(instances: readonly Instance[], g: ValGeometry): PredImage {
  const lut = canvasLookup(g);
  const detection = (src: number) => ({ cls: instances[src].classId, score: instances[src].score, box: instances[src].box });
  return predImageInOrder(scoreOrder(instances.map((i) => i.score)), g, detection, (src, lb) => gridMaskFromNative(instances[src].mask, lb, g, lut));
}

/**
 * A model run → the validator's prediction arrays. When the model's letterbox is the validator's, everything is
 * what SegmentationValidator sees: NMS boxes mapped back with scale_boxes(ratio_pad) and the proto masks cropped
 * by process_mask. Otherwise (a different --imgsz) the native masks are sampled onto the grid.
 */
export function predImageFromRun(run: ValRun, g: ValGeometry): { pred: PredImage; exact: boolean } {
  if (!sameLetterbox(run, g)) return { pred: predImageFromInstances(run.instances, g), exact: false };
  const order = scoreOrder(run.instances.map((i) => i.score));
  const n = order.length;
  const pred: PredImage = { cls: new Int32Array(n), conf: new Float32Array(n), boxes: new Float32Array(4 * n), masks: [] };
  order.forEach((src, i) => {
    pred.cls[i] = run.instances[src].classId;
    pred.conf[i] = run.instances[src].score;
    pred.boxes.set(run.lbBoxes.subarray(4 * src, 4 * src + 4), 4 * i);
    scaleBoxToNative(pred.boxes, 4 * i, g);
    pred.masks.push(run.protoMasks[src]);
  });
  return { pred, exact: true };
}

/**
 * Whether the model's letterbox is the validator's: then the proto grid IS the validator's mask grid and the
 * proto masks can be compared as they are.
 */
export function sameLetterbox(run: ValRun, g: ValGeometry): boolean {
  const m = run.geometry;
  const grid = Math.floor(g.imgsz / 4);
  return (
    m.inputW === g.imgsz &&
    m.inputH === g.imgsz &&
    m.resizedW === g.w &&
    m.resizedH === g.h &&
    m.padLeft === g.left &&
    m.padTop === g.top &&
    run.protoSize[0] === grid &&
    run.protoSize[1] === grid
  );
}

/** The checked numbers of an evaluation. */
interface EvalSettings {
  split: SplitName;
  refineName: RefinerName;
  tol: number;
  qConf: number;
  worstN: number;
}

function checkEvaluateOptions(opts: EvaluateOptions): EvalSettings {
  const settings = { split: opts.split ?? 'val', refineName: opts.refine ?? 'none', tol: opts.boundaryTol ?? 2, qConf: opts.qualityConf ?? DETECT_DEFAULTS.conf, worstN: opts.worst ?? 8 };
  const tol = settings.tol;
  if (!(tol >= 0 && tol <= 50)) throw invalidParameterError('boundary tolerance', 'in [0, 50]', tol);
  if (opts.imgsz !== undefined && !(Number.isInteger(opts.imgsz) && opts.imgsz >= 32 && opts.imgsz % 32 === 0)) {
    throw invalidParameterError('imgsz', 'a positive multiple of 32', opts.imgsz);
  }
  if (!opts.predictions && !opts.model) {
    throw new AnimesegError('BAD_OPTION', 'give a model (--model) or stored predictions (--predictions)');
  }
  return settings;
}

/** Where predictions come from: a stored file, or a model (and the refiner measured against it). */
interface PredictionSource {
  stored: Map<string, StoredImage> | null;
  runner: ValRunner | null;
  refiner: Refiner | null;
  imgsz: number;
  modelName: string;
}

/** Stored predictions, matched to the split's images by name; none matching is an error, some a warning. */
async function openStoredPredictions(file: string, allItems: readonly DatasetItem[], split: SplitName, warnings: string[]): Promise<Map<string, StoredImage>> {
  const stored = await readPredictions(file);
  const keys = new Set(allItems.map((it) => imageKey(it.image)));
  const unknown = [...stored.keys()].filter((k) => !keys.has(k));
  if (unknown.length === stored.size && stored.size > 0) {
    throw new AnimesegError('BAD_INPUT', `no prediction matches an image of the '${split}' split (e.g. '${unknown[0]}')`, {
      file,
      hint: "predictions are matched to images by file name without extension ('image' field)",
    });
  }
  if (unknown.length > 0) warnings.push(`${unknown.length} image(s) in the predictions are not in the '${split}' split and were ignored (e.g. '${unknown[0]}')`);
  return stored;
}

/**
 * The model at Ultralytics validation settings (VAL_SETTINGS: conf 0.001, iou 0.7, max_det 300). Classes: the model's
 * default (person for COCO models, every class otherwise), so a COCO model's 'person' (0) is scored against
 * class 0 of single-class character data; other classes could only add false positives the data lacks.
 */
async function openModel(opts: EvaluateOptions, refineName: RefinerName): Promise<PredictionSource> {
  const { createValRunner } = await import('./model-runner.js');
  const runner = await createValRunner({ ...opts.segmenter, model: opts.model });
  const imgsz = opts.imgsz ?? Math.max(...runner.imgsz);
  let refiner: Refiner | null = null;
  if (refineName !== 'none') {
    try {
      const { createRefiner } = await import('../refine/index.js');
      refiner = await createRefiner(refineName, opts.refineOptions ?? {});
    } catch (e) {
      await runner.dispose();
      throw e;
    }
  }
  return { stored: null, runner, refiner, imgsz, modelName: runner.model };
}

/** One image's predictions: on the metric grid (`pred`) and at full size per mask source (`quality`). */
interface ImagePrediction {
  width: number;
  height: number;
  pred: PredImage;
  count: number;
  quality: Record<string, QualityInstance[]>;
}

type Timings = EvaluateReport['timings'];

async function predictStored(item: DatasetItem, src: PredictionSource, qConf: number, names: ReadonlyMap<number, string>): Promise<ImagePrediction> {
  const s = src.stored!.get(imageKey(item.image));
  const { width, height } = s?.width && s?.height ? { width: s.width, height: s.height } : await imageSize(item.image);
  const preds = s?.predictions ?? [];
  return {
    width,
    height,
    pred: predImageFromStored(preds, valGeometry(width, height, src.imgsz)),
    count: preds.length,
    quality: { none: preds.filter((p) => p.score >= qConf && names.has(p.cls)).map((p) => ({ cls: p.cls, mask: storedPredictionMask(p, width, height) })) },
  };
}

async function predictWithModel(
  item: DatasetItem,
  src: PredictionSource,
  refineName: RefinerName,
  qConf: number,
  names: ReadonlyMap<number, string>,
  timings: Timings,
): Promise<ImagePrediction & { exact: boolean }> {
  const r = await src.runner!.run(item.image);
  timings.inferenceMs += (r.timings.decode ?? 0) + (r.timings.preprocess ?? 0) + (r.timings.inference ?? 0) + (r.timings.postprocess ?? 0);
  const tp0 = performance.now();
  const pi = predImageFromRun(r, valGeometry(r.width, r.height, src.imgsz));
  timings.metricsMs += performance.now() - tp0 + (r.timings.protoMasks ?? 0);
  const confident = r.instances.filter((i) => i.score >= qConf && names.has(i.classId));
  const quality: Record<string, QualityInstance[]> = { none: confident.map((i) => ({ cls: i.classId, mask: i.mask })) };
  if (src.refiner) {
    const tr = performance.now();
    const refined = confident.length ? await src.refiner.refine(r.image, confident) : [];
    timings.refineMs += performance.now() - tr;
    quality[refineName] = refined.map((i) => ({ cls: i.classId, mask: i.mask }));
  }
  return { width: r.width, height: r.height, pred: pi.pred, count: r.instances.length, quality, exact: pi.exact };
}

/** What the per-image scoring accumulates over the split. */
interface EvalTally {
  acc: MetricsAccumulator;
  sources: string[];
  quality: Record<string, ImageQuality[]>;
  perImage: PerImage[];
  worst: WorstEntry[];
  timings: Timings;
}

/** Ultralytics metrics on the letterbox grid, then full-resolution quality for each mask source. */
function scoreImage(item: DatasetItem, labels: LabelInstance[], p: ImagePrediction, imgsz: number, st: EvalSettings, tally: EvalTally, predictStart: number, stored: boolean): void {
  const { width, height } = p;
  const { timings } = tally;
  const tg = performance.now();
  tally.acc.add(buildGt(labels, valGeometry(width, height, imgsz)), p.pred);
  const tq = performance.now();
  timings.metricsMs += tq - tg;
  if (stored) timings.metricsMs += tg - predictStart; // stored predictions: their rasterisation is metric work too
  const gts = gtMasksFull(labels, width, height);
  const rec: PerImage = { image: item.image, width, height, gt: labels.length, predictions: p.count, quality: {} };
  const worstSource = tally.sources[tally.sources.length - 1];
  for (const s of tally.sources) {
    const q = imageQuality(p.quality[s] ?? [], gts, width, height, st.tol);
    tally.quality[s].push(q);
    const mean = q.matchedIoU.length ? q.matchedIoU.reduce((a, b) => a + b, 0) / q.matchedIoU.length : null;
    rec.quality[s] = { fgIoU: q.fgIoU, boundaryF: q.boundaryF, instanceIoU: mean, matched: q.matchedIoU.length };
    if (s === worstSource && st.worstN > 0) keepWorst(tally.worst, { image: item.image, fgIoU: q.fgIoU, width, height, pred: q.predUnion, gt: q.gtUnion }, st.worstN);
  }
  timings.qualityMs += performance.now() - tq;
  tally.perImage.push(rec);
  timings.images++;
}

/** 'proto' = the model's own masks (Ultralytics-exact), 'native' = native masks sampled on the grid (stored, or another --imgsz). */
function maskSourceOf(stored: boolean, protoImages: number, images: number): string {
  if (stored) return 'stored';
  if (protoImages === images) return 'proto';
  return protoImages === 0 ? 'native' : `proto on ${protoImages} of ${images} images, native on the rest`;
}

/** metrics.json and (a convenience: a failure is a warning) the PR/F1 curves and the worst-IoU sheet. */
async function writeReportFiles(report: EvaluateReport, outDir: string, plots: boolean, curves: MetricCurves, names: Map<number, string>, worst: WorstEntry[], worstSource: string, t0: number): Promise<void> {
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  if (plots) {
    // Pictures are a convenience: if drawing fails (e.g. a sharp build without SVG), the numbers still get written.
    try {
      const { writeCurvePlots, writeWorstSheet } = await import('./plots.js');
      report.files.push(...(await writeCurvePlots(curves, names, out)));
      if (worst.length > 0) {
        const sheet = await writeWorstSheet(worst, join(out, 'worst.png'), worstSource);
        if (sheet) report.files.push(sheet);
      }
    } catch (e) {
      report.warnings.push(`plots not written: ${describeError(e).split('\n')[0]}`);
    }
  }
  const metricsPath = join(out, 'metrics.json');
  report.files.push(metricsPath);
  report.timings.totalMs = performance.now() - t0;
  await writeJsonAtomic(metricsPath, report);
}

export async function evaluate(opts: EvaluateOptions): Promise<EvaluateReport> {
  const t0 = performance.now();
  const st = checkEvaluateOptions(opts);
  const { split, refineName } = st;
  const { items: allItems, names, warnings: dataWarnings } = await listDataset(opts.data, split);
  const items = opts.limit ? allItems.slice(0, opts.limit) : allItems;
  const src: PredictionSource = opts.predictions
    ? { stored: await openStoredPredictions(opts.predictions, allItems, split, dataWarnings), runner: null, refiner: null, imgsz: opts.imgsz ?? 640, modelName: 'predictions' }
    : await openModel(opts, refineName);
  const stored = src.stored !== null;

  const sources = src.refiner ? ['none', refineName] : ['none'];
  const tally: EvalTally = {
    acc: new MetricsAccumulator(names),
    sources,
    quality: Object.fromEntries(sources.map((s) => [s, []])),
    perImage: [],
    worst: [],
    timings: { images: 0, inferenceMs: 0, refineMs: 0, metricsMs: 0, qualityMs: 0, totalMs: 0 },
  };
  const { timings } = tally;
  const skipped: { image: string; reason: string }[] = [];
  const progress = new Progress({ total: items.length, label: 'eval', unit: 'img', mode: opts.progress ?? 'auto' });
  let protoImages = 0;

  try {
    for (const item of items) {
      let ok = true;
      try {
        const labels = await readLabels(item.label, names);
        const tm0 = performance.now();
        let p: ImagePrediction;
        if (stored) p = await predictStored(item, src, st.qConf, names);
        else {
          const r = await predictWithModel(item, src, refineName, st.qConf, names, timings);
          if (r.exact) protoImages++;
          p = r;
        }
        scoreImage(item, labels, p, src.imgsz, st, tally, tm0, stored);
      } catch (e) {
        ok = false;
        const reason = isAnimesegError(e) ? describeError(e) : `internal error: ${(e as Error)?.stack ?? String(e)}`;
        skipped.push({ image: item.image, reason });
        progress.log(`skipped ${item.image}: ${reason.split('\n')[0]}`);
      }
      progress.tick(1, ok);
      opts.onProgress?.(tally.perImage.length + skipped.length, items.length, item.image);
    }
  } finally {
    progress.finish();
    await src.refiner?.dispose?.();
    await src.runner?.dispose();
  }

  const tr = performance.now();
  const { metrics, curves } = tally.acc.result();
  timings.metricsMs += performance.now() - tr;
  const report: EvaluateReport = {
    ultralytics: metrics,
    table: formatTable(metrics),
    quality: { conf: st.qConf, boundaryTol: st.tol, sources: Object.fromEntries(sources.map((s) => [s, summarise(tally.quality[s])])) },
    settings: {
      data: resolve(opts.data),
      split,
      model: src.modelName,
      predictions: opts.predictions ? resolve(opts.predictions) : null,
      refine: refineName,
      imgsz: src.imgsz,
      conf: VAL_SETTINGS.conf,
      iou: VAL_SETTINGS.iou,
      max_det: VAL_SETTINGS.maxDet,
      rect: false,
      // how prediction masks reached the metric grid
      mask_source: maskSourceOf(stored, protoImages, timings.images),
      mask_ratio: 4,
      overlap_mask: true,
    },
    skipped,
    warnings: dataWarnings,
    perImage: tally.perImage,
    timings,
    files: [],
  };
  if (opts.out) await writeReportFiles(report, opts.out, opts.plots ?? true, curves, names, tally.worst, sources[sources.length - 1], t0);
  report.timings.totalMs = performance.now() - t0;
  return report;
}

/** Keep the n entries with the lowest foreground IoU (ties: first seen). */
function keepWorst(list: WorstEntry[], e: WorstEntry, n: number): void {
  if (list.length < n) {
    list.push(e);
  } else {
    let hi = 0;
    for (let i = 1; i < list.length; i++) if (list[i].fgIoU > list[hi].fgIoU) hi = i;
    if (e.fgIoU >= list[hi].fgIoU) return;
    list[hi] = e;
  }
  list.sort((a, b) => a.fgIoU - b.fgIoU);
}

