/**
 * animeseg segment: cut characters out of images. A thin layer over createSegmenter + runBatch.
 */
import { resolve } from 'node:path';
import { AnimesegError, invalidParameterError } from '../../errors.js';
import { PROGRESS_OPTION, requireExistingPaths, usageError } from '../args.js';
import { defineCommand, type ValuesOf } from '../schema-args.js';
import { DEVICE_OPTION } from '../run-options.js';
import { RECALL_DEFAULTS, SEGMENT_OPTIONS, type OptionSpec } from '../../pipeline/options.js';
import { createSegmenter, type Segmenter } from '../../pipeline/segmenter.js';
import { detectOptionsOf, settingsJson, type SegmentOptions } from '../../pipeline/settings.js';
import { segmentOptionsOf, type SharedOptionValues } from '../../pipeline/segment-options.js';
import { DEFAULT_MAX_COVERED } from '../../pipeline/instance-filter.js';
import { DEFAULT_MODEL } from '../../models/resolver/index.js';
import { BOX_PRIORS, DEFAULT_BOX_PRIOR } from '../../pipeline/box-prior.js';
import { expandInputs, type InputItem } from '../../pipeline/run/inputs.js';
import { formatSummary, planInference, planRefine, prepareBatch, runBatch, segmentForRun, type BatchOptions, type ImageEvent } from '../../pipeline/run/batch.js';
import { OutputFolder } from '../../pipeline/run/output-folder.js';
import { addSummary, watchInputs } from '../../pipeline/run/watch.js';
import { cutout, parseColor, resultAlpha, resultJson } from '../../pipeline/outputs.js';
import { encodeImage } from '../../image/encode.js';
import type { CropSpec } from '../../pipeline/crops.js';
import { flagOf } from '../../util/option-spec.js';
import { findRefiner, REFINER_NAMES, REFINERS, refinersTaking, type RefinerFlag, type RefinerFlags, type RefinerName, type RefinerOptions } from '../../refine/index.js';

const HEAD = `Usage: animeseg segment <files|folders|globs...> -o OUT [options]
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
that no run record claims are never replaced (the run stops before loading the model) unless --overwrite.`;

