/** The pipeline: createSegmenter, outputs, batch runner. */
export * from './segmenter.js';
export * from './outputs.js';
export * from './batch.js';
export * from './inputs.js';
export * from './run-record.js';
export * from './manifest.js';
export * from './output-folder.js';
export * from './instance-filter.js';
export * from './watch.js';
export type { Instance, Refiner, StageTimings } from './types.js';
