/**
 * What a job carries: the source image, its output name and folder, and the segment settings of the run.
 * The settings hash is the run record's (run-record.ts settingsHash over batch.ts batchSettings), so a
 * queued image and a `segment` run with the same settings share it and each resumes the other's work;
 * with the source and output it makes the job id, so adding the same images with the same settings twice
 * enqueues nothing new (BullMQ ignores a known job id).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../pipeline/run/run-record.js';
import type { SegmentOptions } from '../pipeline/settings.js';

/** Everything that decides an image's outputs: the settings a run was added with, and how to load. */
export interface JobSettings {
  /** Model name(s), or absolute path(s) (a path must read the same on every worker machine). */
  model?: string;
  maxPixels: number;
  /**
   * The settings as given (the one SegmentOptions that `segment`'s flags and the server's fields give): the
   * worker's segmenter resolves them against its model as `segment` does, and the settings hash the job
   * carries proves both sides resolved them alike.
   */
  options: SegmentOptions;
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

/** The settings a worker's segmenter is made with; the rest (detection, filter, outputs) is per image. */
export function segmenterOptionsOf(o: SegmentOptions): Pick<SegmentOptions, 'refine' | 'refineOptions' | 'softEdge' | 'recall' | 'boxPrior'> {
  return { refine: o.refine, refineOptions: o.refineOptions, softEdge: o.softEdge, recall: o.recall, boxPrior: o.boxPrior };
}

/** Settings that need their own segmenter (model, refiner, recall aids, pixel limit). */
export function segmenterKey(s: JobSettings): string {
  return canonicalJson({ model: s.model, maxPixels: s.maxPixels, ...segmenterOptionsOf(s.options) });
}
