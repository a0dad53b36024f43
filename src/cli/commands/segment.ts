/**
 * animeseg segment: cut characters out of images. A thin layer over createSegmenter + runBatch.
 */
import { resolve } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { numberOption, parseCommandArgs, type ParsedCommandArgs } from '../args.js';
import { createSegmenter, type DetectOptions, type RefineName } from '../../pipeline/segmenter.js';
import { expandInputs } from '../../pipeline/inputs.js';
import { classIds } from '../../pipeline/classes.js';
import { formatSummary, planInference, planRefine, runBatch } from '../../pipeline/batch.js';
import { cutout, parseColor, resultAlpha, resultJson, type Rgb } from '../../pipeline/outputs.js';
import { encodeImage } from '../../image/encode.js';
import { checkDevice } from '../../models/session.js';

export const usage = `Usage: animeseg segment <files|folders|globs...> -o OUT [options]
       animeseg segment - [options] > cutout.png      (image on stdin, PNG cutout on stdout;
                                                       --only-mask: the mask; --json: the instances JSON)

Finds characters with a YOLOv8-seg model and writes, per image NAME:
  NAME.png (RGBA cutout), NAME.mask.png, NAME.json (instances: class, score, box, polygons, COCO RLE, area),
  NAME.overlay.png (--overlay), NAME.instNN.png (--instances).
Folders are searched recursively (jpg png webp avif gif tiff bmp). Images whose NAME.json exists are skipped.

Options:
  -o, --out DIR          output folder (required unless input is -)
  --model NAME|PATH      model name from 'animeseg models list' or a .onnx path (default: yolov8n-seg-int8)
  --conf X               confidence threshold (default 0.25)
  --iou X                NMS IoU threshold (default 0.7)
  --max-det N            most detections per image (default 300)
  --classes LIST|all     class ids or names to keep, e.g. 0,1 or person (default: person for COCO models,
                         every class for other models)
  --agnostic             class-agnostic NMS
  --refine NAME          none | regions | vote | box (default none):
                           regions  weight-free colour over-segmentation fused by vote (no extra model)
                           vote     Segment Anything automatic masks fused by vote (the seed's method; slow)
                           box      Segment Anything prompted with each YOLO box and points
  --soft-edge            edge-aware partial alpha on the refined outline (guided filter)
  --sam-model NAME       SAM encoder/decoder pair for vote|box from 'animeseg models list' (default sam-vit-b)
  --sam-encoder PATH     a SAM encoder .onnx (with --sam-decoder, instead of --sam-model)
  --sam-decoder PATH     a SAM decoder .onnx
  --sam-preset seed|sam  AMG settings for vote: the original work's (default) or segment-anything's defaults
  --box-points N         positive points per character for --refine box (default 3)
  --instances            also write one cutout per character, cropped to its box
  --overlay              also write an overlay picture with masks, boxes and scores
  --only-mask            write the mask and JSON, no cutout
  --bg-color C           background colour instead of transparency: '#fff', '#rrggbb' or r,g,b
  --crop                 crop the cutout to the characters
  --format png|webp      cutout format (default png)
  --json                 print the run summary as JSON on stdout (with -: the instances JSON instead of a PNG)
  --concurrency N        images in flight (default 4)
  --overwrite            redo images that are already done
  --max-pixels N         refuse larger images (default 100000000)
  --device cpu|cuda      execution provider (default cpu)
  --threads N            onnxruntime threads per model run (default: one per core for a single image;
                         with several images in flight, one inference worker per core, 1 thread each)
  --progress MODE        auto | bar | plain | silent (default auto)
Exit: 0 all ok, 1 some images failed, 2 usage error.`;

