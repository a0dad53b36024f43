/**
 * The vote Refiner: propose segments on the image (resized so its longest side is <= workingMaxSide, as the
 * seed did before SAM's AMG) and fuse them with each instance's YOLO mask (vote.ts, per-instance form); soft
 * edges come after, in the refinement stage (stage.ts). The proposer decides the flavour: SAM AMG → 'vote',
 * the regions over-segmentation → 'regions'.
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { toRgb } from '../image/pixels.js';
import { resizeBilinearU8 } from '../image/resize.js';
import { maskArea, unionMasks } from '../mask/ops.js';
import { removeSmallRegions } from '../mask/components.js';
import { resizeMaskNearest } from '../mask/resize.js';
import type { Mask } from '../mask/types.js';
import type { Instance, Refiner } from '../contracts.js';
import { isPartitionProposer, type LabelMap, type RefineTimings, type SegmentProposer, type TimedRefiner, type VoteOptions } from './types.js';
import { resolveVoteOptions, voteFusionPerInstance } from './vote.js';

export interface VoteRefinerOptions extends Partial<VoteOptions> {
  proposer: SegmentProposer;
  /** Refiner name reported in Instance.maskSource (default 'vote'). */
  name?: string;
  /** Dispose the proposer with the refiner (default true). */
  ownsProposer?: boolean;
  /**
   * Extra per-segment evidence for partition proposers: a score added to each label's vote (see
   * voteFusionPerInstance). `working` is the image the labels were computed on; `yoloUnion` the union of the
   * YOLO masks resized to it. The regions refiner uses it for its colour model.
   */
  labelBias?: (working: RawImage, labels: LabelMap, yoloUnion: Mask) => Float32Array;
  /**
   * Fill holes of a refined mask (background enclosed by the character) smaller than this fraction of the
   * character's area: eyes, emblems and highlights coloured like the background otherwise drop out of the
   * cutout. 0 (the default, and the seed's behaviour) keeps every hole; larger gaps (between an arm and the
   * body) stay open either way.
   */
  holeFill?: number;
}

/** Size with the longest side at most maxSide (never enlarged), rounded like the seed's int(x*scale+0.5). */
export function workingSize(w: number, h: number, maxSide: number): [number, number] {
  const s = Math.min(1, maxSide / Math.max(w, h));
  if (s === 1) return [w, h];
  return [Math.max(1, Math.floor(w * s + 0.5)), Math.max(1, Math.floor(h * s + 0.5))];
}

export function createVoteRefiner(opts: VoteRefinerOptions): Refiner & TimedRefiner {
  const { proposer, name = 'vote', ownsProposer = true, labelBias, holeFill = 0, ...voteOpts } = opts;
  if (!(holeFill >= 0 && holeFill <= 1)) {
    throw invalidParameterError(`${name} refiner: holeFill`, 'a fraction in [0, 1]', holeFill);
  }
  if (!proposer || typeof proposer.propose !== 'function') {
    throw new AnimesegError('BAD_OPTION', `${name} refiner: a segment proposer is required`);
  }
  const vote = resolveVoteOptions(voteOpts);
  const self = {
    name,
    lastTimings: undefined as RefineTimings | undefined,
    async refine(image: RawImage, instances: Instance[]): Promise<Instance[]> {
      const t: RefineTimings = {};
      self.lastTimings = t;
      if (instances.length === 0) return [];
      const rgb = toRgb(image);
      const { width: W, height: H } = rgb;
      for (const inst of instances) {
        if (inst.mask.width !== W || inst.mask.height !== H) {
          throw new AnimesegError('BAD_INPUT', `${name} refiner: instance mask is ${inst.mask.width}x${inst.mask.height}, image is ${W}x${H}`, {
            hint: 'instances must carry full-image-size (native) masks',
          });
        }
      }
      let t0 = performance.now();
      const [ww, wh] = workingSize(W, H, vote.workingMaxSide);
      const working = ww === W && wh === H ? rgb : resizeBilinearU8(rgb, ww, wh);
      t.resize = performance.now() - t0;

      t0 = performance.now();
      const segments = isPartitionProposer(proposer) ? await proposer.proposeLabels(working) : await proposer.propose(working);
      t.propose = performance.now() - t0;

      t0 = performance.now();
      const yoloMasks = instances.map((i) => i.mask);
      let bias: Float32Array | undefined;
      if (labelBias && !Array.isArray(segments)) {
        const union = yoloMasks.length === 1 ? yoloMasks[0] : unionMasks(yoloMasks, W, H);
        bias = labelBias(working, segments, union.width === ww && union.height === wh ? union : resizeMaskNearest(union, ww, wh));
      }
      const masks = voteFusionPerInstance(yoloMasks, segments, vote, bias);
      t.fusion = performance.now() - t0;

      t0 = performance.now();
      const out = instances.map((inst, i) => {
        // A character the fusion erased entirely (tiny YOLO mask eaten by the erosions) keeps its YOLO mask.
        const area = maskArea(masks[i]);
        const empty = area === 0 && maskArea(inst.mask) > 0;
        let mask = empty ? inst.mask : masks[i];
        if (!empty && holeFill > 0) mask = removeSmallRegions(mask, holeFill * area, 'holes').mask;
        return { ...inst, mask, maskSource: empty ? (inst.maskSource ?? 'yolo') : name };
      });
      t.holes = performance.now() - t0;
      return out;
    },
    async dispose() {
      if (ownsProposer) await proposer.dispose?.();
    },
  };
  return self;
}
