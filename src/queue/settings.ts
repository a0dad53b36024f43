/**
 * What a job carries: the source image, its output name and folder, and the segment settings of the run.
 * The settings hash is the run record's (run-record.ts settingsHash over batch.ts batchSettings), so a
 * queued image and a `segment` run with the same settings share it and each resumes the other's work;
 * with the source and output it makes the job id, so adding the same images with the same settings twice
 * enqueues nothing new (BullMQ ignores a known job id).
 */
import { createHash } from 'node:crypto';
import type { OutputOptions } from '../pipeline/run/batch.js';
import type { InstanceFilterOptions } from '../pipeline/instance-filter.js';
import { canonicalJson } from '../pipeline/run/run-record.js';
import type { BoxPriorName } from '../pipeline/box-prior.js';
import type { DetectOptions, RecallOptions } from '../pipeline/segmenter.js';
import type { RefinerName } from '../refine/registry.js';
import type { RefinerOptions } from '../refine/index.js';

/** Everything that decides an image's outputs (the `segment` options a run was added with). */
export interface JobSettings {
  model?: string;
  /** Undefined: the model's default refiner (as `segment` without --refine). */
  refine?: RefinerName;
  refineOptions: RefinerOptions;
  /** --soft-edge: guided-filter alpha after refinement (the segmenter's softEdge option). */
  softEdge?: boolean;
  /** --tta, --tiles, --second-pass and --box-prior (detection-only models). */
  recall?: RecallOptions;
  boxPrior?: BoxPriorName;
  /** conf, iou, maxDet, agnostic (+ classes resolved to ids against the model), in `segment`'s key order. */
  detect: DetectOptions;
  /** --min-area, --max-covered. */
  filter?: InstanceFilterOptions;
  maxPixels: number;
  output: OutputOptions;
}

export interface ImageJob {
  /** Where the worker reads the image (a path on the shared folder). */
  source: string;
  /** Output name without extension, relative to outDir (as `segment` names it). */
  name: string;
  outDir: string;
  settings: JobSettings;
  /** The run record's settings hash as the producer computed it (the worker recomputes it with its model). */
  settingsHash: string;
  /** Redo the image even when its outputs exist. */
  overwrite?: boolean;
}

const sha = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** BullMQ job id: hex (custom ids may not contain ':' nor be plain integers). */
export function jobIdFor(source: string, outDir: string, name: string, hash: string): string {
  return `img-${sha(`${source}\n${outDir}\n${name}\n${hash}`, 32)}`;
}

/** Settings that need their own segmenter (model, refiner, pixel limit); the rest is per image. */
export function segmenterKey(s: JobSettings): string {
  return canonicalJson({ model: s.model, refine: s.refine, refineOptions: s.refineOptions, softEdge: s.softEdge, recall: s.recall, boxPrior: s.boxPrior, maxPixels: s.maxPixels });
}
