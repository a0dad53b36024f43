/**
 * --device, as `segment`, `worker`, `serve` and `eval` declare it. A module of its own (no imports beyond types) so that a
 * command's table costs nothing to load: `worker --help` does not load the segment pipeline for it.
 */
import type { Device } from '../models/session.js';
import type { OptionSpec } from '../util/option-spec.js';

/** --device cpu|cuda: the onnxruntime execution provider (src/models/session.ts). */
export const DEVICE_OPTION = {
  key: 'device',
  type: 'enum',
  choices: ['cpu', 'cuda'] as const satisfies readonly Device[],
  default: 'cpu',
  help: 'execution provider',
} as const satisfies OptionSpec;
