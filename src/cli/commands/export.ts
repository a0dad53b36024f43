/** `animeseg export --weights best.pt`: Ultralytics .pt → ONNX for users who trained elsewhere. */
import { AnimesegError } from '../../errors.js';
import { PYTHON_OPTION, REGISTER_OPTION } from '../ultralytics-options.js';
import { defineCommand } from '../schema-args.js';
import { basename } from 'node:path';
import { exportOnnx, DEFAULT_OPSET, ULTRALYTICS_LICENCE } from '../../train/index.js';
import { assertRegistrableName, registerModel } from '../../models/resolver/index.js';

export const command = defineCommand({
  name: 'export',
  head: `Usage: animeseg export --weights best.pt [options] [key=value ...]

Runs 'yolo export model=best.pt format=onnx imgsz=N opset=K' (Ultralytics must be installed:
pip install ultralytics) and prints the ONNX path with the opset and input size read from the file.
key=value pairs pass through to Ultralytics (e.g. simplify=True dynamic=True).`,
  positionals: true,
  options: [
    { key: 'weights', type: 'string', required: true, metavar: 'FILE.pt', help: 'Ultralytics weights to export' },
    // A multiple of 32 (the model stride): exportOnnx() checks that, the table holds the range.
    { key: 'imgsz', type: 'integer', default: 640, min: 32, max: 8192, metavar: 'N', help: 'input size of the exported model' },
    { key: 'opset', type: 'integer', default: DEFAULT_OPSET, min: 7, max: 30, metavar: 'N', help: 'ONNX opset' },
    { key: 'out', type: 'string', metavar: 'FILE', defaultHelp: 'next to the weights', help: 'where the .onnx is written' },
    { key: 'wise-ft', type: 'number', min: 0, max: 1, metavar: 'ALPHA', help: 'export ALPHA x weights + (1-ALPHA) x --wise-from (WiSE-FT: back toward the start, for real-art recall)' },
    { key: 'wise-from', type: 'string', metavar: 'FILE.pt', help: "with --wise-ft: the checkpoint the fine-tuning started from (a recipe run's base.pt)" },
    PYTHON_OPTION,
    REGISTER_OPTION,
    { key: 'json', type: 'boolean', help: 'print the export result as JSON on stdout' },
  ],
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = command.parse(argv);
  for (const p of positionals) {
    if (!/^[A-Za-z_]\w*=/.test(p)) throw new AnimesegError('BAD_OPTION', `export: '${p}' is not a key=value pair`);
  }
  if (values.register) assertRegistrableName(values.register);
  if ((values['wise-ft'] === undefined) !== (values['wise-from'] === undefined)) {
    throw new AnimesegError('BAD_OPTION', '--wise-ft ALPHA and --wise-from FILE.pt go together');
  }
  const r = await exportOnnx({
    weights: values.weights,
    imgsz: values.imgsz,
    opset: values.opset,
    out: values.out,
    python: values.python,
    extra: positionals,
    ...(values['wise-ft'] !== undefined ? { wise: { alpha: values['wise-ft'], pretrained: values['wise-from']! } } : {}),
  });
  if (values.register) {
    const manifest = await registerModel({
      name: values.register,
      file: basename(r.onnx),
      path: r.onnx,
      sha256: r.sha256,
      size: r.bytes,
      // Ultralytics .pt weights are AGPL-3.0 (its code and pretrained weights); so is their export.
      licence: ULTRALYTICS_LICENCE,
      description: `YOLOv8-seg exported from ${values.weights}`,
      kind: 'yolo-seg',
    });
    console.error(`registered '${values.register}' in ${manifest}`);
  }
  if (values.json) console.log(JSON.stringify(r, null, 2));
  else {
    console.error(`opset ${r.opset}, input ${r.imgsz?.join('x') ?? 'dynamic'}, ${r.bytes} bytes, sha256 ${r.sha256}`);
    console.log(r.onnx);
  }
  return 0;
}
