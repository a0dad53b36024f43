export { felzenszwalb, type FelzenszwalbOptions } from './felzenszwalb.js';
export { toPlanes, gaussianBlurPlanes, type Planes } from './planes.js';
export { upsampleLabels, labelMeans } from './upsample.js';
export {
  createRegionsProposer,
  overSegment,
  labelMapToMasks,
  resolveRegionsOptions,
  DEFAULT_REGIONS_OPTIONS,
  type RegionsOptions,
} from './proposer.js';
export { createRegionsRefiner, REGIONS_VOTE_DEFAULTS, type RegionsRefinerOptions } from './refiner.js';
export { colourBias, DEFAULT_COLOUR_PRIOR, type ColourPriorOptions } from './colour-prior.js';