// The options of this command beside the shared detection/output ones (SEGMENT_OPTIONS): what this CLI alone
// has, each declared once; SEGMENT_TABLE below puts both in the order of the usage text.
const CLI_ONLY = [
  { key: 'out', short: 'o', type: 'string', metavar: 'DIR', help: 'output folder (required unless input is -)' },
  {
    key: 'model',
    type: 'string',
    metavar: 'NAME|PATH[,..]',
    help: `model name from 'animeseg models list' or a .onnx path (default: ${DEFAULT_MODEL}, shipped;\nyolov8n-seg-int8 for COCO classes); YOLOv8 segment or detection exports; several (a,b) are fused (docs/DETECTION.md)`,
  },
  { key: 'tta', type: 'enum', choices: ['none', 'flip'], default: RECALL_DEFAULTS.tta, defaultHelp: '', metavar: 'flip', help: 'also run the models on the mirrored image (recall aid)' },
  { key: 'tiles', type: 'boolean', help: 'also run the models on 2x2 overlapping tiles (small characters)' },
  { key: 'second_pass', type: 'boolean', help: 'also run the models on the largest salient region nothing was found in' },
  // No default value: absent, the segmenter picks it (DEFAULT_BOX_PRIOR, for detection-only models).
  { key: 'box_prior', type: 'enum', choices: BOX_PRIORS, defaultHelp: DEFAULT_BOX_PRIOR, metavar: 'NAME', help: 'coarse mask for boxes of detection-only models: colour | ellipse | box' },
  // The SAM options stay undefined when absent: given with a refiner that does not take them they are a mistake (refinerOptionsFromFlags).
  { key: 'sam_model', type: 'string', defaultHelp: 'sam-vit-b', metavar: 'NAME', help: "SAM encoder/decoder pair for vote|box from 'animeseg models list'" },
  { key: 'sam_encoder', type: 'string', metavar: 'PATH', help: 'a SAM encoder .onnx (with --sam-decoder, instead of --sam-model)' },
  { key: 'sam_decoder', type: 'string', metavar: 'PATH', help: 'a SAM decoder .onnx' },
  { key: 'sam_preset', type: 'enum', choices: ['original', 'sam'], defaultHelp: '', help: "AMG settings for vote: original = the original method's (default), sam = segment-anything's" },
  { key: 'box_points', type: 'integer', min: 0, max: 32, defaultHelp: '3', metavar: 'N', help: 'positive points per character for --refine box' },
  { key: 'overlay', type: 'boolean', help: 'also write an overlay picture with masks, boxes and scores' },
  {
    key: 'crops',
    type: 'string',
    metavar: 'square|N',
    help: 'also write a training crop per character, NAME.instNN.crop.png: its cutout centred\non a square (longer side + margin), scaled to N x N when N is given (e.g. 512, 768, 1024)',
  },
  { key: 'crop_bg', type: 'string', metavar: 'C', help: "crop background: transparent (default, PNG) or a colour like '#fff' (JPEG, no alpha)" },
  // Undefined when absent, to tell a stray --crop-margin (without --crops) from the default (cropOptions).
  { key: 'crop_margin', type: 'number', min: 0, max: 1, defaultHelp: '0', metavar: 'F', help: "margin on each side as a fraction of the character's longer side" },
  { key: 'json', type: 'boolean', help: 'print the run summary as JSON on stdout (with -: the instances JSON instead of a PNG)' },
  { key: 'concurrency', type: 'integer', default: 4, min: 1, max: 64, metavar: 'N', help: 'images in flight' },
  { key: 'overwrite', type: 'boolean', help: 'redo every image and replace existing files even if animeseg did not write them' },
  { key: 'skip_empty', type: 'boolean', help: 'write only NAME.json for images with no character (no cutout, mask or overlay)' },
  { key: 'min_area', type: 'number', default: 0, min: 0, max: 1, metavar: 'F', help: 'drop characters smaller than this fraction of the image' },
  {
    key: 'max_covered',
    type: 'number',
    default: DEFAULT_MAX_COVERED,
    min: 0,
    max: 1,
    defaultHelp: `${DEFAULT_MAX_COVERED}; 1 keeps all`,
    metavar: 'F',
    help: 'drop a character when more than this fraction of its mask lies under\nhigher-scoring ones',
  },
  { key: 'watch', type: 'boolean', help: 'keep running: process new files as they appear in the inputs (Ctrl-C ends)' },
  { key: 'max_pixels', type: 'integer', default: 100_000_000, min: 1, metavar: 'N', help: 'refuse larger images' },
  DEVICE_OPTION,
  // No default value: absent, the library plans threads (planInference).
  {
    key: 'threads',
    type: 'integer',
    min: 1,
    max: 256,
    metavar: 'N',
    help: 'onnxruntime threads per model run (default: one per core for a single image;\nwith several images in flight, one inference worker per core, 1 thread each)',
  },
  PROGRESS_OPTION,
] as const satisfies readonly OptionSpec[];

type Shared = (typeof SEGMENT_OPTIONS)[number];
type Own = (typeof CLI_ONLY)[number];
const shared = <K extends Shared['key']>(key: K) => SEGMENT_OPTIONS.find((o) => o.key === key) as Extract<Shared, { key: K }>;
const own = <K extends Own['key']>(key: K) => CLI_ONLY.find((o) => o.key === key) as Extract<Own, { key: K }>;

/** Every option of `segment`, in usage order: the shared table's entries and this command's own. */
export const SEGMENT_TABLE = [
  own('out'),
  own('model'),
  shared('conf'),
  shared('iou'),
  shared('max_det'),
  shared('classes'),
  shared('agnostic'),
  {
    ...shared('refine'),
    defaultHelp: '',
    // One line per refiner from the registry (none is the default, said in the first line).
    help: [`${REFINER_NAMES.join(' | ')} (default none; regions with a detection-only model):`, ...REFINERS.filter((r) => r.name !== 'none').map((r) => `  ${r.name.padEnd(7)}  ${r.description}`)].join('\n'),
  },
  own('tta'),
  own('tiles'),
  own('second_pass'),
  own('box_prior'),
  shared('soft_edge'),
  own('sam_model'),
  own('sam_encoder'),
  own('sam_decoder'),
  own('sam_preset'),
  own('box_points'),
  shared('instances'),
  own('overlay'),
  { ...shared('only_mask'), help: 'write the mask and JSON, no cutout (with --instances: NAME.instNN.mask.png per character)' },
  shared('bg_color'),
  shared('crop'),
  own('crops'),
  own('crop_bg'),
  own('crop_margin'),
  shared('format'),
  own('json'),
  own('concurrency'),
  own('overwrite'),
  own('skip_empty'),
  own('min_area'),
  own('max_covered'),
  own('watch'),
  own('max_pixels'),
  own('device'),
  own('threads'),
  own('progress'),
] as const;

