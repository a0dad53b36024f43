/** animeseg synth: a thin layer over runSynth() (src/data/synth/run.ts). */
import { availableParallelism } from 'node:os';
import { AnimesegError } from '../../errors.js';
import { enumOption, intOption, numberOption, optionalInt, parseCommandArgs, progressOption } from '../args.js';
import { DEFAULT_PARAMS, type SynthParams } from '../../data/synth/params.js';

const d = DEFAULT_PARAMS;
export const usage = `Usage: animeseg synth --fg DIR --bg DIR --out DIR --count N [options]

Composites RGBA character cut-outs (--fg) onto backgrounds (--bg) and writes an Ultralytics YOLO-seg set:
OUT/images/{train,val}, OUT/labels/{train,val}, OUT/data.yaml (class 0 = character). Each label row is the
polygon of the VISIBLE part of one character (later pastes occlude earlier ones; hidden characters get no
row; split characters are joined as Ultralytics joins multi-part COCO polygons). Same --seed and inputs give
identical files whatever --workers is. Rerun the same command to resume an interrupted run.

Options:
  --fg DIR               foreground cut-outs (RGBA; files without a usable alpha are reported and skipped)
  --bg DIR               backgrounds (output images have each background's size)
  --out DIR              output dataset folder
  --count N              number of images
  --mode simple|enhanced simple: one character scaled to fit at a random place;
                         enhanced (default): 1..--max-fg characters, crop, rotation, scale, flip, colour, noise
  --seed N               random seed (default 0)
  --val F                fraction of images in val (default 0.1)
  --workers N            worker threads (default: CPU cores = ${availableParallelism()})
  --max-fg N             enhanced: most characters per image (default ${d.maxForegrounds})
  --crop P               enhanced: probability of cropping a character (default ${d.cropProb})
  --crop-keep A-B        enhanced: kept fraction per side (default ${d.cropKeep.join('-')})
  --scale A-B            enhanced: scale factor on the fit-to-image size (default ${d.scale.join('-')})
  --rotate DEG           enhanced: rotation in [-DEG, DEG] (default ${d.rotate})
  --flip P               enhanced: horizontal flip probability (default ${d.flipProb})
  --jitter A-B           enhanced: colour/brightness/contrast/sharpness factors (default ${d.jitter.join('-')})
  --noise SIGMA          enhanced: Gaussian noise sigma drawn from [0, SIGMA] (default ${d.noise})
  --grayscale P          extra: probability of a grayscale image (default 0)
  --resample P           extra: probability of down- then up-sampling (default 0)
  --resample-range A-B   extra: down-sampling factor (default ${d.resampleRange.join('-')})
  --jpeg-quality Q|A-B   JPEG quality, fixed or drawn per image (default ${d.jpegQuality[0]})
  --png                  write lossless PNG instead of JPEG
  --min-visible PX       no row for a character with fewer visible pixels (default ${d.minVisiblePixels})
  --epsilon PX           polygon simplification tolerance, <= 1 (default ${d.epsilon})
  --progress MODE        auto | bar | plain | silent`;

const options = {
  fg: { type: 'string' },
  bg: { type: 'string' },
  out: { type: 'string', short: 'o' },
  count: { type: 'string', short: 'n' },
  mode: { type: 'string' },
  seed: { type: 'string' },
  val: { type: 'string' },
  workers: { type: 'string', short: 'j' },
  'max-fg': { type: 'string' },
  crop: { type: 'string' },
  'crop-keep': { type: 'string' },
  scale: { type: 'string' },
  rotate: { type: 'string' },
  flip: { type: 'string' },
  jitter: { type: 'string' },
  noise: { type: 'string' },
  grayscale: { type: 'string' },
  resample: { type: 'string' },
  'resample-range': { type: 'string' },
  'jpeg-quality': { type: 'string' },
  png: { type: 'boolean' },
  'min-visible': { type: 'string' },
  epsilon: { type: 'string' },
  progress: { type: 'string' },
} as const;

/** "a-b" or a single number "a" (= a-a). */
export function rangeOption(name: string, v: string | undefined, def: [number, number]): [number, number] {
  if (v === undefined) return def;
  const m = /^\s*([0-9.]+)\s*(?:-\s*([0-9.]+)\s*)?$/.exec(v);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2] ?? m[1]) : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b) || a > b) {
    throw new AnimesegError('BAD_OPTION', `--${name} must be a number or a range like 0.5-1.5, got '${v}'`);
  }
  return [a, b];
}

function required(v: string | undefined, name: string): string {
  if (!v) throw new AnimesegError('BAD_OPTION', `--${name} is required`, { hint: "run 'animeseg synth --help'" });
  return v;
}


export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('synth', argv, options, false);
  const mode = enumOption('mode', v.mode, ['simple', 'enhanced'], 'enhanced');
  const params: Partial<SynthParams> = {
    mode,
    seed: intOption('seed', v.seed, 0, 0, Number.MAX_SAFE_INTEGER),
    maxForegrounds: intOption('max-fg', v['max-fg'], d.maxForegrounds, 1, 255),
    cropProb: numberOption('crop', v.crop, d.cropProb, 0, 1),
    cropKeep: rangeOption('crop-keep', v['crop-keep'], d.cropKeep),
    scale: rangeOption('scale', v.scale, d.scale),
    rotate: numberOption('rotate', v.rotate, d.rotate, 0, 180),
    flipProb: numberOption('flip', v.flip, d.flipProb, 0, 1),
    jitter: rangeOption('jitter', v.jitter, d.jitter),
    noise: numberOption('noise', v.noise, d.noise, 0, 255),
    grayscaleProb: numberOption('grayscale', v.grayscale, 0, 0, 1),
    resampleProb: numberOption('resample', v.resample, 0, 0, 1),
    resampleRange: rangeOption('resample-range', v['resample-range'], d.resampleRange),
    jpegQuality: rangeOption('jpeg-quality', v['jpeg-quality'], d.jpegQuality),
    format: v.png ? 'png' : 'jpg',
    minVisiblePixels: intOption('min-visible', v['min-visible'], d.minVisiblePixels, 1),
    epsilon: numberOption('epsilon', v.epsilon, d.epsilon, 0, 1),
  };
  const { runSynth } = await import('../../data/synth/run.js');
  const stats = await runSynth({
    fg: required(v.fg, 'fg'),
    bg: required(v.bg, 'bg'),
    out: required(v.out, 'out'),
    count: intOption('count', required(v.count, 'count'), 0, 1),
    val: numberOption('val', v.val, 0.1, 0, 0.99),
    workers: optionalInt('workers', v.workers, 1, 256),
    params,
    progress: progressOption(v.progress),
  });
  console.log(
    `synth: ${stats.written} images written, ${stats.resumed} already done, ${stats.failed} failed; ${stats.rows} label rows for ${stats.instances} pasted characters; ` +
      `${stats.imagesPerSec.toFixed(1)} img/s; ${stats.skippedInputs.length} inputs skipped\n  data: ${stats.dataYaml}`,
  );
  return stats.failed > 0 ? 1 : 0;
}
