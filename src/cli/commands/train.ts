/**
 * `animeseg train`: a thin layer over src/train. Ctrl-C is forwarded to Ultralytics once (weights/last.pt
 * holds the last finished epoch); the exit code is 130 then, and the message says how to --resume.
 */
import { AnimesegError } from '../../errors.js';
import { optionalInt, parseCommandArgs } from '../args.js';
import { train, SEED_HYPERPARAMETERS } from '../../train/index.js';

const S = SEED_HYPERPARAMETERS;
export const usage = `Usage: animeseg train --data data.yaml [options] [key=value ...]

Trains a YOLOv8-seg model with Ultralytics (which must be installed: pip install ultralytics), then exports
best.pt to ONNX, evaluates it on the val split, and writes MODEL.md + model-card.json next to the ONNX.

Options (defaults are the original anime-seg recipe):
  --data FILE        Ultralytics data.yaml (checked first, like 'animeseg dataset check')
  --model W          base weights or model yaml (default ${S.model}; Ultralytics fetches its own weights)
  --epochs N         (default ${S.epochs})      --imgsz N    (default ${S.imgsz})
  --batch N          (default ${S.batch} = AutoBatch; 16 per GPU when --device lists several)
  --device D         e.g. 0, 0,1 or cpu
  --project DIR      folder of runs (default runs/animeseg)
  --name RUN         run folder name (default train; train2, train3... when taken)
  --resume           continue RUN (or the newest run in --project) from weights/last.pt
  --python PY        Python with Ultralytics installed (or set ANIMESEG_PYTHON); default: yolo, then python3
  --register NAME    add the ONNX to your model manifest, so 'segment --model NAME' uses it
  --opset N          ONNX opset for the export (default 12)
  --skip-check       do not check the dataset first
  --no-eval          do not evaluate after export
  --verbose          print Ultralytics' own output (always in RUN/animeseg-train.log)
  key=value          any other Ultralytics train argument, e.g. lr0=0.005 mosaic=0.5 (overrides the above)
                     defaults: lr0=${S.lr0} momentum=${S.momentum} weight_decay=${S.weight_decay} dropout=${S.dropout}`;

const options = {
  data: { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  imgsz: { type: 'string' },
  batch: { type: 'string' },
  device: { type: 'string' },
  project: { type: 'string' },
  name: { type: 'string' },
  resume: { type: 'boolean' },
  python: { type: 'string' },
  register: { type: 'string' },
  opset: { type: 'string' },
  'skip-check': { type: 'boolean' },
  'no-eval': { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

const intOption = optionalInt;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('train', argv, options);
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
      epochs: intOption('epochs', values.epochs, 1, 100_000),
      imgsz: intOption('imgsz', values.imgsz, 32, 8192),
      batch: intOption('batch', values.batch, -1, 100_000),
      device: values.device,
      project: values.project,
      name: values.name,
      resume: values.resume,
      python: values.python,
      register: values.register,
      opset: intOption('opset', values.opset, 7, 30),
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
