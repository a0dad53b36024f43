/**
 * The `regions` refiner: the vote fusion fed by the weight-free over-segmentation. Needs only the YOLO model.
 * Its vote defaults differ from the seed's SAM settings where the sweep on KS composites said so
 * (docs/REFINEMENT.md): over-segments are small and partition the image, so there are no unclaimed pixels.
 */
import { AnimesegError } from '../../errors.js';
import type { Refiner } from '../../contracts.js';
import type { TimedRefiner, VoteOptions } from '../types.js';
import { createVoteRefiner } from '../vote-refiner.js';
import { createRegionsProposer, type RegionsOptions } from './proposer.js';
import { colourBias, DEFAULT_COLOUR_PRIOR, type ColourPriorOptions } from './colour-prior.js';

export interface RegionsRefinerOptions extends Partial<VoteOptions> {
  regions?: Partial<RegionsOptions>;
  /** Colour evidence added to each segment's vote (weight 0 = the plain §5 vote). */
  colour?: Partial<ColourPriorOptions>;
  /** Fill enclosed holes below this fraction of a character's area (see VoteRefinerOptions.holeFill). */
  holeFill?: number;
}

/** Vote settings used by `regions` unless overridden (tuned on KS composites, see docs/REFINEMENT.md). */
export const REGIONS_VOTE_DEFAULTS: Readonly<Partial<VoteOptions>> = Object.freeze({
  // Each pixel of overlapping characters counts once (the original's double counting is kept for `vote` only).
  mode: 'corrected',
  // YOLO evidence at the image size (tuned that way; 640 measured IoU 0.904 / boundary F 0.726 against
  // 0.907 / 0.738 on the quality test's composites).
  yoloMaskSide: 0,
  threshold: 0.6,
  // The seed's final erode 3 / dilate 3 opening cuts thin hair and fingers off segments that already
  // follow the real edges (tuning IoU 0.9387 with 3/3, 0.9419 with 1/1, 0.9426 with none); 1/1 still
  // removes one-pixel spurs.
  finalErode: 1,
  finalDilate: 1,
});

/**
 * Holes below 0.5 % of a character's area are filled: eyes, emblems and highlights drawn in the background's
 * colour otherwise drop out. Sweep on 20 KS composites (bench offset 100 / test offset 0), mean IoU:
 * 0 → 0.9419 / 0.9366, 0.002 → 0.9421 / 0.9373, 0.005 → 0.9424 / 0.9369, 0.02 → 0.9402 / 0.9341
 * (larger values start closing real gaps between arms and body).
 */
export const REGIONS_HOLE_FILL = 0.005;

export function createRegionsRefiner(opts: RegionsRefinerOptions = {}): Refiner & TimedRefiner {
  const { regions, colour, holeFill = REGIONS_HOLE_FILL, ...vote } = opts;
  const clean = Object.fromEntries(Object.entries(vote).filter(([, v]) => v !== undefined));
  const prior: ColourPriorOptions = { ...DEFAULT_COLOUR_PRIOR, ...colour };
  if (!(prior.weight >= 0 && prior.weight <= 2) || !(prior.coreErode >= 0 && prior.coreErode < 0.5) || !(prior.ringWidth > 0 && prior.ringWidth < 0.5) || !(prior.scale > 0)) {
    throw new AnimesegError('BAD_OPTION', `regions colour options out of range: ${JSON.stringify(prior)}`, {
      hint: 'weight in [0, 2]; coreErode in [0, 0.5) and ringWidth in (0, 0.5) as fractions of the longest side; scale > 0',
    });
  }
  return createVoteRefiner({
    ...REGIONS_VOTE_DEFAULTS,
    ...clean,
    proposer: createRegionsProposer(regions),
    name: 'regions',
    holeFill,
    labelBias: prior.weight > 0 ? (working, labels, union) => colourBias(working, labels, union, prior) : undefined,
  });
}
