/**
 * `animeseg train --recipe anime`: the anime character model's whole recipe as one resumable run.
 *
 *   inputs     foregrounds split by character (split.ts), backgrounds split, generated backgrounds
 *   synth      composites: simple, enhanced, overlapping pairs, on generated backgrounds; val from held-out
 *              characters on held-out backgrounds
 *   coco       COCO persons (coco2yolo, class `person` as `character`) when an annotation file is given
 *   mix        one Ultralytics folder of links (+ empty-label backgrounds as negatives) and data.yaml
 *   base       one-class start from a COCO checkpoint's `person` channel (person-head.ts)
 *   train      Ultralytics fine-tuning through `train()`, ONNX export (resumes from last.pt)
 *   evaluate   Ultralytics-exact metrics and refined-mask quality on the val split; real-illustration count
 *   card       MODEL.md / recipe.json with data, settings and figures
 *
 * Each finished stage leaves OUT/stages/NAME.json; a rerun of the same command skips finished stages (the
 * synth sets also resume image by image, training from weights/last.pt). OUT/recipe.json pins the settings:
 * a rerun with other settings is refused, so one folder never mixes two recipes.
 */
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.js';
import { pathExists } from '../../util/exists.js';
import { listInputImages, listSplitImages } from '../../data/files.js';
import { labelPathFor, writeDataYaml } from '../../data/yaml.js';
import { runSynth } from '../../data/synth/run.js';
import type { SynthParams } from '../../data/synth/params.js';
import { writeGeneratedBackgrounds } from '../../data/synth/backgrounds.js';
import { coco2yolo } from '../../data/coco2yolo.js';
import { findUltralytics, type UltralyticsCommand } from '../ultralytics.js';
import { exportOnnx } from '../export.js';
import { train, summarizeEvaluation } from '../train.js';
import { renderMarkdown, type ModelCard } from '../card.js';
import { makeOneClassBase, setOnnxMetadata } from './person-head.js';
import { splitByCharacter, splitFiles } from './split.js';
import { bestConfByCount, countIllustrations, type IllustrationCount } from './illustrations.js';

export interface RecipeOptions {
  /** Run folder (everything goes here; rerun the same command to resume). */
  out: string;
  /** Folders of RGBA character cut-outs (searched recursively). */
  fg: string[];
  /** Folders of backgrounds without characters. */
  bg: string[];
  /** Path substrings to leave out of --fg/--bg (non-commercial folders, logos). */
  exclude?: string[];
  /** COCO instances JSON and its image folder: persons become `character` rows. */
  coco?: { annotations: string; images: string };
  /** COCO YOLOv8-seg checkpoint (or a one-class checkpoint to continue from). */
  base: string;
  /** Synthesized training images in all (split over the four kinds by RECIPE_SHARES). */
  images?: number;
  /** Validation composites (half simple, half enhanced). */
  valImages?: number;
  /** Generated backgrounds (white/flat/gradient/blocks/pattern/busy). */
  generatedBackgrounds?: number;
  /** Share of characters (by files) held out for validation. */
  valFraction?: number;
  epochs?: number;
  imgsz?: number;
  batch?: number;
  device?: string;
  /** Extra Ultralytics key=value pairs (override RECIPE_TRAIN_ARGS). */
  extra?: string[];
  /** Confidence written as recommended_conf into the ONNX metadata and used for the card's headline count. */
  conf?: number;
  /** Illustrations folder (images/ + info/*.json) for the real-illustration count. */
  illustrations?: string;
  seed?: number;
  /** WiSE-FT (wise-ft.ts): the recipe's model is wiseFt * trained + (1 - wiseFt) * wiseFrom (default: the
   * run's own one-class start, base.pt). Unset: the trained weights as they are. */
  wiseFt?: number;
  wiseFrom?: string;
  python?: string;
  workers?: number;
  ultralytics?: UltralyticsCommand;
  env?: NodeJS.ProcessEnv;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  log?: (line: string) => void;
}

