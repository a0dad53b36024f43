/**
 * The refiner registry: `createRefiner(name, options)` for the segmenter, the CLI (`--refine`) and the server.
 * SAM-based refiners load their modules lazily so `none` and `regions` never pay for them.
 */
import { AnimesegError } from '../errors.js';
import type { Instance, Refiner } from '../contracts.js';
import type { RegionsOptions } from './regions/proposer.js';
import type { ColourPriorOptions } from './regions/colour-prior.js';
import { createRegionsRefiner } from './regions/refiner.js';
import type { RefinerName, VoteOptions } from './types.js';
import type { SamProposerOptions } from '../models/sam/index.js';
import type { BoxRefinerOptions } from './box.js';
import { createVoteRefiner } from './vote-refiner.js';
import { resolveVoteOptions } from './vote.js';

export interface RefinerOptions {
  /** Vote fusion numbers for 'vote' and 'regions' (each refiner has its own defaults). */
  vote?: Partial<VoteOptions>;
  /** Over-segmentation settings for 'regions'. */
  regions?: Partial<RegionsOptions>;
  /** Colour evidence of 'regions' ({ weight: 0 } = the plain §5 vote on its segments). */
  colour?: Partial<ColourPriorOptions>;
  /** 'regions' and 'vote': fill enclosed holes below this fraction of a character's area (regions default 0.005, vote 0). */
  holeFill?: number;
  /** Options of createSamProposer (src/models/sam): encoder/decoder model names or paths, AMG settings. */
  sam?: SamProposerOptions;
  /** Options of createBoxRefiner (src/refine/box.ts): encoderPath, decoderPath, points. */
  box?: BoxRefinerOptions;
}

export interface RefinerInfo {
  name: RefinerName;
  description: string;
  /** Model weights it needs besides YOLO. */
  needs: 'nothing' | 'sam';
}

const REFINERS: readonly RefinerInfo[] = [
  { name: 'none', description: "YOLO's own masks, unchanged (fastest)", needs: 'nothing' },
  { name: 'regions', description: 'weight-free colour over-segmentation fused with YOLO by vote (no extra model)', needs: 'nothing' },
  { name: 'vote', description: "Segment Anything automatic masks fused with YOLO by vote (the original method; slow)", needs: 'sam' },
  { name: 'box', description: 'Segment Anything prompted with each YOLO box and points (one decoder run per character)', needs: 'sam' },
];

export function listRefiners(): RefinerInfo[] {
  return REFINERS.map((r) => ({ ...r }));
}

export const REFINER_NAMES: readonly RefinerName[] = REFINERS.map((r) => r.name);

export function isRefinerName(s: string): s is RefinerName {
  return (REFINER_NAMES as readonly string[]).includes(s);
}

/** 'none': the instances as YOLO made them. */
export function createIdentityRefiner(): Refiner {
  return {
    name: 'none',
    async refine(_image, instances: Instance[]) {
      return instances;
    },
  };
}

export async function createRefiner(name: string, options: RefinerOptions = {}): Promise<Refiner> {
  switch (name) {
    case 'none':
      return createIdentityRefiner();
    case 'regions':
      return createRegionsRefiner({ ...options.vote, regions: options.regions, colour: options.colour, holeFill: options.holeFill });
    case 'vote': {
      // Check the cheap options before loading SAM, so a typo does not cost a model load (or leak one).
      resolveVoteOptions(options.vote);
      // Lazy: SAM code and its models are loaded only when 'vote' is asked for.
      const sam = await import('../models/sam/index.js');
      const proposer = await sam.createSamProposer(options.sam ?? {});
      return createVoteRefiner({ ...options.vote, proposer, name: 'vote', holeFill: options.holeFill });
    }
    case 'box': {
      const box = await import('./box.js');
      return box.createBoxRefiner(options.box ?? {});
    }
    default:
      throw new AnimesegError('BAD_OPTION', `unknown refiner '${name}'`, {
        hint: `choose one of: ${REFINER_NAMES.join(', ')}`,
      });
  }
}

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
