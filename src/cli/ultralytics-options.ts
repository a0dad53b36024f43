/**
 * Options that `train` and `export` share (both run Ultralytics and may register the ONNX they produce):
 * declared once here, spread into both tables.
 */
import type { OptionSpec } from '../util/option-spec.js';

/** Which Python runs Ultralytics (src/train/ultralytics.ts finds one when absent). */
export const PYTHON_OPTION = {
  key: 'python',
  type: 'string',
  metavar: 'PY',
  defaultHelp: 'yolo, then python3',
  help: 'Python with Ultralytics installed, or set ANIMESEG_PYTHON',
} as const satisfies OptionSpec;

export const REGISTER_OPTION = {
  key: 'register',
  type: 'string',
  metavar: 'NAME',
  help: "add the ONNX to your model manifest, so 'segment --model NAME' uses it",
} as const satisfies OptionSpec;
