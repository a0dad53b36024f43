/** The pipeline's view of the shared contracts (defined once in src/contracts.ts). */
export type { Instance, Refiner, StageTimings } from '../contracts.js';
