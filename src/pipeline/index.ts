/** The pipeline: createSegmenter, outputs, batch runner. */
export * from './segmenter.js';
export * from './outputs.js';
export * from './batch.js';
export * from './inputs.js';
export type { Instance, Refiner, StageTimings } from './types.js';
