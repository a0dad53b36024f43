/**
 * animeseg segment: cut characters out of images. A thin layer over createSegmenter + runBatch.
 */
import { resolve } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { enumOption, intOption, numberOption, optionalInt, parseCommandArgs, progressOption, progressUsage, requireExistingPaths, usageError, type ParsedCommandArgs } from '../args.js';
import { cliConfig, readEnum, readNumber, usageLine } from '../schema-args.js';
import { detectSettingsJson, optionSpec, parseClassList, resolveClassIds, SEGMENT_OPTIONS } from '../../pipeline/options.js';
import { createSegmenter, type DetectOptions, type RecallOptions, type RefineName } from '../../pipeline/segmenter.js';
import { checkBoxPrior, type BoxPriorName } from '../../pipeline/box-prior.js';
import { expandInputs, type InputItem } from '../../pipeline/inputs.js';
import { formatSummary, planInference, planRefine, prepareBatch, runBatch, type BatchOptions, type ImageEvent } from '../../pipeline/batch.js';
import { OutputFolder } from '../../pipeline/output-folder.js';
import { addSummary, watchInputs } from '../../pipeline/watch.js';
import { cutout, parseColor, resultAlpha, resultJson, type Rgb } from '../../pipeline/outputs.js';
import { encodeImage } from '../../image/encode.js';
import { checkDevice } from '../../models/session.js';
import type { CropSpec } from '../../pipeline/crops.js';
import type { RefinerOptions } from '../../refine/index.js';

export const usage = `Usage: animeseg segment <files|folders|globs...> -o OUT [options]
       animeseg segment - [options] > cutout.png      (image on stdin, PNG cutout on stdout;
                                                       --only-mask: the mask; --json: the instances JSON)

Finds characters with a YOLOv8-seg model and writes, per image NAME:
  NAME.png (RGBA cutout), NAME.mask.png, NAME.json (instances: class, score, box, polygons, COCO RLE, area),
  NAME.overlay.png (--overlay), NAME.instNN.png (--instances; NN = the character's 0-based id in NAME.json).
  OUT/manifest.jsonl: one line per image (input, outputs, instances, scores, areas, status ok|empty|failed
  + reason, settings hash), appended as images finish (see docs/BATCH.md).
Masks are 8-bit grayscale PNGs: 0 / 255, or alpha values with --soft-edge.
Folders are searched recursively (jpg png webp avif gif tiff bmp; symbolic links followed). A rerun skips an
image only when its record names the same source file and settings and its outputs exist; existing files
that no run record claims are never replaced (the run stops before loading the model) unless --overwrite.

Options:
  -o, --out DIR          output folder (required unless input is -)
  --model NAME|PATH[,..] model name from 'animeseg models list' or a .onnx path (default: yolov8n-seg-int8);
                         YOLOv8 segment or detection exports; several (a,b) are fused (docs/DETECTION.md)
${usageLine(optionSpec('conf'))}
${usageLine(optionSpec('iou'))}
${usageLine(optionSpec('max_det'))}
${usageLine(optionSpec('classes'))}
${usageLine(optionSpec('agnostic'))}
${usageLine(
  optionSpec('refine'),
  `none | regions | vote | box (default none; regions with a detection-only model):
  regions  weight-free colour over-segmentation fused by vote (no extra model)
  vote     Segment Anything automatic masks fused by vote (the original method; slow)
  box      Segment Anything prompted with each YOLO box and points`,
)}
  --tta flip             also run the models on the mirrored image (recall aid)
  --tiles                also run the models on 2x2 overlapping tiles (small characters)
  --second-pass          also run the models on the largest salient region nothing was found in
  --box-prior NAME       coarse mask for boxes of detection-only models: colour | ellipse | box (default colour)
${usageLine(optionSpec('soft_edge'))}
  --sam-model NAME       SAM encoder/decoder pair for vote|box from 'animeseg models list' (default sam-vit-b)
  --sam-encoder PATH     a SAM encoder .onnx (with --sam-decoder, instead of --sam-model)
  --sam-decoder PATH     a SAM decoder .onnx
  --sam-preset seed|sam  AMG settings for vote: seed = the original method's (default), sam = segment-anything's
  --box-points N         positive points per character for --refine box (default 3)
${usageLine(optionSpec('instances'))}
  --overlay              also write an overlay picture with masks, boxes and scores
${usageLine(optionSpec('only_mask'), 'write the mask and JSON, no cutout (with --instances: NAME.instNN.mask.png per character)')}
${usageLine(optionSpec('bg_color'))}
${usageLine(optionSpec('crop'))}
  --crops square|N       also write a training crop per character, NAME.instNN.crop.png: its cutout centred
                         on a square (longer side + margin), scaled to N x N when N is given (e.g. 512, 768, 1024)
  --crop-bg C            crop background: transparent (default, PNG) or a colour like '#fff' (JPEG, no alpha)
  --crop-margin F        margin on each side as a fraction of the character's longer side (default 0)
${usageLine(optionSpec('format'))}
  --json                 print the run summary as JSON on stdout (with -: the instances JSON instead of a PNG)
  --concurrency N        images in flight (default 4)
  --overwrite            redo every image and replace existing files even if animeseg did not write them
  --skip-empty           write only NAME.json for images with no character (no cutout, mask or overlay)
  --min-area F           drop characters smaller than this fraction of the image (default 0)
  --max-covered F        drop a character when more than this fraction of its mask lies under
                         higher-scoring ones (default 0.8; 1 keeps all)
  --watch                keep running: process new files as they appear in the inputs (Ctrl-C ends)
  --max-pixels N         refuse larger images (default 100000000)
  --device cpu|cuda      execution provider (default cpu)
  --threads N            onnxruntime threads per model run (default: one per core for a single image;
                         with several images in flight, one inference worker per core, 1 thread each)
${progressUsage()}
Exit: 0 all ok, 1 some images failed, 2 usage error.`;

