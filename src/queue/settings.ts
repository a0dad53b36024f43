/**
 * What a job carries: the source image, its output name and folder, and the segment settings of the run.
 * The settings hash names the run's settings; with the source and output it makes the job id, so adding
 * the same images with the same settings twice enqueues nothing new (BullMQ ignores a known job id).
 */
import { createHash } from 'node:crypto';
import type { OutputOptions } from '../pipeline/batch.js';
import type { DetectOptions, RefineName } from '../pipeline/segmenter.js';

/** Everything that decides an image's outputs (the `segment` options a run was added with). */
export interface JobSettings {
  model?: string;
  refine: RefineName;
  refineOptions: Record<string, unknown>;
  /** conf, iou, maxDet, agnostic, in the order `segment` builds them (so the JSON reads the same). */
  detect: Omit<DetectOptions, 'classes'>;
  /** --classes as given: ids, names (resolved by the worker against its model) or 'all'. */
  classes?: (number | string)[] | 'all';
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
  settingsHash: string;
  /** Redo the image even when its outputs exist. */
  overwrite?: boolean;
}

/** JSON with sorted keys at every level: the same settings always hash the same. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

export function settingsHash(s: JobSettings): string {
  return sha(stableJson(s), 16);
}

/** BullMQ job id: hex (custom ids may not contain ':' nor be plain integers). */
export function jobIdFor(source: string, outDir: string, name: string, hash: string): string {
  return `img-${sha(`${source}\n${outDir}\n${name}\n${hash}`, 32)}`;
}

/** Settings that need their own segmenter (model, refiner, pixel limit); the rest is per image. */
export function segmenterKey(s: JobSettings): string {
  return stableJson({ model: s.model, refine: s.refine, refineOptions: s.refineOptions, maxPixels: s.maxPixels });
}
