/**
 * Applying a refiner to a set of instances: what every entry point does after detection (segmenter, browser
 * page). The refiner returns replacements in the same order; fields it does not set stay as they were.
 */
import type { Instance, Refiner } from '../contracts.js';
import type { RawImage } from '../image/types.js';

export async function applyRefiner<T extends Instance>(refiner: Refiner | null | undefined, image: RawImage, instances: T[]): Promise<T[]> {
  if (!refiner || instances.length === 0) return instances;
  const refined = await refiner.refine(image, instances);
  return refined.map((r, i) => ({ ...instances[i], ...r }));
}
