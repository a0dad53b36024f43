/**
 * SAM's remove_small_regions (utils/amg.py) for the AMG's min_mask_region_area post-processing: fill holes
 * smaller than the area, then drop islands smaller than it (keeping the largest if all are small), with
 * 8-connectivity as cv2.connectedComponentsWithStats(…, 8).
 * TODO(lead): switch to src/mask/components.ts removeSmallRegions (helper B) once it lands; the semantics
 * here are the upstream ones (sizes = stats[1:, area], label 0 = the working mask's background).
 */
import type { Mask } from '../../../mask/types.js';

/** 8-connected labels of the non-zero pixels of `data` (0 = background), with areas (index 0 unused). */
function label8(data: Uint8Array, w: number, h: number): { labels: Int32Array; areas: number[] } {
  const labels = new Int32Array(w * h);
  const areas: number[] = [0];
  const stack = new Int32Array(w * h);
  let next = 1;
  for (let start = 0; start < data.length; start++) {
    if (data[start] === 0 || labels[start] !== 0) continue;
    let sp = 0;
    stack[sp++] = start;
    labels[start] = next;
    let area = 0;
    while (sp > 0) {
      const p = stack[--sp];
      area++;
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w || (dx === 0 && dy === 0)) continue;
          const q = yy * w + xx;
          if (data[q] !== 0 && labels[q] === 0) {
            labels[q] = next;
            stack[sp++] = q;
          }
        }
      }
    }
    areas.push(area);
    next++;
  }
  return { labels, areas };
}

/** One mode of remove_small_regions. Returns the (possibly new) mask and whether it changed. */
export function removeSmallRegionsSam(mask: Mask, areaThresh: number, mode: 'holes' | 'islands'): { mask: Mask; changed: boolean } {
  const { width: w, height: h } = mask;
  const holes = mode === 'holes';
  const working = new Uint8Array(w * h);
  for (let i = 0; i < working.length; i++) working[i] = (holes ? 1 : 0) ^ (mask.data[i] !== 0 ? 1 : 0);
  const { labels, areas } = label8(working, w, h);
  const small = new Uint8Array(areas.length);
  let anySmall = false;
  for (let l = 1; l < areas.length; l++) {
    if (areas[l] < areaThresh) {
      small[l] = 1;
      anySmall = true;
    }
  }
  if (!anySmall) return { mask, changed: false };
  // fill = labels that become foreground
  const fill = new Uint8Array(areas.length);
  if (holes) {
    fill[0] = 1;
    for (let l = 1; l < areas.length; l++) fill[l] = small[l];
  } else {
    let anyKept = false;
    for (let l = 1; l < areas.length; l++) {
      fill[l] = small[l] ? 0 : 1;
      if (fill[l]) anyKept = true;
    }
    if (!anyKept) {
      let best = 1;
      for (let l = 2; l < areas.length; l++) if (areas[l] > areas[best]) best = l;
      fill[best] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = fill[labels[i]];
  return { mask: { data: out, width: w, height: h }, changed: true };
}

/** holes then islands, as postprocess_small_regions does; `changed` if either step changed the mask. */
export function cleanSmallRegions(mask: Mask, minArea: number): { mask: Mask; changed: boolean } {
  const a = removeSmallRegionsSam(mask, minArea, 'holes');
  const b = removeSmallRegionsSam(a.mask, minArea, 'islands');
  return { mask: b.mask, changed: a.changed || b.changed };
}