export const options = {
  out: { type: 'string', short: 'o' },
  model: { type: 'string' },
  // conf, iou, max-det, classes, agnostic, refine, soft-edge, only-mask, bg-color, crop, format, instances
  ...cliConfig(SEGMENT_OPTIONS),
  tta: { type: 'string' },
  tiles: { type: 'boolean' },
  'second-pass': { type: 'boolean' },
  'box-prior': { type: 'string' },
  'sam-model': { type: 'string' },
  'sam-encoder': { type: 'string' },
  'sam-decoder': { type: 'string' },
  'sam-preset': { type: 'string' },
  'box-points': { type: 'string' },
  overlay: { type: 'boolean' },
  crops: { type: 'string' },
  'crop-bg': { type: 'string' },
  'crop-margin': { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  overwrite: { type: 'boolean' },
  'skip-empty': { type: 'boolean' },
  'min-area': { type: 'string' },
  'max-covered': { type: 'string' },
  watch: { type: 'boolean' },
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
): RefinerOptions {
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
  const opts: RefinerOptions = {};
  if (refine === 'vote') opts.sam = { ...models, preset, progress: true };
  if (refine === 'box') opts.box = { ...models, points: optionalInt('box-points', v['box-points'], 0, 32) };
  return opts;
}

/** --crops square|N, --crop-bg transparent|COLOR, --crop-margin F (the last two need --crops). */
function cropOptions(v: { crops?: string; 'crop-bg'?: string; 'crop-margin'?: string }): CropSpec | undefined {
  if (v.crops === undefined) {
    const stray = (['crop-bg', 'crop-margin'] as const).find((k) => v[k] !== undefined);
    if (stray) throw usageError(`--${stray} needs --crops square|N`);
    return undefined;
  }
  const side = /^\d+$/.test(v.crops) ? Number(v.crops) : NaN;
  if (v.crops !== 'square' && !(side >= 16 && side <= 8192)) throw usageError(`--crops must be square or a side in pixels from 16 to 8192 (e.g. 512), got '${v.crops}'`);
  const size = v.crops === 'square' ? 'square' : side;
  const bg = v['crop-bg'] === undefined || v['crop-bg'].trim().toLowerCase() === 'transparent' ? undefined : parseColor(v['crop-bg']);
  return { size, bg, margin: numberOption('crop-margin', v['crop-margin'], 0, 0, 1) };
}

/** '--classes 0,2' or '--classes person,cat' (names need the model, so they resolve after loading). */
function parseClasses(v: string | undefined): (number | string)[] | 'all' | undefined {
  if (v === undefined) return undefined;
  try {
    return parseClassList(v);
  } catch (e) {
    throw usageError(`--${(e as Error).message}`);
  }
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** The option values after parsing (what segmentSettings reads). */
export type SegmentValues = ParsedCommandArgs<typeof options>['values'];

/**
 * Checked settings from the segment options (usage errors on bad values). `queue add` parses with the
 * same options and this function, so a queued run and a `segment` run of the same flags agree.
 */
export function segmentSettings(v: SegmentValues) {
  const detect: DetectOptions = {
    conf: readNumber(optionSpec('conf'), v.conf),
    iou: readNumber(optionSpec('iou'), v.iou),
    maxDet: readNumber(optionSpec('max_det'), v['max-det']),
    agnostic: v.agnostic ?? false,
  };
  const classList = parseClasses(v.classes);
  const refine = (readEnum(optionSpec('refine'), v.refine) ?? 'none') as RefineName;
  const refineOptions = samRefineOptions(v, refine);
  const softEdge = v['soft-edge'] ?? false;
  const format = readEnum(optionSpec('format'), v.format) as 'png' | 'webp';
  const bgColor: Rgb | undefined = v['bg-color'] !== undefined ? parseColor(v['bg-color']) : undefined;
  const concurrency = intOption('concurrency', v.concurrency, 4, 1, 64);
  const maxPixels = intOption('max-pixels', v['max-pixels'], 100_000_000, 1);
  const threads = optionalInt('threads', v.threads, 1, 256);
  const device = checkDevice(v.device ?? 'cpu');
  const progress = progressOption(v.progress);
  const crops = cropOptions(v);
  if (crops && v['only-mask']) throw usageError('--crops writes cutouts; it cannot be combined with --only-mask');
  const minArea = numberOption('min-area', v['min-area'], 0, 0, 1);
  const maxCovered = numberOption('max-covered', v['max-covered'], 0.8, 0, 1);
  const outputs = { format, overlay: v.overlay ?? false, instances: v.instances ?? false, onlyMask: v['only-mask'] ?? false, bgColor, crop: v.crop ?? false, crops, skipEmpty: v['skip-empty'] ?? false };
  const recall: RecallOptions = { tta: enumOption('tta', v.tta, ['none', 'flip'], 'none'), tiles: v.tiles ?? false, secondPass: v['second-pass'] ?? false };
  const boxPrior: BoxPriorName | undefined = v['box-prior'] !== undefined ? checkBoxPrior(v['box-prior']) : undefined;
  // The refiner as given (undefined: the model's default, e.g. for detection-only models).
  const refineGiven: RefineName | undefined = v.refine === undefined ? undefined : refine;
  return { detect, classList, refine, refineGiven, refineOptions, softEdge, format, bgColor, concurrency, maxPixels, threads, device, progress, crops, minArea, maxCovered, outputs, recall, boxPrior };
}

export async function run(argv: string[]): Promise<number> {
  // Every check here throws BAD_OPTION: src/cli/main.ts prints it and exits 2.
  const parsed = parseCommandArgs('segment', argv, options);
  const v = parsed.values;
  const positionals = parsed.positionals as string[];
  if (positionals.length === 0) throw usageError('no input given', 'give image files, folders, globs, or - for stdin');
  if (!positionals.includes('-') && !v.out) throw usageError('missing -o OUT (the output folder)');
  if (positionals.includes('-') && positionals.length > 1) throw usageError("'-' (stdin) cannot be combined with other inputs");
  const settings = segmentSettings(v);
  const { detect, classList, refine, refineOptions, bgColor, concurrency, maxPixels, threads, device, progress, crops, minArea, maxCovered, outputs, recall, boxPrior } = settings;
  if (crops && positionals.includes('-')) throw usageError('--crops writes files per character: give -o OUT and input files, not - (stdin)');
  if (v.watch && positionals.includes('-')) throw usageError('--watch needs input files or folders, not -');
  await requireExistingPaths(positionals, 'check the path (folders are searched recursively; globs like "imgs/*.jpg" work too)');

  const stdin = positionals[0] === '-';
  const outDir = stdin ? '' : resolve(v.out!);
  // The output folder is checked (writable, manifest repaired) before anything else, so a wrong -o costs
  // neither a walk of the inputs nor a model load; its own outputs are never taken as inputs.
  const folder = stdin ? undefined : await OutputFolder.open(outDir);
  const list = (): Promise<InputItem[]> =>
    expandInputs(positionals, [outDir], { excludeFile: (p) => folder!.isOurs(p), onWarning: (m) => console.error(`animeseg segment: ${m}`) });
  const items: InputItem[] = stdin ? [] : await list().catch((e: unknown) => (v.watch && e instanceof AnimesegError && /no image matches/.test(e.message) ? [] : Promise.reject(e)));
  if (!stdin && items.length === 0 && !v.watch) {
    // Checked before loading the model: a wrong folder should not cost a model load (or a download).
    throw new AnimesegError('BAD_INPUT', `no images found in ${positionals.join(' ')}`, {
      hint: 'give image files (jpg png webp avif gif tiff bmp), folders that contain them, or globs',
    });
  }
  // Refusing to replace a user's files, and removing a killed run's temp files, also come before the model.
  if (folder) await prepareBatch(items, { outDir, folder, overwrite: v.overwrite ?? false, ...outputs });
  // Several images in flight on the CPU: one inference worker per core (see planInference).
  const plan = stdin || device === 'cuda' ? { workers: 1, threads } : planInference(concurrency, items.length, threads);
  // ... and the pure-CPU refiners on worker threads beside them (see planRefine).
  const refineWorkers = stdin || device === 'cuda' ? 0 : planRefine(refine, settings.softEdge, concurrency, items.length);
  // --refine not given: the segmenter's default (none, or regions when a model is detection-only).
  const seg = await createSegmenter({ model: v.model, device, threads: plan.threads, inferenceWorkers: plan.workers, refine: settings.refineGiven, refineOptions, softEdge: settings.softEdge, refineWorkers, maxPixels, recall, boxPrior, ...detect });
  try {
    if (classList !== undefined) detect.classes = classList === 'all' ? 'all' : resolveClassIds(classList, seg.info.classNames);
    if (stdin) {
      const bytes = await readStdin();
      const r = await seg.segment(bytes, { file: '<stdin>' });
      if (v.json) {
        console.log(JSON.stringify(resultJson(r, { image: '<stdin>', model: seg.info.model, settings: { ...detectSettingsJson(detect), refine: seg.info.refine } })));
        return 0;
      }
      const alpha = resultAlpha(r);
      const img = v['only-mask'] ? { data: alpha, width: r.width, height: r.height, channels: 1 as const } : cutout(r.image, alpha, { bgColor, crop: v.crop });
      const png = await encodeImage(img, 'png');
      await new Promise<void>((res, rej) => process.stdout.write(png, (err) => (err ? rej(err) : res())));
      return 0;
    }
    const ac = new AbortController();
    const batch: BatchOptions = {
      outDir,
      folder,
      concurrency,
      overwrite: v.overwrite ?? false,
      detect,
      filter: { minArea, maxCovered },
      refineOptions,
      ...outputs,
      signal: ac.signal,
      progress: v.json && progress === 'auto' ? 'silent' : progress,
    };
    // Ctrl-C / SIGTERM: images in flight finish and are recorded, then the summary; a second one quits now.
    const stop = (): void => {
      if (ac.signal.aborted) process.exit(130);
      console.error('animeseg segment: stopping after the images in flight (again to quit now)');
      ac.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const t0 = performance.now();
    try {
      const summary = await runBatch(seg, items, batch);
      if (v.watch) {
        console.error(`animeseg segment: ${formatSummary(summary)}\nwatching ${positionals.join(' ')} for new images (Ctrl-C ends)`);
        await watchInputs({
          list: () => list().catch(() => []),
          known: items.map((i) => i.path),
          signal: ac.signal,
          process: async (fresh) => {
            // A refusal (a user's file in the way) ends this round, not the watch.
            const report = (e: ImageEvent): void => console.error(`${e.item.path}: ${e.status}${e.status === 'ok' ? ` (${e.record?.instances} character(s))` : ''}${e.reason ? ` ${e.reason.split('\n')[0]}` : ''}`);
            const s = await runBatch(seg, fresh, { ...batch, progress: 'silent', onProgress: report }).catch((e: unknown) => {
              if (!(e instanceof AnimesegError)) throw e;
              console.error(`animeseg segment: ${e.describe()}`);
              return null;
            });
            if (s) addSummary(summary, s);
          },
        });
        summary.seconds = (performance.now() - t0) / 1000;
      }
      if (v.json) console.log(JSON.stringify(summary, null, 2));
      else console.error(formatSummary(summary));
      return summary.failed.length > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  } finally {
    await seg.dispose();
  }
}
