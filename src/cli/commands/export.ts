/** `animeseg export --weights best.pt`: Ultralytics .pt → ONNX for users who trained elsewhere. */
import { AnimesegError } from '../../errors.js';
import { intOption, parseCommandArgs } from '../args.js';
import { basename } from 'node:path';
import { exportOnnx, DEFAULT_OPSET, ULTRALYTICS_LICENCE } from '../../train/index.js';
import { assertRegistrableName, registerModel } from '../../models/resolver/index.js';

export const usage = `Usage: animeseg export --weights best.pt [--imgsz 640] [--opset ${DEFAULT_OPSET}] [--out model.onnx]
                       [--register NAME] [--python PY] [key=value ...]

Runs 'yolo export model=best.pt format=onnx imgsz=N opset=K' (Ultralytics must be installed:
pip install ultralytics) and prints the ONNX path with the opset and input size read from the file.
key=value pairs pass through to Ultralytics (e.g. simplify=True dynamic=True).
--register NAME adds the ONNX to your model manifest, so 'segment --model NAME' finds it.`;

const options = {
  weights: { type: 'string' },
  imgsz: { type: 'string' },
  opset: { type: 'string' },
  out: { type: 'string' },
  python: { type: 'string' },
  register: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('export', argv, options);
  if (!values.weights) throw new AnimesegError('BAD_OPTION', 'export: --weights FILE.pt is required', { hint: "run 'animeseg export --help'" });
  for (const p of positionals) {
    if (!/^[A-Za-z_]\w*=/.test(p)) throw new AnimesegError('BAD_OPTION', `export: '${p}' is not a key=value pair`);
  }
  if (values.register) assertRegistrableName(values.register);
  const r = await exportOnnx({
    weights: values.weights,
    imgsz: intOption('imgsz', values.imgsz, 640, 32, 8192),
    opset: intOption('opset', values.opset, DEFAULT_OPSET, 7, 30),
    out: values.out,
    python: values.python,
    extra: positionals,
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
