/**
 * What a refiner is to the rest of the program: one `RefinerDescriptor` per refiner (src/refine/refiners/),
 * listed once in REFINERS (registry.ts). The CLI's choices and help, eval, the server's availability, the
 * batch's worker plan and the page read these fields instead of knowing refiner names.
 */
import type { Refiner } from '../contracts.js';
import type { RegionsOptions } from './regions/proposer.js';
import type { ColourPriorOptions } from './regions/colour-prior.js';
import type { VoteOptions } from './types.js';
import type { SamProposerOptions } from '../models/sam/index.js';
import type { SamBoxRefinerOptions } from './sam-box.js';

/** The library options of every refiner, one key per concern; each refiner reads its own. */
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
  /** Options of createSamBoxRefiner (src/refine/sam-box.ts): encoderPath, decoderPath, points. */
  box?: SamBoxRefinerOptions;
}

/** The `animeseg segment` flags that configure a refiner, by option key, as the CLI parsed them. */
export interface RefinerFlags {
  sam_model?: string;
  sam_encoder?: string;
  sam_decoder?: string;
  sam_preset?: 'original' | 'sam';
  box_points?: number;
}
export type RefinerFlag = keyof RefinerFlags;

export interface RefinerDescriptor<N extends string = string> {
  /** The name users type (--refine NAME, refine=NAME) and Instance.maskSource. */
  readonly name: N;
  /** One line for help texts, GET /v1/refiners and the page. */
  readonly description: string;
  /** Model weights it needs besides YOLO ('sam': offered by the server only when a SAM pair is local). */
  readonly needs: 'nothing' | 'sam';
  /** Plain CPU code with plain-data options: a batch may run it on refine workers (worker-pool.ts). */
  readonly inWorkers: boolean;
  /** Pure TypeScript with no Node import: the page runs it too (src/browser). */
  readonly inBrowser: boolean;
  /** The `segment` flags it takes (RefinerFlag); given with another refiner they are a usage error. */
  readonly options: readonly RefinerFlag[];
  /** Its library options from those flags (absent: it takes none). */
  fromFlags?(flags: RefinerFlags): RefinerOptions;
  /** Build it. Heavy implementations (SAM) are imported here, lazily, so listing refiners costs nothing. */
  create(options: RefinerOptions): Promise<Refiner>;
}
