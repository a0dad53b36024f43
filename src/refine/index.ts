/**
 * The refinement stage's public face: the refiner registry (registry.ts: `createRefiner(name, options)`,
 * the descriptors) and the building blocks. SAM-based refiners load their modules lazily so `none` and
 * `regions` never pay for them.
 */
export { createRefiner, findRefiner, isRefinerName, listRefiners, refinerRunsInWorkers, refinersTaking, REFINERS, REFINER_NAMES, type RefinerName, type RefinerSummary } from './registry.js';
export type { RefinerDescriptor, RefinerFlag, RefinerFlags, RefinerOptions } from './descriptor.js';
export { createIdentityRefiner } from './refiners/none.js';
export type { Refiner, Instance } from '../contracts.js';
export * from './types.js';
export { voteFusion, voteFusionPerInstance, resolveVoteOptions, type Segments } from './vote.js';
export { createVoteRefiner, workingSize, type VoteRefinerOptions } from './vote-refiner.js';
export { softAlpha, guidedFilterColor, resolveSoftEdge } from './softedge.js';
export { runRefineStage, localRefineStage, type RefineStage, type StageResult } from './stage.js';
export {
  createRegionsProposer,
  createRegionsRefiner,
  overSegment,
  DEFAULT_REGIONS_OPTIONS,
  REGIONS_VOTE_DEFAULTS,
  DEFAULT_COLOUR_PRIOR,
  type ColourPriorOptions,
  type RegionsOptions,
  type RegionsRefinerOptions,
} from './regions/index.js';
