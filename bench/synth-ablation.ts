/**
 * Which `synth` options help on real art? Each option measured on and off (issue 20, item 2) by the
 * real-illustration count, at a budget a 2-core machine can afford: from one checkpoint, every variant
 * fine-tunes the same number of steps on its own composites, and only the option differs.
 *
 *   base      enhanced mode (1-3 characters, crop 0.3) on REAL backgrounds, no extras
 *   variant   base + one option (scene colour, generated backgrounds, close-ups, overlap, line art, grayscale,
 *             bubbles, colour casts, JPEG/resampling artefacts)
 *   --seeds   every variant runs once per seed (synth and training): the spread between seeds is the noise
 *
 * Each variant's training set also holds negatives (the recipe's real training backgrounds, empty labels).
 *
 * Inputs come from a finished `animeseg train --recipe anime` run (its character/background split, so
 * the held-out characters stay held out); the illustrations are only counted, never trained on.
 * Every variant's outputs stay in --out/VARIANT; a rerun skips finished variants (their result.json) and
 * leaves the input links alone, so a second invocation can print the table while the first still trains.
 *
 *   npx tsx bench/synth-ablation.ts --recipe-run RUN --model CHECKPOINT.pt --out DIR [--start-onnx CHECKPOINT.onnx]
 *     [--images 640] [--lr 0.0002] [--only base,closeup]
 *
 * Slow by nature (minutes per variant on CPU): run it with `nice` in the background.
 */
import { parseArgs } from 'node:util';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { runSynth } from '../src/data/synth/run.js';
import type { SynthParams } from '../src/data/synth/params.js';
import { writeDataYaml } from '../src/data/yaml.js';
import { train } from '../src/train/train.js';
import { bestConfByCount, countIllustrations, type IllustrationCount } from '../src/train/recipe/illustrations.js';
import { CONF_SWEEP } from '../src/train/recipe/recipe.js';
import { writeJsonAtomic } from '../src/util/atomic.js';
import { pathExists } from '../src/util/exists.js';

const SHARED = new URL('../../shared/', import.meta.url).pathname;
const { values: args } = parseArgs({
  options: {
    'recipe-run': { type: 'string' },
    model: { type: 'string' },
    out: { type: 'string' },
    images: { type: 'string', default: '640' },
    lr: { type: 'string', default: '0.0002' },
    only: { type: 'string' },
    /** Synth and training seeds; each variant runs once per seed (the spread between seeds is the noise). */
    seeds: { type: 'string', default: '1,2' },
    python: { type: 'string' },
    illustrations: { type: 'string', default: join(SHARED, 'data/illustrations') },
    /** The starting checkpoint's ONNX, counted as the reference row (before any fine-tune). */
    'start-onnx': { type: 'string' },
  },
});
if (!args['recipe-run'] || !args.model || !args.out) throw new Error('--recipe-run RUN, --model CHECKPOINT.pt and --out DIR are required');
const run = resolve(args['recipe-run']);
const out = resolve(args.out);
const images = Number(args.images);

/** The base every variant starts from: what the recipe's `enhanced` set does, minus its extras. */
const BASE: Partial<SynthParams> = { mode: 'enhanced', maxForegrounds: 3, cropProb: 0.3 };

