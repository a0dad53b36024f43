/**
 * The `regions` segment proposer: a weight-free over-segmentation tuned for anime art. The image is
 * area-averaged down to `maxSide`, lightly smoothed, segmented with Felzenszwalb's graph method, and the
 * labels are upsampled back with edge-aware snapping. Output is a partition (LabelMap); `propose()` also
 * offers it as one Mask per segment for generic callers, which costs segments x pixels bytes.
 */
import { AnimesegError } from '../../errors.js';
import type { RawImage } from '../../image/types.js';
import type { Mask } from '../../mask/types.js';
import type { LabelMap, PartitionProposer } from '../types.js';
import { felzenszwalb } from './felzenszwalb.js';
import { gaussianBlurPlanes, toPlanes } from './planes.js';
import { labelMeans, upsampleLabels } from './upsample.js';

export interface RegionsOptions {
  /** Longest side of the scale the graph is built at (the image is never enlarged). */
  maxSide: number;
  /** Felzenszwalb scale parameter at that scale: larger → larger segments. */
  k: number;
  /** Smallest segment, in pixels at the segmentation scale. */
  minSize: number;
  /** Gaussian pre-smoothing sigma at the segmentation scale (0 = none). */
  sigma: number;
  connectivity: 4 | 8;
}

/** Tuned on KS composites (see docs/REFINEMENT.md for the sweep). */
export const DEFAULT_REGIONS_OPTIONS: Readonly<RegionsOptions> = Object.freeze({
  maxSide: 640,
  k: 200,
  minSize: 20,
  sigma: 0,
  connectivity: 8,
});

export function resolveRegionsOptions(opts: Partial<RegionsOptions> = {}): RegionsOptions {
  const o: RegionsOptions = { ...DEFAULT_REGIONS_OPTIONS };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined && k in DEFAULT_REGIONS_OPTIONS) (o as unknown as Record<string, unknown>)[k] = v;
  const bad = (name: string, rule: string, v: unknown) =>
    new AnimesegError('BAD_OPTION', `regions option ${name} must be ${rule}, got ${String(v)}`, {
      hint: `defaults: ${JSON.stringify(DEFAULT_REGIONS_OPTIONS)}`,
    });
  if (!Number.isInteger(o.maxSide) || o.maxSide < 16) throw bad('maxSide', 'an integer >= 16', o.maxSide);
  if (!(o.k > 0 && Number.isFinite(o.k))) throw bad('k', 'a positive number', o.k);
  if (!Number.isInteger(o.minSize) || o.minSize < 0) throw bad('minSize', 'an integer >= 0', o.minSize);
  if (!(o.sigma >= 0 && o.sigma <= 10)) throw bad('sigma', 'in [0, 10]', o.sigma);
  if (o.connectivity !== 4 && o.connectivity !== 8) throw bad('connectivity', '4 or 8', o.connectivity);
  return o;
}

/** Over-segment an RGB image; labels at the image's full size. */
export function overSegment(image: RawImage, opts: Partial<RegionsOptions> = {}): LabelMap {
  const o = resolveRegionsOptions(opts);
  const { width: W, height: H } = image;
  if (W < 1 || H < 1 || image.data.length < W * H * image.channels) {
    throw new AnimesegError('BAD_INPUT', `regions: image data does not match ${W}x${H}x${image.channels}`);
  }
  const s = Math.min(1, o.maxSide / Math.max(W, H));
  const w = Math.max(1, Math.round(W * s));
  const h = Math.max(1, Math.round(H * s));
  const planes = toPlanes(image, w, h);
  gaussianBlurPlanes(planes, o.sigma);
  const small = felzenszwalb(planes.r, planes.g, planes.b, w, h, { k: o.k, minSize: o.minSize, connectivity: o.connectivity });
  if (w === W && h === H) return small;
  return upsampleLabels(small, labelMeans(small, planes), image);
}

/** One Mask per label (for callers that want the generic SegmentProposer form). */
export function labelMapToMasks(lm: LabelMap): Mask[] {
  const masks: Mask[] = Array.from({ length: lm.count }, () => ({ data: new Uint8Array(lm.width * lm.height), width: lm.width, height: lm.height }));
  const { labels } = lm;
  for (let p = 0; p < labels.length; p++) if (labels[p] >= 0) masks[labels[p]].data[p] = 1;
  return masks;
}

export function createRegionsProposer(opts: Partial<RegionsOptions> = {}): PartitionProposer {
  const o = resolveRegionsOptions(opts);
  return {
    name: 'regions',
    async proposeLabels(image: RawImage) {
      return overSegment(image, o);
    },
    async propose(image: RawImage) {
      return labelMapToMasks(overSegment(image, o));
    },
  };
}
