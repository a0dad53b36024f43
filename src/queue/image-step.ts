/**
 * The per-image step a worker runs for one job, and the "already done?" check `queue add` and the worker
 * share. Both are thin calls into the batch runner (src/pipeline/batch.ts), so a queued image gets exactly
 * the outputs and atomic writes of `segment`; when the batch runner grows a run record (manifest, settings-
 * aware resume), these two functions are the only places to switch over.
 */
import { readFile } from 'node:fs/promises';
import { isDone, outputPaths, processOne, type BatchOptions } from '../pipeline/batch.js';
import type { DetectOptions, Segmenter } from '../pipeline/segmenter.js';
import type { ImageJob, JobSettings } from './settings.js';

/** The BatchOptions `segment` would pass for these settings (detect keys in segment's order). */
export function batchOptions(job: ImageJob, classes: DetectOptions['classes']): BatchOptions {
  const detect: DetectOptions = { ...job.settings.detect };
  if (classes !== undefined) detect.classes = classes;
  return { outDir: job.outDir, detect, ...job.settings.output, progress: 'silent' };
}

/** Segment one queued image and write its outputs; returns the instance count. */
export async function processImage(seg: Segmenter, job: ImageJob, classes: DetectOptions['classes']): Promise<{ instances: number; timings: Record<string, number> }> {
  return processOne(seg, { path: job.source, name: job.name }, batchOptions(job, classes), new Set([job.source]));
}

/**
 * Done with these settings: every asked-for output exists (batch.ts isDone) and the JSON (written last)
 * names this source and the same detection settings and refiner. Settings the JSON does not record (soft
 * edge, SAM model) are not compared; the run record of the batch runner will.
 */
export async function isImageDone(job: Pick<ImageJob, 'source' | 'name' | 'outDir' | 'settings'>): Promise<boolean> {
  const s: JobSettings = job.settings;
  const paths = outputPaths(job.outDir, job.name, s.output.format ?? 'png');
  if (!(await isDone(paths, s.output))) return false;
  let json: { image?: unknown; settings?: Record<string, unknown> };
  try {
    json = JSON.parse(await readFile(paths.json, 'utf8'));
  } catch {
    return false;
  }
  const got = json.settings ?? {};
  if (json.image !== job.source || got.refine !== s.refine) return false;
  for (const [k, v] of Object.entries(s.detect)) if (got[k] !== v) return false;
  if (s.classes !== undefined && s.classes !== 'all' && s.classes.every((c) => typeof c === 'number')) {
    if (JSON.stringify(got.classes) !== JSON.stringify(s.classes)) return false;
  }
  return true;
}