/** Training settings of the anime recipe (the card of animeseg-char-n416: AdamW, gentle geometry, no plots). */
export const RECIPE_TRAIN_ARGS: readonly string[] = ['optimizer=AdamW', 'lr0=0.001', 'warmup_epochs=0.5', 'close_mosaic=2', 'degrees=10', 'hsv_h=0.02', 'fliplr=0.5', 'plots=False'];

/** Share of the synthesized training images per kind. */
export const RECIPE_SHARES = { simple: 0.17, enhanced: 0.43, pairs: 0.19, generated: 0.21 } as const;

/** The extras every synthesized set gets: SkyTNT-style grayscale/resampling and JPEG quality, colour casts. */
const EXTRAS: Partial<SynthParams> = { grayscaleProb: 0.05, resampleProb: 0.2, jpegQuality: [60, 95], castProb: 0.3 };

interface SynthSet {
  name: string;
  split: 'train' | 'val';
  fg: 'fg-train' | 'fg-val';
  bg: string;
  count: number;
  params: Partial<SynthParams>;
}

function synthSets(images: number, valImages: number): SynthSet[] {
  const n = (share: number) => Math.max(1, Math.round(images * share));
  const enhanced: Partial<SynthParams> = { mode: 'enhanced', maxForegrounds: 3, cropProb: 0.3, ...EXTRAS };
  return [
    { name: 'simple', split: 'train', fg: 'fg-train', bg: 'bg-train', count: n(RECIPE_SHARES.simple), params: { mode: 'simple', ...EXTRAS } },
    { name: 'enhanced', split: 'train', fg: 'fg-train', bg: 'bg-train', count: n(RECIPE_SHARES.enhanced), params: enhanced },
    {
      name: 'pairs',
      split: 'train',
      fg: 'fg-train',
      bg: 'bg-train',
      count: n(RECIPE_SHARES.pairs),
      params: { ...enhanced, maxForegrounds: 2, overlapProb: 0.8, scale: [0.6, 1.3], rotate: 15 },
    },
    { name: 'generated', split: 'train', fg: 'fg-train', bg: 'bg-generated-train', count: n(RECIPE_SHARES.generated), params: { ...enhanced, overlapProb: 0.5 } },
    { name: 'val-simple', split: 'val', fg: 'fg-val', bg: 'bg-val', count: Math.max(1, Math.floor(valImages / 2)), params: { mode: 'simple' } },
    {
      name: 'val-enhanced',
      split: 'val',
      fg: 'fg-val',
      bg: 'bg-val',
      count: Math.max(1, Math.ceil(valImages / 2)),
      params: { mode: 'enhanced', maxForegrounds: 2, overlapProb: 0.5, cropProb: 0.3, scale: [0.6, 1.3], rotate: 15 },
    },
  ];
}

/** Thresholds of the illustration sweep (the card of animeseg-char-n416 swept the same range). */
export const CONF_SWEEP = [0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55];

export interface RecipeResult {
  out: string;
  onnx: string;
  card: string;
  stages: Record<string, unknown>;
}