// An option of either table left out of SEGMENT_TABLE is a bug of ours, found when the command loads.
for (const o of [...CLI_ONLY, ...SEGMENT_OPTIONS] as readonly OptionSpec[]) {
  if (o.cli !== false && !SEGMENT_TABLE.some((t) => t.key === o.key)) throw new Error(`segment: option ${o.key} is missing from SEGMENT_TABLE`);
}

/**
 * How this process runs rather than what it writes: `queue add` leaves these to its workers (or, --progress,
 * has its own). Every other option decides the outputs, and the run's settings hash.
 */
export const RUN_ONLY = ['json', 'concurrency', 'watch', 'device', 'threads', 'progress'] as const;
type Option = (typeof SEGMENT_TABLE)[number];
type OutputOption = Exclude<Option, { key: (typeof RUN_ONLY)[number] | 'out' }>;
const decidesOutputs = (o: Option): o is OutputOption => o.key !== 'out' && !(RUN_ONLY as readonly string[]).includes(o.key);
/** The options that decide what a run writes (beside where: --out), in usage order: `queue add` takes them too. */
export const SEGMENT_OUTPUT_OPTIONS: readonly OutputOption[] = SEGMENT_TABLE.filter(decidesOutputs);

export const command = defineCommand({
  name: 'segment',
  head: HEAD,
  options: SEGMENT_TABLE,
  foot: 'Exit: 0 all ok, 1 some images failed, 2 usage error.',
  positionals: true,
});
export const usage = command.usage;

/** The values segmentSettings reads: those of SEGMENT_OUTPUT_OPTIONS (a `queue add` parse has them as well). */
export type SegmentOutputValues = ValuesOf<typeof SEGMENT_OUTPUT_OPTIONS>;

/**
 * Refiner options from the refiner flags. Each refiner's descriptor names the flags it takes: given with
 * another refiner they are a mistake the user should hear about rather than have ignored.
 */
function refinerOptionsFromFlags(v: SegmentOutputValues, refine: RefinerName): RefinerOptions {
  const refiner = findRefiner(refine);
  const flags: RefinerFlags = { sam_model: v['sam-model'], sam_encoder: v['sam-encoder'], sam_decoder: v['sam-decoder'], sam_preset: v['sam-preset'], box_points: v['box-points'] };
  for (const [flag, value] of Object.entries(flags) as [RefinerFlag, unknown][]) {
    if (value === undefined || refiner?.options.includes(flag)) continue;
    throw new AnimesegError('BAD_OPTION', `--${flagOf(flag)} needs ${refinersTaking(flag).map((n) => `--refine ${n}`).join(' or ')}`);
  }
  if ((flags.sam_encoder === undefined) !== (flags.sam_decoder === undefined)) {
    throw new AnimesegError('BAD_OPTION', '--sam-encoder and --sam-decoder go together', { hint: 'or name a pair with --sam-model' });
  }
  return refiner?.fromFlags?.(flags) ?? {};
}

