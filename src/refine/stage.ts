/**
 * The refinement stage: what a segmenter does between detection and outputs, in this order:
 *   1. the refiner (none | regions | vote | box), its output merged onto the instances (apply.ts);
 *   2. masks that started as box priors (detection-only models) kept inside their box: the refiner worked
 *      for that box only;
 *   3. the soft edge: guided-filter alpha on every instance (softedge.ts), when asked.
 * This is the one route to soft edges: the segmenter's `softEdge` option and `segment(input, { softEdge })`
 * per call both end here, in this thread (localRefineStage) or on a refine worker (worker.ts runs this same
 * function). Refiners themselves only make binary masks.
 */
import type { Instance, Refiner } from '../contracts.js';
import type { RawImage } from '../image/types.js';
import { clipToBox } from '../mask/box-region.js';
import { applyRefiner } from './apply.js';
import { softAlpha } from './softedge.js';
import type { RefineTimings, SoftEdgeOptions, TimedRefiner } from './types.js';

/** What one run of the stage returns: the instances and how long steps 1-2 ('refine') and 3 ('softEdge') took. */
export interface StageResult<T extends Instance = Instance> {
  instances: T[];
  /** 'refine', 'softEdge' in ms, plus the refiner's own stage timings (TimedRefiner) when it has them. */
  timings: RefineTimings;
  /** The refiner's notes on this call (TimedRefiner.lastNotes), when it has any. */
  notes?: string[];
}

export async function runRefineStage<T extends Instance>(refiner: Refiner | null, image: RawImage, instances: T[], soft: SoftEdgeOptions | null): Promise<StageResult<T>> {
  const timings: RefineTimings = {};
  if (instances.length === 0) return { instances, timings };
  let out = instances;
  let notes: string[] | undefined;
  if (refiner) {
    const t0 = performance.now();
    const refined = await applyRefiner(refiner, image, instances);
    out = refined.map((r, i) => (instances[i].maskSource === 'box-prior' ? { ...r, mask: clipToBox(r.mask, instances[i].box) } : r));
    timings.refine = performance.now() - t0;
    Object.assign(timings, (refiner as TimedRefiner).lastTimings);
    const n = (refiner as TimedRefiner).lastNotes;
    if (n?.length) notes = [...n];
  }
  if (soft) {
    const t0 = performance.now();
    out = out.map((i) => ({ ...i, alpha: softAlpha(image, i.mask, soft) }));
    timings.softEdge = performance.now() - t0;
  }
  return notes ? { instances: out, timings, notes } : { instances: out, timings };
}

/** The stage as a segmenter holds it: in this thread, or on refine workers (worker-pool.ts). */
export interface RefineStage {
  /** The refiner's name ('none' when there is none). */
  readonly name: string;
  run<T extends Instance>(image: RawImage, instances: T[], soft: SoftEdgeOptions | null): Promise<StageResult<T>>;
  dispose(): Promise<void>;
}

/** The stage in this thread around `refiner` (null: no refinement, soft edge only). Disposing disposes the refiner. */
export function localRefineStage(refiner: Refiner | null): RefineStage {
  return {
    name: refiner?.name ?? 'none',
    run: (image, instances, soft) => runRefineStage(refiner, image, instances, soft),
    async dispose() {
      await refiner?.dispose?.();
    },
  };
}