/** A finished stage's record, or run it and record it. */
async function stage<T>(out: string, name: string, log: (l: string) => void, run: () => Promise<T>): Promise<T> {
  const file = join(out, 'stages', `${name}.json`);
  if (await pathExists(file)) {
    log(`[${name}] done before, skipped`);
    return JSON.parse(await readFile(file, 'utf8')) as T;
  }
  log(`[${name}] ...`);
  const t0 = Date.now();
  const result = await run();
  await writeJsonAtomic(file, { ...(result as object), seconds: Math.round((Date.now() - t0) / 100) / 10 });
  log(`[${name}] done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** A folder of links to `files` (names made unique and stable by their index); rebuilt from scratch. */
async function linkFarm(dir: string, files: readonly string[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const width = String(files.length).length;
  await Promise.all(files.map((f, i) => symlink(resolve(f), join(dir, `${String(i).padStart(width, '0')}_${basename(f)}`))));
}

/**
 * The images under each folder, less those whose path BELOW that folder (written `/sub/dir/file.png`) contains
 * one of `exclude`. Below, not the whole path: `--fg data/ks --exclude /backgrounds/` leaves out the sprites
 * folder's backgrounds without also emptying `--bg data/ks/backgrounds` (which an earlier recipe run did,
 * silently training on generated backgrounds only). A folder that --exclude empties is an error.
 */
export async function listRecipeInputs(dirs: readonly string[], what: string, exclude: readonly string[]): Promise<{ file: string; root: string }[]> {
  const out: { file: string; root: string }[] = [];
  for (const d of dirs) {
    const root = resolve(d);
    const files = await listInputImages(d, what);
    const kept = files.filter((f) => {
      const below = '/' + relative(root, resolve(f)).split(sep).join('/');
      return !exclude.some((x) => below.includes(x));
    });
    if (kept.length === 0) {
      throw new AnimesegError('BAD_OPTION', `${what}: --exclude ${exclude.map((x) => `'${x}'`).join(' ')} leaves none of the ${files.length} images in this folder`, {
        file: d,
        hint: '--exclude matches the path below each --fg/--bg folder; drop the folder or change the --exclude text',
      });
    }
    for (const f of kept) out.push({ file: f, root });
  }
  return out;
}

/** Settings that define the run (a rerun must match them). */
function pinnedSettings(o: RecipeOptions): Record<string, unknown> {
  return {
    recipe: 'anime',
    fg: o.fg.map((d) => resolve(d)),
    bg: o.bg.map((d) => resolve(d)),
    exclude: o.exclude ?? [],
    coco: o.coco ? { annotations: resolve(o.coco.annotations), images: resolve(o.coco.images) } : null,
    base: o.base,
    images: o.images,
    valImages: o.valImages,
    generatedBackgrounds: o.generatedBackgrounds,
    valFraction: o.valFraction,
    epochs: o.epochs,
    imgsz: o.imgsz,
    batch: o.batch,
    extra: o.extra ?? [],
    seed: o.seed,
    // Only when set, so runs made before the option keep matching their recipe.json.
    ...(o.wiseFt !== undefined ? { wiseFt: o.wiseFt, wiseFrom: o.wiseFrom ? resolve(o.wiseFrom) : 'base.pt' } : {}),
  };
}

export async function runRecipe(opts: RecipeOptions): Promise<RecipeResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const env = opts.env ?? process.env;
  const o: RecipeOptions = {
    images: 5600,
    valImages: 300,
    generatedBackgrounds: 180,
    valFraction: 0.15,
    epochs: 12,
    imgsz: 416,
    batch: 16,
    seed: 0,
    conf: 0.45,
    // An option left undefined keeps its default.
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
  } as RecipeOptions;
  if (o.fg.length === 0) throw new AnimesegError('BAD_OPTION', 'the recipe needs at least one --fg folder of RGBA cut-outs');
  if (o.bg.length === 0) throw new AnimesegError('BAD_OPTION', 'the recipe needs at least one --bg folder of backgrounds');
  if (!(o.valFraction! > 0 && o.valFraction! < 1)) throw new AnimesegError('BAD_OPTION', `--val-fraction must be in (0, 1), got ${o.valFraction}`);
  if (!(await pathExists(o.base)) && /[\\/]/.test(o.base)) throw new AnimesegError('BAD_INPUT', 'base checkpoint not found', { file: o.base, hint: 'pass a COCO YOLOv8-seg .pt (e.g. ../shared/models/yolov8n-seg-coco.pt)' });
  const out = resolve(o.out);
  await mkdir(join(out, 'stages'), { recursive: true });

  const settings = pinnedSettings(o);
  const settingsFile = join(out, 'recipe.json');
  if (await pathExists(settingsFile)) {
    const prev = JSON.parse(await readFile(settingsFile, 'utf8')) as { settings?: unknown };
    if (JSON.stringify(prev.settings) !== JSON.stringify(settings)) {
      throw new AnimesegError('BAD_OPTION', 'this recipe folder holds a run with other settings or inputs', { file: settingsFile, hint: 'use a new --out folder, or rerun the original command to resume' });
    }
  } else await writeJsonAtomic(settingsFile, { settings });

  const u = o.ultralytics ?? (await findUltralytics({ python: o.python, env }));
  const inputsDir = join(out, 'inputs');
  const setsDir = join(out, 'sets');
  const stages: Record<string, unknown> = {};

  stages.inputs = await stage(out, 'inputs', log, async () => {
    const fgs = await listRecipeInputs(o.fg, 'foreground (--fg)', o.exclude ?? []);
    const bgs = (await listRecipeInputs(o.bg, 'background (--bg)', o.exclude ?? [])).map((x) => x.file);
    const chars = splitByCharacter(fgs, o.valFraction!, o.seed!);
    const bgSplit = splitFiles(bgs, o.valFraction!, o.seed!);
    const generated = await writeGeneratedBackgrounds({ out: join(inputsDir, 'generated'), count: o.generatedBackgrounds!, seed: o.seed });
    // Every 5th generated background is held out with the validation backgrounds.
    const genVal = generated.filter((_, i) => i % 5 === 4);
    const genTrain = generated.filter((_, i) => i % 5 !== 4);
    await linkFarm(join(inputsDir, 'fg-train'), chars.train);
    await linkFarm(join(inputsDir, 'fg-val'), chars.val);
    await linkFarm(join(inputsDir, 'bg-train'), [...bgSplit.train, ...genTrain]);
    await linkFarm(join(inputsDir, 'bg-generated-train'), genTrain);
    await linkFarm(join(inputsDir, 'bg-val'), [...bgSplit.val, ...genVal]);
    await writeJsonAtomic(join(out, 'split.json'), { characters: chars.groups, backgrounds: bgSplit });
    return {
      foregrounds: { train: chars.train.length, val: chars.val.length, characters: chars.groups.length, valCharacters: chars.groups.filter((g) => g.split === 'val').length },
      backgrounds: { train: bgSplit.train.length, val: bgSplit.val.length, generatedTrain: genTrain.length, generatedVal: genVal.length },
    };
  });

  const sets = synthSets(o.images!, o.valImages!);
  const synthStats: Record<string, unknown> = {};
  for (const s of sets) {
    synthStats[s.name] = await stage(out, `synth-${s.name}`, log, async () => {
      const r = await runSynth({
        fg: join(inputsDir, s.fg),
        bg: join(inputsDir, s.bg),
        out: join(setsDir, s.name),
        count: s.count,
        val: 0,
        workers: o.workers,
        params: { ...s.params, seed: o.seed! * 1000 + sets.indexOf(s) + 1 },
        progress: o.progress,
        log,
      });
      if (r.failed > 0) throw new AnimesegError('EXTERNAL_FAILED', `synth set ${s.name}: ${r.failed} images failed (see above); rerun to retry them`);
      return { split: s.split, images: r.written + r.resumed, rows: r.rows, params: s.params };
    });
  }
  stages.synth = synthStats;

  if (o.coco) {
    stages.coco = await stage(out, 'coco', log, async () => {
      const r = await coco2yolo({ annotations: o.coco!.annotations, images: o.coco!.images, out: join(setsDir, 'coco'), classes: ['person'], names: ['character'], split: 'train', link: 'symlink', force: true, progress: o.progress });
      return { images: r.labelFiles, rows: r.rows };
    });
  }

  const mixDir = join(out, 'mix');
  const dataYaml = join(mixDir, 'data.yaml');
  stages.mix = await stage(out, 'mix', log, async () => {
    await rm(mixDir, { recursive: true, force: true });
    const counts: Record<string, { split: string; images: number }> = {};
    const add = async (split: 'train' | 'val', name: string, images: string[], labelOf: (img: string) => string | null) => {
      const imgDir = join(mixDir, 'images', split);
      const labDir = join(mixDir, 'labels', split);
      await mkdir(imgDir, { recursive: true });
      await mkdir(labDir, { recursive: true });
      for (const img of images) {
        const stem = `${name}__${basename(img).replace(/\.[^.]+$/, '')}`;
        await symlink(resolve(img), join(imgDir, `${stem}${img.slice(img.lastIndexOf('.'))}`));
        const lab = labelOf(img);
        if (lab) await symlink(resolve(lab), join(labDir, `${stem}.txt`));
        else await writeFile(join(labDir, `${stem}.txt`), ''); // a negative: no character
      }
      counts[name] = { split, images: images.length };
    };
    const labelOf = (img: string) => labelPathFor(img);
    for (const s of sets) await add(s.split, s.name, await listSplitImages(join(setsDir, s.name, 'images', 'train')), labelOf);
    if (o.coco) await add('train', 'coco', await listSplitImages(join(setsDir, 'coco', 'images', 'train')), labelOf);
    await add('train', 'negatives', await listSplitImages(join(inputsDir, 'bg-train')), () => null);
    await writeDataYaml(dataYaml, { root: mixDir, train: 'images/train', val: 'images/val', names: ['character'], comment: 'written by animeseg train --recipe anime' });
    return { counts };
  });

  const basePt = join(out, 'base.pt');
  stages.base = await stage(out, 'base', log, async () => ({ source: o.base, ...(await makeOneClassBase(u, o.base, basePt, 'character', env)) }));

  const project = join(out, 'runs');
  const trained = await stage(out, 'train', log, async () => {
    const resume = await pathExists(join(project, 'train', 'weights', 'last.pt'));
    // A start that died before its first epoch left nothing to resume: start that folder afresh.
    if (!resume) await rm(join(project, 'train'), { recursive: true, force: true });
    const r = await train({
      ...(resume ? { resume: true } : { data: dataYaml, model: basePt, epochs: o.epochs, imgsz: o.imgsz, batch: o.batch, device: o.device ?? 'cpu', extra: [...RECIPE_TRAIN_ARGS, ...(o.extra ?? [])] }),
      project,
      name: 'train',
      ultralytics: u,
      env,
      evaluate: false,
      skipCheck: true,
      progress: o.progress,
      log,
    });
    if (r.status !== 'completed' || !r.exported || !r.card) {
      throw new AnimesegError('EXTERNAL_FAILED', 'training was interrupted; rerun the same command to resume it', { file: r.runDir });
    }
    return { onnx: r.exported.onnx, command: r.command, epochs: r.rows.length, card: r.card };
  });
  stages.train = { onnx: trained.onnx, command: trained.command, epochs: trained.epochs };

  // The model the later stages measure and the run delivers: the trained weights, or their WiSE-FT mix.
  let model = trained.onnx;
  if (o.wiseFt !== undefined) {
    const wise = await stage(out, 'wise-ft', log, async () => {
      const from = o.wiseFrom ? resolve(o.wiseFrom) : basePt;
      const r = await exportOnnx({ weights: join(project, 'train', 'weights', 'best.pt'), imgsz: o.imgsz, out: join(project, 'train', 'wise-ft.onnx'), wise: { alpha: o.wiseFt!, pretrained: from }, ultralytics: u, env });
      return { onnx: r.onnx, alpha: o.wiseFt, from, command: r.command };
    });
    stages['wise-ft'] = wise;
    model = wise.onnx;
  }

  stages.metadata = await stage(out, 'metadata', log, async () => {
    // Ultralytics' description names the data.yaml's absolute path: a local folder nobody else has.
    const description = 'anime character segmentation (YOLOv8-seg, one class), trained by animeseg train --recipe anime';
    await setOnnxMetadata(u, model, { recommended_conf: String(o.conf), description }, env);
    return { recommended_conf: o.conf, description };
  });

  stages.evaluate = await stage(out, 'evaluate', log, async () => {
    const { evaluate } = await import('../../eval/index.js');
    const report = await evaluate({ data: dataYaml, split: 'val', model, refine: 'regions', out: join(out, 'eval'), progress: o.progress });
    return { report: summarizeEvaluation(report) };
  });

  if (o.illustrations) {
    stages.illustrations = await stage(out, 'illustrations', log, async () => ({ count: await countIllustrations(model, o.illustrations!, CONF_SWEEP) }));
  }

  const cardFile = join(out, 'MODEL.md');
  await writeFileAtomic(cardFile, recipeCard(o, trained.card, stages));
  await writeJsonAtomic(join(out, 'recipe.json'), { settings, stages });
  log(`model: ${model}\ncard: ${cardFile}`);
  return { out, onnx: model, card: cardFile, stages };
}

/** The training card plus the recipe: data mix, split, settings, figures. */
function recipeCard(o: RecipeOptions, card: ModelCard, stages: Record<string, unknown>): string {
  const lines: string[] = [renderMarkdown(card), '', '## Recipe (animeseg train --recipe anime)', ''];
  const inputs = stages.inputs as { foregrounds: Record<string, number>; backgrounds: Record<string, number> };
  lines.push(`- Foregrounds: ${inputs.foregrounds.train} files for training, ${inputs.foregrounds.val} held out (${inputs.foregrounds.valCharacters} of ${inputs.foregrounds.characters} character groups; split.json lists them)`);
  lines.push(`- Backgrounds: ${inputs.backgrounds.train} + ${inputs.backgrounds.generatedTrain} generated for training; ${inputs.backgrounds.val} + ${inputs.backgrounds.generatedVal} generated held out`);
  if ((o.exclude ?? []).length) lines.push(`- Left out (path below --fg/--bg contains): ${o.exclude!.join(', ')}`);
  const mix = (stages.mix as { counts: Record<string, { split: string; images: number }> }).counts;
  lines.push('', '| set | split | images |', '|---|---|---|', ...Object.entries(mix).map(([k, v]) => `| ${k} | ${v.split} | ${v.images} |`));
  const base = stages.base as { source: string; how: string };
  lines.push('', `- Start: ${base.source}: ${base.how}`);
  lines.push(`- Training: ${(stages.train as { command: string }).command}`);
  const wise = stages['wise-ft'] as { alpha: number; from: string } | undefined;
  if (wise) lines.push(`- Model: WiSE-FT weights ${wise.alpha} x trained (best.pt) + ${+(1 - wise.alpha).toFixed(4)} x ${wise.from}; the figures below are this model's`);
  const ev = (stages.evaluate as { report?: { ultralytics?: { mean?: Record<string, number> }; quality?: { sources?: Record<string, { fgIoU?: number }> } } }).report;
  if (ev?.ultralytics?.mean) {
    const m = ev.ultralytics.mean;
    const f = (k: string) => (typeof m[k] === 'number' ? m[k].toFixed(3) : '?');
    lines.push(`- Validation (held-out characters on held-out backgrounds): Box mAP50 ${f('metrics/mAP50(B)')} mAP50-95 ${f('metrics/mAP50-95(B)')}; Mask mAP50 ${f('metrics/mAP50(M)')} mAP50-95 ${f('metrics/mAP50-95(M)')}`);
    const q = ev.quality?.sources ?? {};
    lines.push(`- Mean foreground IoU: YOLO masks ${q.none?.fgIoU?.toFixed(3) ?? '?'}, --refine regions ${q.regions?.fgIoU?.toFixed(3) ?? '?'}`);
  }
  const il = (stages.illustrations as { count?: IllustrationCount } | undefined)?.count;
  if (il) {
    lines.push('', `Real illustrations (${il.images} images, ${il.listed} listed characters, never trained on; ${il.secondsPerImage.toFixed(3)} s/image):`, '', '| conf | exact | found | extra |', '|---|---|---|---|');
    for (const r of il.rows) lines.push(`| ${r.conf}${r.conf === o.conf ? ' (recommended)' : ''} | ${r.exact}/${il.images} | ${r.found}/${il.listed} | ${r.extra} |`);
  }
  lines.push('', `Recommended conf ${o.conf} (ONNX metadata recommended_conf).`);
  if (il) lines.push(`Most found minus extra on the sweep: conf ${bestConfByCount(il.rows)} (chosen on the counted illustrations themselves: confirm on other art before passing it as --conf).`);
  return lines.join('\n') + '\n';
}

/** For messages: where a recipe run keeps its ONNX. */
export function recipeOnnxPath(out: string): string {
  return join(resolve(out), 'runs', 'train', 'train.onnx');
}
