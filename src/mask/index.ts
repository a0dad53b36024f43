/** Mask primitives shared by every stage: one import for all of src/mask. */
export * from './types.js';
export * from './rle.js';
export * from './ops.js';
export * from './morphology.js';
export * from './resize.js';
export * from './polygon.js';
export * from './resample.js';
export * from './components.js';
export * from './distance.js';
export * from './boundary.js';
export { checkMask, checkSameSize } from './validate.js';
