/**
 * `animeseg train`: a thin layer over src/train. Ctrl-C is forwarded to Ultralytics once (weights/last.pt
 * holds the last finished epoch); the exit code is 130 then, and the message says how to --resume.
 */
import { AnimesegError } from '../../errors.js';
import { PYTHON_OPTION, REGISTER_OPTION } from '../ultralytics-options.js';
import { defineCommand, USAGE_COLUMN } from '../schema-args.js';
import { train, ORIGINAL_HYPERPARAMETERS, DEFAULT_OPSET } from '../../train/index.js';

const S = ORIGINAL_HYPERPARAMETERS;
// Options without a default in the table stay undefined, so train() applies the recipe (and, on --resume,
// the run's own record) itself; defaultHelp says what that default is.
export const command = defineCommand({
  name: 'train',
  head: `Usage: animeseg train --data data.yaml [options] [key=value ...]
       animeseg train --recipe anime --fg DIR [--fg DIR...] --bg DIR [--bg DIR...] --model COCO.pt --out DIR [options]

Trains a YOLOv8-seg model with Ultralytics (which must be installed: pip install ultralytics), then exports
best.pt to ONNX, evaluates it on the val split, and writes MODEL.md + model-card.json next to the ONNX.
Defaults are the original anime-seg recipe.

--recipe anime runs the anime character model's whole recipe in OUT (docs/TRAINING.md): foregrounds split
by character (validation characters never trained on), simple/enhanced/pairs/generated-background composites,
COCO persons (--coco), empty backgrounds as negatives, a one-class start from --model's COCO 'person' channel,
fine-tuning, ONNX export with recommended_conf, evaluation with --refine regions, the illustration count
(--illustrations) and OUT/MODEL.md. Rerun the same command to resume a stopped run.`,
  positionals: true,
  options: [
    // Required unless --resume (a cross-option rule, checked in run()).
    { key: 'data', type: 'string', metavar: 'FILE', help: "Ultralytics data.yaml (checked first, like 'animeseg dataset check')" },
    { key: 'model', type: 'string', metavar: 'W', defaultHelp: `${S.model}; Ultralytics fetches its own weights`, help: 'base weights or model yaml' },
    { key: 'epochs', type: 'integer', min: 1, max: 100_000, metavar: 'N', defaultHelp: S.epochs, help: 'training epochs' },
    { key: 'imgsz', type: 'integer', min: 32, max: 8192, metavar: 'N', defaultHelp: S.imgsz, help: 'training image size' },
    { key: 'batch', type: 'integer', min: -1, max: 100_000, metavar: 'N', defaultHelp: `${S.batch} = AutoBatch; 16 per GPU when --device lists several`, help: 'batch size' },
    { key: 'device', type: 'string', metavar: 'D', help: 'e.g. 0, 0,1 or cpu' },
    { key: 'project', type: 'string', metavar: 'DIR', defaultHelp: 'runs/animeseg', help: 'folder of runs' },
    { key: 'name', type: 'string', metavar: 'RUN', defaultHelp: 'train; train2, train3... when taken', help: 'run folder name' },
    { key: 'resume', type: 'boolean', help: 'continue RUN (or the newest run in --project) from weights/last.pt' },
    PYTHON_OPTION,
    REGISTER_OPTION,
    { key: 'opset', type: 'integer', min: 7, max: 30, metavar: 'N', defaultHelp: String(DEFAULT_OPSET), help: 'ONNX opset for the export' },
    { key: 'skip-check', type: 'boolean', help: 'do not check the dataset first' },
    { key: 'no-eval', type: 'boolean', help: 'do not evaluate after export' },
    { key: 'verbose', type: 'boolean', help: "print Ultralytics' own output (always in RUN/animeseg-train.log)" },
    { key: 'recipe', type: 'enum', choices: ['anime'], defaultHelp: '', help: 'run a whole training recipe (see above)' },
    { key: 'fg', type: 'strings', metavar: 'DIR', help: 'recipe: RGBA character cut-outs (repeat for several folders)' },
    { key: 'bg', type: 'strings', metavar: 'DIR', help: 'recipe: backgrounds without characters (repeatable)' },
    { key: 'exclude', type: 'strings', metavar: 'TEXT', help: 'recipe: leave out inputs whose path below their --fg/--bg folder contains TEXT (repeatable)' },
    { key: 'coco', type: 'string', metavar: 'FILE', help: 'recipe: COCO instances JSON; its persons are added as characters' },
    { key: 'coco-images', type: 'string', metavar: 'DIR', help: 'recipe: the image folder of --coco' },
    { key: 'out', type: 'string', metavar: 'DIR', help: 'recipe: run folder (rerun to resume)' },
    { key: 'images', type: 'integer', min: 4, max: 10_000_000, metavar: 'N', defaultHelp: '5600', help: 'recipe: synthesized training images' },
    { key: 'val-images', type: 'integer', min: 2, max: 1_000_000, metavar: 'N', defaultHelp: '300', help: 'recipe: validation composites' },
    { key: 'generated-bg', type: 'integer', min: 0, max: 100_000, metavar: 'N', defaultHelp: '180', help: 'recipe: generated plain/gradient/block/pattern backgrounds' },
    { key: 'conf', type: 'number', min: 0, max: 1, metavar: 'X', defaultHelp: '0.45', help: 'recipe: recommended_conf written into the ONNX' },
    { key: 'illustrations', type: 'string', metavar: 'DIR', help: 'recipe: illustrations (images/ + info/*.json) to count characters on' },
    { key: 'seed', type: 'integer', min: 0, max: 1_000_000, metavar: 'N', defaultHelp: '0', help: 'recipe: seed of the split and the composites' },
    { key: 'wise-ft', type: 'number', min: 0, max: 1, metavar: 'ALPHA', help: 'recipe: the model is ALPHA x trained + (1-ALPHA) x --wise-from weights (WiSE-FT)' },
    { key: 'wise-from', type: 'string', metavar: 'FILE.pt', defaultHelp: "the run's base.pt", help: 'recipe: the weights --wise-ft steps back toward' },
  ],
  foot: [
    `${'  key=value'.padEnd(USAGE_COLUMN)}any other Ultralytics train argument, e.g. lr0=0.005 mosaic=0.5 (overrides the above)`,
    `${''.padEnd(USAGE_COLUMN)}defaults: lr0=${S.lr0} momentum=${S.momentum} weight_decay=${S.weight_decay} dropout=${S.dropout}`,
  ].join('\n'),
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = command.parse(argv);
  if (values.recipe) return runRecipeCommand(values, positionals);
  if (!values.resume && !values.data) throw new AnimesegError('BAD_OPTION', 'train: --data data.yaml is required', { hint: "run 'animeseg train --help'" });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ninterrupt: stopping Ultralytics; weights/last.pt keeps the last finished epoch (Ctrl-C again to quit at once)\n');
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const r = await train({
      data: values.data,
      model: values.model,
      epochs: values.epochs,
      imgsz: values.imgsz,
      batch: values.batch,
      device: values.device,
      project: values.project,
      name: values.name,
      resume: values.resume,
      python: values.python,
      register: values.register,
      opset: values.opset,
      skipCheck: values['skip-check'],
      evaluate: !values['no-eval'],
      extra: positionals,
      signal: controller.signal,
      onLine: values.verbose ? (l) => process.stderr.write(l + '\n') : undefined,
    });
    if (r.status === 'interrupted') return 130;
    console.log(r.exported?.onnx ?? r.runDir);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

type TrainValues = ReturnType<typeof command.parse>['values'];

async function runRecipeCommand(values: TrainValues, positionals: string[]): Promise<number> {
  const need = (v: unknown, flag: string) => {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) throw new AnimesegError('BAD_OPTION', `train --recipe: ${flag} is required`, { hint: "run 'animeseg train --help'" });
  };
  need(values.fg, '--fg DIR');
  need(values.bg, '--bg DIR');
  need(values.out, '--out DIR');
  need(values.model, '--model COCO.pt (the COCO YOLOv8-seg checkpoint to start from)');
  if ((values.coco === undefined) !== (values['coco-images'] === undefined)) throw new AnimesegError('BAD_OPTION', 'train --recipe: --coco and --coco-images go together');
  const { runRecipe } = await import('../../train/recipe/recipe.js');
  const r = await runRecipe({
    out: values.out!,
    fg: values.fg!,
    bg: values.bg!,
    exclude: values.exclude,
    coco: values.coco ? { annotations: values.coco, images: values['coco-images']! } : undefined,
    base: values.model!,
    images: values.images,
    valImages: values['val-images'],
    generatedBackgrounds: values['generated-bg'],
    epochs: values.epochs,
    imgsz: values.imgsz,
    batch: values.batch,
    device: values.device,
    extra: positionals,
    conf: values.conf,
    illustrations: values.illustrations,
    seed: values.seed,
    python: values.python,
    wiseFt: values['wise-ft'],
    wiseFrom: values['wise-from'],
  });
  console.log(r.onnx);
  return 0;
}