interface Variant {
  name: string;
  /** What it changes, for the table. */
  what: string;
  params: Partial<SynthParams>;
  /** Backgrounds: real only, or real + the recipe's generated ones (white/flat/gradient/blocks/pattern/busy). */
  bg: 'real' | 'real+generated';
}
const VARIANTS: Variant[] = [
  { name: 'base', what: 'option off (base)', params: {}, bg: 'real' },
  { name: 'harmonize', what: 'scene colour 0.5 (mean moved 0.15-0.45 toward the background)', params: { harmonizeProb: 0.5 }, bg: 'real' },
  { name: 'generated-bg', what: 'generated backgrounds (2 of 3 images)', params: {}, bg: 'real+generated' },
  { name: 'closeup', what: 'close-ups 0.3 (bust/face, scale 1.3-2.2)', params: { closeupProb: 0.3 }, bg: 'real' },
  { name: 'overlap', what: 'overlapping characters 0.6', params: { overlapProb: 0.6 }, bg: 'real' },
  { name: 'lineart', what: 'line art/sketch 0.15', params: { lineartProb: 0.15 }, bg: 'real' },
  { name: 'grayscale', what: 'grayscale 0.15', params: { grayscaleProb: 0.15 }, bg: 'real' },
  { name: 'bubbles', what: 'speech bubbles 0.3', params: { bubbleProb: 0.3 }, bg: 'real' },
  { name: 'cast', what: 'light/colour casts 0.4', params: { castProb: 0.4 }, bg: 'real' },
  { name: 'artefacts', what: 'resampling 0.3 + JPEG q50-90', params: { resampleProb: 0.3, jpegQuality: [50, 90] }, bg: 'real' },
];

/** The fine-tune every variant gets: the recipe's settings at a low, constant lr, one epoch, no mosaic. */
function trainArgs(seed: number): string[] {
  return ['optimizer=AdamW', `lr0=${args.lr}`, 'lrf=1', 'warmup_epochs=0', 'mosaic=0', 'close_mosaic=0', 'degrees=10', 'hsv_h=0.02', 'fliplr=0.5', 'plots=False', `seed=${seed}`];
}

