/**
 * The shared option table's values (SEGMENT_OPTIONS, options.ts) as the one input of the settings resolver:
 * `segment` and `queue add` (after their typed parse) and POST /v1/segment and /v1/jobs (after reading their
 * strings with the same per-type readers) both call segmentOptionsOf, so the same raw values give the same
 * SegmentOptions, and resolveSegmentSettings gives the same SegmentSettings. Options a front end has alone
 * (the CLI's recall aids, filter, crops; the server's `select`) are added by that front end.
 */
import { parseClassList, type SegmentOptionKey } from './options.js';
import { parseColor } from './outputs.js';
import type { RefinerName } from '../refine/registry.js';
import type { SegmentOptions } from './settings.js';

/** The shared options' values by table key, typed (undefined = not given). */
export interface SharedOptionValues {
  conf?: number;
  iou?: number;
  max_det?: number;
  classes?: string;
  agnostic?: boolean;
  refine?: RefinerName;
  soft_edge?: boolean;
  only_mask?: boolean;
  bg_color?: string;
  crop?: boolean;
  format?: 'png' | 'webp';
  instances?: boolean;
}

/**
 * The settings the shared options give. `nameOf` spells an option as its front end does in messages
 * ('--bg-color' on the CLI, 'bg_color' on the server).
 */
export function segmentOptionsOf(v: SharedOptionValues, nameOf: (key: SegmentOptionKey) => string = (k) => k): SegmentOptions {
  return {
    conf: v.conf,
    iou: v.iou,
    maxDet: v.max_det,
    agnostic: v.agnostic,
    // Names resolve against the model, in the resolver.
    classes: v.classes === undefined ? undefined : parseClassList(v.classes, nameOf('classes')),
    refine: v.refine,
    softEdge: v.soft_edge,
    outputs: {
      format: v.format,
      onlyMask: v.only_mask,
      bgColor: v.bg_color === undefined ? undefined : parseColor(v.bg_color, nameOf('bg_color')),
      crop: v.crop,
      instances: v.instances,
    },
  };
}
