/**
 * Options of the refinement stage; its contracts live in src/contracts.ts. A refiner (`Refiner`) turns coarse YOLO instance
 * masks into pixel-exact ones. The vote refiners split that job in two:
 *  - a `SegmentProposer` cuts the image into candidate segments (SAM's automatic mask generator, or the
 *    weight-free `regions` over-segmentation), knowing nothing about YOLO;
 *  - the vote fusion (vote.ts) keeps the segments that mostly lie inside the YOLO masks.
 */

export type { Refiner, Instance, SegmentProposer, LabelMap, PartitionProposer } from '../contracts.js';
export { isPartitionProposer } from '../contracts.js';

/**
 * How the vote treats instances that overlap (../shared/docs/algorithms.md §5, docs/REFINEMENT.md):
 *  - 'original': the original work's own arithmetic: the YOLO masks are summed, so a pixel two instances
 *    share counts twice in a segment's score, and such pixels are added back even under a segment (its
 *    `bitwise_not` of a 0/1 union); ties at the threshold fall as its float64 sum does. Reproduces
 *    ../shared/data/reference/vote/ exactly. The `--sam-preset original` behaviour and the default of `vote`.
 *  - 'corrected': the same steps on the union of the instances (each pixel counts once) and only uncovered
 *    YOLO pixels added back; scores are exact ratios. Differs from the original only where instances overlap.
 */
export const VOTE_MODES = ['original', 'corrected'] as const;
export type VoteMode = (typeof VOTE_MODES)[number];

/** The vote fusion's numbers (../shared/docs/algorithms.md §5); every one is overridable. */
export interface VoteOptions {
  /** See VOTE_MODES. Default 'original'. */
  mode: VoteMode;
  /**
   * The YOLO masks are brought to this long side (the YOLO network's mask size: 640 for the original's model)
   * before the YOLO morphology, as the original erodes its 640-px masks; 0 = at the image size. Default 640.
   */
  yoloMaskSide: number;
  /** Keep a segment when |segment ∧ yolo| / |segment| > threshold. Default 0.3. */
  threshold: number;
  /** 3x3 erosions of the YOLO masks (at the YOLO mask size) before voting. Default 3. */
  yoloErode: number;
  /** 3x3 dilations of the YOLO union after the erosion. Default 2. */
  yoloDilate: number;
  /** 3x3 erosions of the fused mask. Default 3. */
  finalErode: number;
  /** 3x3 dilations of the fused mask after the final erosion. Default 3. */
  finalDilate: number;
  /** The image is resized so its longest side is at most this before proposing (sides int(x * scale), as the original). Default 1920. */
  workingMaxSide: number;
}

export const DEFAULT_VOTE_OPTIONS: Readonly<VoteOptions> = Object.freeze({
  mode: 'original',
  yoloMaskSide: 640,
  threshold: 0.3,
  yoloErode: 3,
  yoloDilate: 2,
  finalErode: 3,
  finalDilate: 3,
  workingMaxSide: 1920,
});

/** Guided-filter soft edge (softedge.ts). radius in full-image pixels, eps on the 0..1 intensity scale. */
export interface SoftEdgeOptions {
  radius: number;
  eps: number;
  /** Fast guided filter: coefficients computed at 1/subsample resolution (1 = exact filter). */
  subsample?: number;
}

/**
 * Tuned on KS composites (12 tuning images): alpha error within 3 px of the true outline 0.161 with the hard
 * mask, 0.148 with the exact filter (radius 6, eps 1e-4), 0.147 with subsample 2 at a quarter of the cost.
 */
export const DEFAULT_SOFT_EDGE: Readonly<SoftEdgeOptions> = Object.freeze({ radius: 6, eps: 1e-4, subsample: 2 });

/** `true` = DEFAULT_SOFT_EDGE, `false`/absent = hard masks only. */
export type SoftEdgeOption = boolean | Partial<SoftEdgeOptions>;

/** Per-stage milliseconds a refiner measured on its last call (keys like 'propose', 'fusion', 'softEdge'). */
export type RefineTimings = Record<string, number>;

/** A refiner that also reports how long its stages took on the last `refine` call, and notes on it. */
export interface TimedRefiner {
  readonly lastTimings?: RefineTimings;
  /** What the user should know about the last call (e.g. SAM ran degraded); they reach NAME.json and the run summary. */
  readonly lastNotes?: readonly string[];
}