async function linkDir(dir: string, files: string[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await Promise.all(files.map((f, i) => symlink(resolve(f), join(dir, `${i}_${basename(f)}`))));
}

interface VariantResult {
  name: string;
  seed: number;
  what: string;
  rows: number;
  count: IllustrationCount;
  maskMap5095?: number;
  minutes: number;
}

const split = JSON.parse(await readFile(join(run, 'split.json'), 'utf8')) as { backgrounds: { train: string[] } };
const realBg = join(out, 'inputs', 'bg-real');
// inputs/bg-train links the real training backgrounds first (index-prefixed names), then the generated ones.
const nReal = split.backgrounds.train.length;
const links = (await readdir(join(run, 'inputs', 'bg-train'))).sort();
const inputsReady = join(out, 'inputs', 'ready');
if (!(await pathExists(inputsReady))) await linkDir(realBg, links.slice(0, nReal).map((f) => join(run, 'inputs', 'bg-train', f)));
const bothBg = join(run, 'inputs', 'bg-train');
// Negatives, as in the recipe's mix: the real training backgrounds with empty labels (69 for 640 composites
// with the shared data). Without them one epoch of composites (every image holds a character) raised the
// illustration extras at conf 0.5 from 1 to 6 and 9 (two seeds).
const negatives = join(out, 'inputs', 'negatives');
if (!(await pathExists(inputsReady))) {
  await linkDir(join(negatives, 'images'), links.slice(0, nReal).map((f) => join(run, 'inputs', 'bg-train', f)));
  await mkdir(join(negatives, 'labels'), { recursive: true });
  for (const f of await readdir(join(negatives, 'images'))) await writeFile(join(negatives, 'labels', f.replace(/\.[^.]+$/, '.txt')), '');
  await writeFile(inputsReady, '');
}

const wanted = args.only ? new Set(args.only.split(',')) : null;
const seeds = args.seeds!.split(',').map(Number);
const results: VariantResult[] = [];
for (const seed of seeds) for (const v of VARIANTS) {
  if (wanted && !wanted.has(v.name)) continue;
  const dir = join(out, seed === 1 ? v.name : `${v.name}-s${seed}`);
  const resultFile = join(dir, 'result.json');
  if (await pathExists(resultFile)) {
    results.push(JSON.parse(await readFile(resultFile, 'utf8')) as VariantResult);
    continue;
  }
  const t0 = Date.now();
  console.error(`${v.name}: synth ${images} composites (${v.what})`);
  const s = await runSynth({
    fg: join(run, 'inputs', 'fg-train'),
    bg: v.bg === 'real' ? realBg : bothBg,
    out: join(dir, 'set'),
    count: images,
    val: 0,
    params: { ...BASE, ...v.params, seed: 7000 + seed },
    progress: 'silent',
  });
  const yaml = join(dir, 'data.yaml');
  await writeDataYaml(yaml, { root: dir, train: [join(dir, 'set', 'images', 'train'), join(negatives, 'images')], val: join(run, 'sets', 'val-enhanced', 'images', 'train'), names: ['character'] });
  console.error(`${v.name}: fine-tune 1 epoch from ${basename(args.model)}`);
  const r = await train({
    data: yaml,
    model: resolve(args.model),
    epochs: 1,
    imgsz: 416,
    batch: 16,
    device: 'cpu',
    extra: trainArgs(seed),
    project: join(dir, 'runs'),
    name: 'train',
    python: args.python,
    evaluate: false,
    skipCheck: true,
    progress: 'silent',
    log: () => {},
  });
  if (r.status !== 'completed' || !r.exported) throw new Error(`${v.name}: training did not complete (${r.runDir})`);
  const count = await countIllustrations(r.exported.onnx, args.illustrations!, CONF_SWEEP);
  const result: VariantResult = { name: v.name, seed, what: v.what, rows: s.rows, count, maskMap5095: r.rows.at(-1)?.values['metrics/mAP50-95(M)'], minutes: (Date.now() - t0) / 60000 };
  await writeJsonAtomic(resultFile, result);
  results.push(result);
  console.error(`${v.name}: done in ${result.minutes.toFixed(1)} min`);
}

if (args['start-onnx']) {
  const count = await countIllustrations(resolve(args['start-onnx']), args.illustrations!, CONF_SWEEP);
  results.unshift({ name: 'start', seed: 0, what: 'the starting checkpoint, not fine-tuned', rows: 0, count, minutes: 0 });
}

// A fine-tune also moves the scores' calibration (negatives lower them all), so one fixed conf mixes that
// shift with the option's effect: the table leads with each variant's best threshold by found minus extra.
const at = (c: IllustrationCount, conf: number) => c.rows.find((r) => Math.abs(r.conf - conf) < 1e-9)!;
const bestOf = (c: IllustrationCount) => {
  const b = at(c, bestConfByCount(c.rows));
  return b.found - b.extra;
};
const bestCell = (c: IllustrationCount) => {
  const conf = bestConfByCount(c.rows);
  const b = at(c, conf);
  return `${conf.toFixed(2)} ${b.found - b.extra} ${b.exact}/${b.found}/${b.extra}`;
};
console.log(`illustrations (${results[0]?.count.images} images, ${results[0]?.count.listed} characters), after the default instance filter; per seed: best conf, found-extra, exact/found/extra there`);
console.log('variant'.padEnd(14) + seeds.map((sd) => `seed ${sd}`.padEnd(24)).join('') + 'mean f-x  val Mask mAP50-95  what');
const start = results.find((r) => r.name === 'start');
if (start) console.log('start'.padEnd(14) + bestCell(start.count).padEnd(24 * seeds.length) + String(bestOf(start.count)).padEnd(10) + ''.padEnd(19) + start.what);
for (const v of VARIANTS) {
  const rs = seeds.map((sd) => results.find((r) => r.name === v.name && (r.seed ?? 1) === sd));
  if (rs.every((r) => !r)) continue;
  const done = rs.filter((r): r is VariantResult => !!r);
  const mean = done.reduce((a, r) => a + bestOf(r.count), 0) / done.length;
  const map = done.reduce((a, r) => a + (r.maskMap5095 ?? NaN), 0) / done.length;
  console.log(v.name.padEnd(14) + rs.map((r) => (r ? bestCell(r.count) : '-').padEnd(24)).join('') + mean.toFixed(1).padEnd(10) + map.toFixed(3).padEnd(19) + v.what);
}
