/**
 * The vote Refiner, in the original work's order (../shared/data/reference/vote/README.md): the image is
 * shrunk so its longest side is <= workingMaxSide (sides int(x * scale), cv2 bilinear) and segments are
 * proposed on it; the instances' masks are brought to the YOLO mask size (yoloMaskSide on the long side, where
 * the original's YOLO masks live) and fused with the segments (vote.ts); each instance's fused values are
 * resized bilinearly (cv2, uint8) to the image, as the original resizes its mask before writing the alpha.
 * Soft edges come after, in the refinement stage (stage.ts). The proposer decides the flavour: SAM AMG →
 * 'vote', the regions over-segmentation → 'regions'.
 */
import { AnimesegError, invalidParameterError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { toRgb } from '../image/pixels.js';
import { resizeBilinearU8, shrinkToMaxSide } from '../image/resize.js';
import { maskArea, unionMasks } from '../mask/ops.js';
import { removeSmallRegions } from '../mask/components.js';
import { resizeMaskLinear, resizeMaskNearest } from '../mask/resize.js';
import type { Mask } from '../mask/types.js';
import { roundHalfEven } from '../util/numeric.js';
import type { Instance, Refiner } from '../contracts.js';
import { isPartitionProposer, type LabelMap, type RefineTimings, type SegmentProposer, type TimedRefiner, type VoteOptions } from './types.js';
import { resolveVoteOptions, voteFusionValues } from './vote.js';

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

/** The working size for the segments: the original's shrink for SAM (image/resize.ts shrinkToMaxSide). */
export const workingSize = shrinkToMaxSide;

/**
 * The YOLO network's mask size for a w x h image: Ultralytics' letterbox content size for a `side` input,
 * r = min(side / h, side / w) (up or down), sides round(x * r) with Python's half-to-even rounding. The
 * original erodes its YOLO masks at this size; the letterbox padding is left out (see docs/REFINEMENT.md).
 */
export function yoloMaskSize(w: number, h: number, side: number): [number, number] {
  const r = Math.min(side / h, side / w);
  return [Math.max(1, roundHalfEven(w * r)), Math.max(1, roundHalfEven(h * r))];
}

/** Values (0 = background) resized like cv2.resize(uint8, (w, h)) bilinear; non-zero → the mask. */
function valuesToMask(values: Uint8Array, vw: number, vh: number, w: number, h: number): Mask {
  const r = vw === w && vh === h ? values : resizeBilinearU8({ data: values, width: vw, height: vh, channels: 1 }, w, h).data;
  const data = new Uint8Array(w * h);
  for (let p = 0; p < data.length; p++) data[p] = r[p] ? 1 : 0;
  return { data, width: w, height: h };
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
    lastNotes: undefined as string[] | undefined,
    async refine(image: RawImage, instances: Instance[]): Promise<Instance[]> {
      const t: RefineTimings = {};
      self.lastTimings = t;
      self.lastNotes = undefined;
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
      if (proposer.lastNotes?.length) self.lastNotes = proposer.lastNotes.map((n) => `${name}: ${n}`);

      t0 = performance.now();
      let bias: Float32Array | undefined;
      if (labelBias && !Array.isArray(segments)) {
        const masks = instances.map((i) => i.mask);
        const union = masks.length === 1 ? masks[0] : unionMasks(masks, W, H);
        bias = labelBias(working, segments, union.width === ww && union.height === wh ? union : resizeMaskNearest(union, ww, wh));
      }
      const [yw, yh] = vote.yoloMaskSide > 0 ? yoloMaskSize(W, H, vote.yoloMaskSide) : [W, H];
      const yoloMasks = instances.map((i) => (yw === W && yh === H ? i.mask : resizeMaskLinear(i.mask, yw, yh)));
      const fused = voteFusionValues(yoloMasks, segments, vote, bias);
      const masks = fused.values.map((v) => valuesToMask(v, fused.width, fused.height, W, H));
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
