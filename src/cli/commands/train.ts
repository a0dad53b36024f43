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

Trains a YOLOv8-seg model with Ultralytics (which must be installed: pip install ultralytics), then exports
best.pt to ONNX, evaluates it on the val split, and writes MODEL.md + model-card.json next to the ONNX.
Defaults are the original anime-seg recipe.`,
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
  ],
  foot: [
    `${'  key=value'.padEnd(USAGE_COLUMN)}any other Ultralytics train argument, e.g. lr0=0.005 mosaic=0.5 (overrides the above)`,
    `${''.padEnd(USAGE_COLUMN)}defaults: lr0=${S.lr0} momentum=${S.momentum} weight_decay=${S.weight_decay} dropout=${S.dropout}`,
  ].join('\n'),
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = command.parse(argv);
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