/** --crops square|N, --crop-bg transparent|COLOR, --crop-margin F (the last two need --crops). */
function cropOptions(v: SegmentOutputValues): CropSpec | undefined {
  if (v.crops === undefined) {
    const stray = (['crop-bg', 'crop-margin'] as const).find((k) => v[k] !== undefined);
    if (stray) throw usageError(`--${stray} needs --crops square|N`);
    return undefined;
  }
  const side = /^\d+$/.test(v.crops) ? Number(v.crops) : NaN;
  if (v.crops !== 'square' && !(side >= 16 && side <= 8192)) throw invalidParameterError('--crops', 'square or a side in pixels from 16 to 8192 (e.g. 512)', v.crops);
  const size = v.crops === 'square' ? 'square' : side;
  const bg = v['crop-bg'] === undefined || v['crop-bg'].trim().toLowerCase() === 'transparent' ? undefined : parseColor(v['crop-bg'], '--crop-bg');
  // margin 0 written out when absent (CropSpec's own default): it is part of the settings hash of earlier runs.
  return { size, bg, margin: v['crop-margin'] ?? 0 };
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** What the flags of a run say: every segmentation setting as given, and how large an input may be. */
export interface SegmentFlags {
  /** Resolved against the model by the settings resolver (src/pipeline/settings.ts), in the segmenter. */
  options: SegmentOptions;
  /** --max-pixels (how to load inputs, not a segmentation setting). */
  maxPixels: number;
}

/**
 * The settings of the options that decide the outputs (cross-option rules are usage errors; each value was
 * read and range-checked by the table). The shared table's values go through segmentOptionsOf, as the
 * server's do; this command's own options are added here. `queue add` parses with the same entries and
 * calls this function, so a queued run and a `segment` run of the same flags agree.
 */
export function segmentSettings(v: SegmentOutputValues): SegmentFlags {
  const byKey = Object.fromEntries((SEGMENT_OPTIONS as readonly OptionSpec[]).filter((o) => o.cli !== false).map((o) => [o.key, v[flagOf(o.key) as keyof SegmentOutputValues]])) as SharedOptionValues;
  const shared = segmentOptionsOf(byKey, (k) => `--${flagOf(k)}`);
  // The refiner as given (undefined: the model's default, e.g. regions for detection-only models).
  const refineOptions = refinerOptionsFromFlags(v, shared.refine ?? 'none');
  const crops = cropOptions(v);
  if (crops && v['only-mask']) throw usageError('--crops writes cutouts; it cannot be combined with --only-mask');
  const options: SegmentOptions = {
    ...shared,
    refineOptions,
    recall: { tta: v.tta, tiles: v.tiles, secondPass: v['second-pass'] },
    boxPrior: v['box-prior'],
    filter: { minArea: v['min-area'], maxCovered: v['max-covered'] },
    outputs: { ...shared.outputs, overlay: v.overlay, crops, skipEmpty: v['skip-empty'] },
  };
  return { options, maxPixels: v['max-pixels'] };
}

type Values = ReturnType<typeof command.parse>['values'];

/** The rules between inputs and options that the table cannot say (each a usage error, exit 2). */
function checkUsage(v: Values, positionals: string[], options: SegmentOptions): void {
  if (positionals.length === 0) throw usageError('no input given', 'give image files, folders, globs, or - for stdin');
  if (!positionals.includes('-') && !v.out) throw usageError('missing -o OUT (the output folder)');
  if (positionals.includes('-') && positionals.length > 1) throw usageError("'-' (stdin) cannot be combined with other inputs");
  if (options.outputs?.crops && positionals.includes('-')) throw usageError('--crops writes files per character: give -o OUT and input files, not - (stdin)');
  if (v.watch && positionals.includes('-')) throw usageError('--watch needs input files or folders, not -');
}

/**
 * The segmenter of a run: the flags' settings, with inference and pure-CPU refinement planned on worker
 * threads when several images are in flight on the CPU (planInference, planRefine).
 */
function loadSegmenter(v: Values, flags: SegmentFlags, images: number): Promise<Segmenter> {
  const { options, maxPixels } = flags;
  const single = images === 0 || v.device === 'cuda';
  const plan = single ? { workers: 1, threads: v.threads } : planInference(v.concurrency, images, v.threads);
  const refineWorkers = single ? 0 : planRefine(options.refine ?? 'none', options.softEdge === true, v.concurrency, images);
  return createSegmenter({ ...options, model: v.model, device: v.device, threads: plan.threads, inferenceWorkers: plan.workers, refineWorkers, maxPixels });
}

/**
 * `segment -`: the image on stdin; the PNG cutout (or mask, or --json the instances JSON) on stdout. It is
 * segmented and filtered as a batch image is (segmentForRun), so the flags' instance filter applies and is
 * recorded in the JSON settings.
 */
async function segmentStdin(seg: Segmenter, options: SegmentOptions, json: boolean): Promise<number> {
  const r = await segmentForRun(seg, await readStdin(), { detect: detectOptionsOf(options), filter: options.filter, ...options.outputs }, '<stdin>');
  if (json) {
    console.log(JSON.stringify(resultJson(r, { image: '<stdin>', model: seg.info.model, settings: settingsJson(r.settings, seg.info) })));
    return 0;
  }
  const { onlyMask, bgColor, crop } = r.settings.outputs;
  const alpha = resultAlpha(r);
  const img = onlyMask ? { data: alpha, width: r.width, height: r.height, channels: 1 as const } : cutout(r.image, alpha, { bgColor, crop });
  const png = await encodeImage(img, 'png');
  await new Promise<void>((res, rej) => process.stdout.write(png, (err) => (err ? rej(err) : res())));
  return 0;
}

/** The images of a run's inputs, never its own outputs; none is an error before any model loads (unless watching). */
async function listInputs(v: Values, positionals: string[], outDir: string, folder: OutputFolder) {
  const list = (): Promise<InputItem[]> =>
    expandInputs(positionals, [outDir], { excludeFile: (p) => folder.isOurs(p), onWarning: (m) => console.error(`animeseg segment: ${m}`) });
  const items = await list().catch((e: unknown) => (v.watch && e instanceof AnimesegError && /no image matches/.test(e.message) ? [] : Promise.reject(e)));
  if (items.length === 0 && !v.watch) {
    // Checked before loading the model: a wrong folder should not cost a model load (or a download).
    throw new AnimesegError('BAD_INPUT', `no images found in ${positionals.join(' ')}`, {
      hint: 'give image files (jpg png webp avif gif tiff bmp), folders that contain them, or globs',
    });
  }
  return { items, list };
}

export async function run(argv: string[]): Promise<number> {
  // Every check here throws BAD_OPTION: src/cli/main.ts prints it and exits 2.
  const { values: v, positionals } = command.parse(argv);
  const flags = segmentSettings(v);
  checkUsage(v, positionals, flags.options);
  await requireExistingPaths(positionals, 'check the path (folders are searched recursively; globs like "imgs/*.jpg" work too)');
  if (positionals[0] === '-') {
    const seg = await loadSegmenter(v, flags, 0);
    try {
      return await segmentStdin(seg, flags.options, v.json);
    } finally {
      await seg.dispose();
    }
  }
  const outDir = resolve(v.out!);
  // The output folder is checked (writable, manifest repaired) before anything else, so a wrong -o costs
  // neither a walk of the inputs nor a model load; its own outputs are never taken as inputs.
  // ... and locked (OUT/.animeseg.lock): a second run on the folder is refused while this one runs.
  const folder = await OutputFolder.open(outDir, { exclusive: true });
  try {
    const { items, list } = await listInputs(v, positionals, outDir, folder);
    const { options } = flags;
    // Refusing to replace a user's files, and removing a killed run's temp files, also come before the model.
    await prepareBatch(items, { outDir, folder, overwrite: v.overwrite, ...options.outputs });
    const seg = await loadSegmenter(v, flags, items.length);
    try {
      const batch: BatchOptions = {
        outDir,
        folder,
        concurrency: v.concurrency,
        overwrite: v.overwrite,
        detect: detectOptionsOf(options),
        filter: options.filter,
        refineOptions: options.refineOptions,
        ...options.outputs,
        progress: v.json && v.progress === 'auto' ? 'silent' : v.progress,
      };
      return await runFiles(seg, items, list, batch, { watch: v.watch, json: v.json, inputs: positionals });
    } finally {
      await seg.dispose();
    }
  } finally {
    await folder.close();
  }
}

/**
 * The batch, then (--watch) new images as they appear, with the summary at the end. Ctrl-C / SIGTERM: images
 * in flight finish and are recorded, then the summary; a second one quits now.
 */
async function runFiles(seg: Segmenter, items: InputItem[], list: () => Promise<InputItem[]>, batchOptions: BatchOptions, o: { watch: boolean; json: boolean; inputs: string[] }): Promise<number> {
  const ac = new AbortController();
  const batch: BatchOptions = { ...batchOptions, signal: ac.signal };
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
    // A run stopped by a full disk or a read-only folder ends here, watching or not.
    if (o.watch && summary.stopped === undefined) {
      console.error(`animeseg segment: ${formatSummary(summary)}\nwatching ${o.inputs.join(' ')} for new images (Ctrl-C ends)`);
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
          if (s?.stopped !== undefined) ac.abort();
        },
      });
      summary.seconds = (performance.now() - t0) / 1000;
    }
    if (o.json) console.log(JSON.stringify(summary, null, 2));
    else console.error(formatSummary(summary));
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
