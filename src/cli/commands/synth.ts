/** animeseg synth: a thin layer over runSynth() (src/data/synth/run.ts). */
import { availableParallelism } from 'node:os';
import { PROGRESS_OPTION } from '../args.js';
import { defineCommand } from '../schema-args.js';
import { DEFAULT_PARAMS, type SynthParams } from '../../data/synth/params.js';

const d = DEFAULT_PARAMS;
export const command = defineCommand({
  name: 'synth',
  head: `Usage: animeseg synth --fg DIR --bg DIR --out DIR --count N [options]

Composites RGBA character cut-outs (--fg) onto backgrounds (--bg) and writes an Ultralytics YOLO-seg set:
OUT/images/{train,val}, OUT/labels/{train,val}, OUT/data.yaml (class 0 = character). Each label row is the
polygon of the VISIBLE part of one character (later pastes occlude earlier ones; hidden characters get no
row; split characters are joined as Ultralytics joins multi-part COCO polygons). Same --seed and inputs give
identical files whatever --workers is. Rerun the same command to resume an interrupted run.`,
  options: [
    { key: 'fg', type: 'string', required: true, metavar: 'DIR', help: 'foreground cut-outs (RGBA; files without a usable alpha are reported and skipped)' },
    { key: 'bg', type: 'string', required: true, metavar: 'DIR', help: "backgrounds (output images have each background's size)" },
    { key: 'out', short: 'o', type: 'string', required: true, metavar: 'DIR', help: 'output dataset folder' },
    { key: 'count', short: 'n', type: 'integer', min: 1, required: true, metavar: 'N', help: 'number of images' },
    {
      key: 'mode',
      type: 'enum',
      choices: ['simple', 'enhanced'],
      default: 'enhanced',
      defaultHelp: '',
      help: 'simple: one character scaled to fit at a random place;\nenhanced (default): 1..--max-fg characters, crop, rotation, scale, flip, colour, noise',
    },
    { key: 'seed', type: 'integer', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, metavar: 'N', help: 'random seed' },
    { key: 'val', type: 'number', default: 0.1, min: 0, max: 0.99, metavar: 'F', help: 'fraction of images in val' },
    { key: 'workers', short: 'j', type: 'integer', min: 1, max: 256, metavar: 'N', defaultHelp: `CPU cores = ${availableParallelism()}`, help: 'worker threads' },
    { key: 'max-fg', type: 'integer', default: d.maxForegrounds, min: 1, max: 255, metavar: 'N', help: 'enhanced: most characters per image' },
    { key: 'crop', type: 'number', default: d.cropProb, min: 0, max: 1, metavar: 'P', help: 'enhanced: probability of cropping a character' },
    { key: 'crop-keep', type: 'range', default: d.cropKeep, help: 'enhanced: kept fraction per side' },
    { key: 'scale', type: 'range', default: d.scale, help: 'enhanced: scale factor on the fit-to-image size' },
    { key: 'rotate', type: 'number', default: d.rotate, min: 0, max: 180, metavar: 'DEG', help: 'enhanced: rotation in [-DEG, DEG]' },
    { key: 'flip', type: 'number', default: d.flipProb, min: 0, max: 1, metavar: 'P', help: 'enhanced: horizontal flip probability' },
    { key: 'jitter', type: 'range', default: d.jitter, help: 'enhanced: colour/brightness/contrast/sharpness factors' },
    { key: 'noise', type: 'number', default: d.noise, min: 0, max: 255, metavar: 'SIGMA', help: 'enhanced: Gaussian noise sigma drawn from [0, SIGMA]' },
    { key: 'grayscale', type: 'number', default: 0, min: 0, max: 1, metavar: 'P', help: 'extra: probability of a grayscale image' },
    { key: 'resample', type: 'number', default: 0, min: 0, max: 1, metavar: 'P', help: 'extra: probability of down- then up-sampling' },
    { key: 'resample-range', type: 'range', default: d.resampleRange, help: 'extra: down-sampling factor' },
    { key: 'overlap', type: 'number', default: d.overlapProb, min: 0, max: 1, metavar: 'P', help: 'enhanced: probability that a later character overlaps an earlier one (pairs)' },
    { key: 'overlap-offset', type: 'range', default: d.overlapOffset, help: "enhanced: partner's centre offset, in the earlier one's widths" },
    { key: 'closeup', type: 'number', default: d.closeupProb, min: 0, max: 1, metavar: 'P', help: 'enhanced: probability of a close-up (bust/face: top part kept, scaled up)' },
    { key: 'closeup-keep', type: 'range', default: d.closeupKeep, help: 'enhanced: close-up kept height fraction' },
    { key: 'closeup-scale', type: 'range', default: d.closeupScale, help: 'enhanced: close-up scale factor' },
    { key: 'lineart', type: 'number', default: d.lineartProb, min: 0, max: 1, metavar: 'P', help: 'extra: probability of a line-art/sketch image' },
    { key: 'bubbles', type: 'number', default: d.bubbleProb, min: 0, max: 1, metavar: 'P', help: 'extra: probability of speech bubbles (they hide what is under them)' },
    { key: 'cast', type: 'number', default: d.castProb, min: 0, max: 1, metavar: 'P', help: 'extra: probability of a light/colour cast' },
    { key: 'cast-strength', type: 'number', default: d.castStrength, min: 0, max: 1, metavar: 'S', help: 'extra: cast gains in [1-S, 1+S], offsets in [-64S, 64S]' },
    { key: 'harmonize', type: 'number', default: d.harmonizeProb, min: 0, max: 1, metavar: 'P', help: "enhanced: probability that a character takes on its scene's colour (mean moved toward the background's)" },
    { key: 'harmonize-strength', type: 'range', default: d.harmonizeStrength, help: 'enhanced: fraction of the way the mean colour moves' },
    { key: 'jpeg-quality', type: 'range', default: d.jpegQuality, metavar: 'Q|A-B', help: 'JPEG quality, fixed or drawn per image' },
    { key: 'png', type: 'boolean', help: 'write lossless PNG instead of JPEG' },
    { key: 'min-visible', type: 'integer', default: d.minVisiblePixels, min: 1, metavar: 'PX', help: 'no row for a character with fewer visible pixels' },
    { key: 'epsilon', type: 'number', default: d.epsilon, min: 0, max: 1, metavar: 'PX', help: 'polygon simplification tolerance, <= 1' },
    PROGRESS_OPTION,
  ],
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = command.parse(argv);
  const params: Partial<SynthParams> = {
    mode: v.mode,
    seed: v.seed,
    maxForegrounds: v['max-fg'],
    cropProb: v.crop,
    cropKeep: v['crop-keep'],
    scale: v.scale,
    rotate: v.rotate,
    flipProb: v.flip,
    jitter: v.jitter,
    noise: v.noise,
    grayscaleProb: v.grayscale,
    resampleProb: v.resample,
    resampleRange: v['resample-range'],
    overlapProb: v.overlap,
    overlapOffset: v['overlap-offset'],
    closeupProb: v.closeup,
    closeupKeep: v['closeup-keep'],
    closeupScale: v['closeup-scale'],
    lineartProb: v.lineart,
    bubbleProb: v.bubbles,
    castProb: v.cast,
    castStrength: v['cast-strength'],
    harmonizeProb: v.harmonize,
    harmonizeStrength: v['harmonize-strength'],
    jpegQuality: v['jpeg-quality'],
    format: v.png ? 'png' : 'jpg',
    minVisiblePixels: v['min-visible'],
    epsilon: v.epsilon,
  };
  const { runSynth } = await import('../../data/synth/run.js');
  const stats = await runSynth({ fg: v.fg, bg: v.bg, out: v.out, count: v.count, val: v.val, workers: v.workers, params, progress: v.progress });
  console.log(
    `synth: ${stats.written} images written, ${stats.resumed} already done, ${stats.failed} failed; ${stats.rows} label rows for ${stats.instances} pasted characters; ` +
      `${stats.imagesPerSec.toFixed(1)} img/s; ${stats.skippedInputs.length} inputs skipped\n  data: ${stats.dataYaml}`,
  );
  return stats.failed > 0 ? 1 : 0;
}