export const options = {
  out: { type: 'string', short: 'o' },
  model: { type: 'string' },
  conf: { type: 'string' },
  iou: { type: 'string' },
  'max-det': { type: 'string' },
  classes: { type: 'string' },
  agnostic: { type: 'boolean' },
  refine: { type: 'string' },
  'soft-edge': { type: 'boolean' },
  'sam-model': { type: 'string' },
  'sam-encoder': { type: 'string' },
  'sam-decoder': { type: 'string' },
  'sam-preset': { type: 'string' },
  'box-points': { type: 'string' },
  instances: { type: 'boolean' },
  overlay: { type: 'boolean' },
  'only-mask': { type: 'boolean' },
  'bg-color': { type: 'string' },
  crop: { type: 'boolean' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  overwrite: { type: 'boolean' },
  'max-pixels': { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
  progress: { type: 'string' },
} as const;

/**
 * Refiner options from the SAM and soft-edge flags. SAM flags only make sense with vote|box: given with
 * another mode they are a mistake the user should hear about rather than have ignored.
 */
function samRefineOptions(
  v: { 'soft-edge'?: boolean; 'sam-model'?: string; 'sam-encoder'?: string; 'sam-decoder'?: string; 'sam-preset'?: string; 'box-points'?: string },
  refine: RefineName,
): Record<string, unknown> {
  const samFlags = (['sam-model', 'sam-encoder', 'sam-decoder', 'sam-preset', 'box-points'] as const).filter((k) => v[k] !== undefined);
  if (samFlags.length > 0 && refine !== 'vote' && refine !== 'box') {
    throw new AnimesegError('BAD_OPTION', `--${samFlags[0]} needs --refine vote or --refine box`);
  }
  if ((v['sam-encoder'] === undefined) !== (v['sam-decoder'] === undefined)) {
    throw new AnimesegError('BAD_OPTION', '--sam-encoder and --sam-decoder go together', { hint: 'or name a pair with --sam-model' });
  }
  const preset = v['sam-preset'];
  if (preset !== undefined && preset !== 'seed' && preset !== 'sam') throw new AnimesegError('BAD_OPTION', `--sam-preset must be seed or sam, got '${preset}'`);
  if (preset !== undefined && refine !== 'vote') throw new AnimesegError('BAD_OPTION', '--sam-preset needs --refine vote');
  if (v['box-points'] !== undefined && refine !== 'box') throw new AnimesegError('BAD_OPTION', '--box-points needs --refine box');
  const models = { model: v['sam-model'], encoder: v['sam-encoder'], decoder: v['sam-decoder'] };
  const opts: Record<string, unknown> = {};
  if (v['soft-edge']) opts.softEdge = true;
  if (refine === 'vote') opts.sam = { ...models, preset, progress: true };
  if (refine === 'box') opts.box = { ...models, points: v['box-points'] !== undefined ? numberOption('box-points', v['box-points'], 3, 0, 32) : undefined };
  return opts;
}

/** '--classes 0,2' or '--classes person,cat' (names need the model, so they resolve after loading). */
function parseClasses(v: string | undefined): (number | string)[] | 'all' | undefined {
  if (v === undefined) return undefined;
  if (v.trim().toLowerCase() === 'all') return 'all';
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new AnimesegError('BAD_OPTION', `--classes must be 'all' or a list like 0,1 or person, got '${v}'`);
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** The option values after parsing (what segmentSettings reads). */
export type SegmentValues = ParsedCommandArgs<typeof options>['values'];

/** Checked settings from the segment options (BAD_OPTION on a bad value); `queue add` shares them. */
export function segmentSettings(v: SegmentValues) {
  const detect: DetectOptions = {
    conf: numberOption('conf', v.conf, 0.25, 0, 1),
    iou: numberOption('iou', v.iou, 0.7, 0, 1),
    maxDet: numberOption('max-det', v['max-det'], 300, 1, 100000),
    agnostic: v.agnostic ?? false,
  };
  const classList = parseClasses(v.classes);
  const r = v.refine ?? 'none';
  if (!['none', 'vote', 'box', 'regions'].includes(r)) throw new AnimesegError('BAD_OPTION', `--refine must be none, vote, box or regions, got '${r}'`);
  const refine = r as RefineName;
  const refineOptions = samRefineOptions(v, refine);
  const format = v.format ?? 'png';
  if (format !== 'png' && format !== 'webp') throw new AnimesegError('BAD_OPTION', `--format must be png or webp, got '${format}'`);
  const bgColor: Rgb | undefined = v['bg-color'] !== undefined ? parseColor(v['bg-color']) : undefined;
  const concurrency = numberOption('concurrency', v.concurrency, 4, 1, 64);
  const maxPixels = numberOption('max-pixels', v['max-pixels'], 100_000_000, 1);
  const threads = v.threads !== undefined ? numberOption('threads', v.threads, 0, 1, 256) : undefined;
  const device = checkDevice(v.device ?? 'cpu');
  const progress = v.progress ?? 'auto';
  if (!['auto', 'bar', 'plain', 'silent'].includes(progress)) throw new AnimesegError('BAD_OPTION', `--progress must be auto, bar, plain or silent, got '${progress}'`);
  return { detect, classList, refine, refineOptions, format: format as 'png' | 'webp', bgColor, concurrency, maxPixels, threads, device, progress: progress as 'auto' | 'bar' | 'plain' | 'silent' };
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs('segment', argv, options);
  } catch (e) {
    console.error(`animeseg: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  const v = parsed.values;
  const positionals = parsed.positionals as string[];
  let settings: ReturnType<typeof segmentSettings>;
  try {
    if (positionals.length === 0) throw new AnimesegError('BAD_OPTION', 'no input given', { hint: 'give image files, folders, globs, or - for stdin' });
    if (!positionals.includes('-') && !v.out) throw new AnimesegError('BAD_OPTION', 'missing -o OUT (the output folder)');
    if (positionals.includes('-') && positionals.length > 1) throw new AnimesegError('BAD_OPTION', "'-' (stdin) cannot be combined with other inputs");
    settings = segmentSettings(v);
  } catch (e) {
    if (e instanceof AnimesegError && e.code === 'BAD_OPTION') {
      console.error(`animeseg segment: ${e.describe()}\n\nRun 'animeseg segment --help' for the options.`);
      return 2;
    }
    throw e;
  }
  const { detect, classList, refine, refineOptions, format, bgColor, concurrency, maxPixels, threads, device, progress } = settings;

  const stdin = positionals[0] === '-';
  const outDir = stdin ? '' : resolve(v.out!);
  const items = stdin ? [] : await expandInputs(positionals, [outDir]);
  if (!stdin && items.length === 0) {
    // Checked before loading the model: a wrong folder should not cost a model load (or a download).
    throw new AnimesegError('BAD_INPUT', `no images found in ${positionals.join(' ')}`, {
      hint: 'give image files (jpg png webp avif gif tiff bmp), folders that contain them, or globs',
    });
  }
  // Several images in flight on the CPU: one inference worker per core (see planInference).
  const plan = stdin || device === 'cuda' ? { workers: 1, threads } : planInference(concurrency, items.length, threads);
  // ... and the pure-CPU refiners on worker threads beside them (see planRefine).
  const refineWorkers = stdin || device === 'cuda' ? 0 : planRefine(refine, refineOptions.softEdge === true, concurrency, items.length);
  const seg = await createSegmenter({ model: v.model, device, threads: plan.threads, inferenceWorkers: plan.workers, refine, refineOptions, refineWorkers, maxPixels, ...detect });
  try {
    if (classList !== undefined) detect.classes = classList === 'all' ? 'all' : classIds(classList, seg.info.classNames);
    if (stdin) {
      const bytes = await readStdin();
      const r = await seg.segment(bytes, { file: '<stdin>' });
      if (v.json) {
        console.log(JSON.stringify(resultJson(r, { image: '<stdin>', model: seg.info.model, settings: { ...detect, refine } })));
        return 0;
      }
      const alpha = resultAlpha(r);
      const img = v['only-mask'] ? { data: alpha, width: r.width, height: r.height, channels: 1 as const } : cutout(r.image, alpha, { bgColor, crop: v.crop });
      const png = await encodeImage(img, 'png');
      await new Promise<void>((res, rej) => process.stdout.write(png, (err) => (err ? rej(err) : res())));
      return 0;
    }
    const summary = await runBatch(seg, items, {
      outDir,
      concurrency,
      overwrite: v.overwrite ?? false,
      detect,
      format,
      overlay: v.overlay ?? false,
      instances: v.instances ?? false,
      onlyMask: v['only-mask'] ?? false,
      bgColor,
      crop: v.crop ?? false,
      progress: v.json && progress === 'auto' ? 'silent' : progress,
    });
    if (v.json) console.log(JSON.stringify(summary, null, 2));
    else console.error(formatSummary(summary));
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    await seg.dispose();
  }
}
