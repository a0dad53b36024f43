/**
 * SAM's postprocess_small_regions mask step (utils/amg.py remove_small_regions, holes then islands, with
 * 8-connectivity as cv2.connectedComponentsWithStats) over the project's src/mask/components.ts, which
 * implements remove_small_regions with segment-anything's semantics.
 */
import type { Mask } from '../../../mask/types.js';
import { removeSmallRegions } from '../../../mask/components.js';

export { removeSmallRegions as removeSmallRegionsSam };

/** Fill holes, then remove islands, smaller than minArea; `changed` if either step changed the mask. */
export function cleanSmallRegions(mask: Mask, minArea: number): { mask: Mask; changed: boolean } {
  const a = removeSmallRegions(mask, minArea, 'holes');
  const b = removeSmallRegions(a.mask, minArea, 'islands');
  return { mask: b.mask, changed: a.changed || b.changed };
}
