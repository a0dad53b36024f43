/**
 * The per-image step a worker runs for one job, and the "already done?" check `queue add` and the worker
 * share. Both are main's batch pieces (src/pipeline/run/batch.ts processOne, run-record.ts resumeDecision):
 * a queued image gets exactly the outputs, atomic writes, manifest lines and resume rule of `segment`.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AnimesegError } from '../errors.js';
import { batchSettings, failedRecord, latestRecord, processOne, type BatchOptions, type RunModel } from '../pipeline/run/batch.js';
import { detectOptionsOf } from '../pipeline/settings.js';
import { pathExists } from '../util/exists.js';
import type { OutputFolder } from '../pipeline/run/output-folder.js';
import { resumeDecision, settingsHash, type ResumeDecision, type RunRecord } from '../pipeline/run/run-record.js';
import type { Segmenter } from '../pipeline/segmenter.js';

/** What the settings hash needs of a model (a Segmenter's info: models, refiner, recall aids, box prior). */
export type ModelInfo = RunModel;
import type { ImageJob } from './settings.js';

/** The BatchOptions `segment` would pass for these settings. */
export function batchOptions(job: Pick<ImageJob, 'outDir' | 'settings' | 'overwrite'>): BatchOptions {
  const o = job.settings.options;
  return { outDir: job.outDir, detect: detectOptionsOf(o), filter: o.filter, refineOptions: o.refineOptions, ...o.outputs, overwrite: job.overwrite ?? false, progress: 'silent' };
}

/** The run record's settings hash for a job: what `segment` with the same options and model computes. */
export async function runSettingsHash(seg: ModelInfo, job: Pick<ImageJob, 'outDir' | 'settings'>): Promise<string> {
  return settingsHash(await batchSettings(seg, batchOptions(job)));
}

/**
 * Whether the image needs doing (resumeDecision on its latest record: a manifest line, else the NAME.json
 * the tool wrote), and that record.
 */
export async function imageDecision(folder: OutputFolder, job: Pick<ImageJob, 'source' | 'name' | 'outDir' | 'settings'>, hash: string): Promise<{ decision: ResumeDecision; previous?: RunRecord; fromManifest: boolean }> {
  const { record: previous, fromManifest } = await latestRecord(folder, resolve(job.outDir), job.name, batchOptions(job));
  const decision = await resumeDecision(previous, { input: job.source, settingsHash: hash }, (o) => pathExists(join(job.outDir, o)));
  return { decision, previous, fromManifest };
}

export interface JobOutcome {
  instances: number;
  status: RunRecord['status'];
  /** Done already with these settings (a job picked up again after its worker died, or a segment run). */
  skipped?: boolean;
}

/**
 * Run one job as `segment` runs one image: skip it when its record says done with these settings, else
 * processOne and its manifest line. `rerun` (the job ran before, in a worker that died): read the other
 * workers' manifest files again first, since that worker may have finished it. A failure that `isFinal`
 * accepts gets its 'failed' line (with the reason) before it is thrown on.
 */
export async function runJob(seg: Segmenter, folder: OutputFolder, job: ImageJob, o: { rerun: boolean; isFinal: (e: unknown) => string | null }): Promise<JobOutcome> {
  const hash = await runSettingsHash(seg, job);
  // Outputs under one settings hash must come from one model: a worker whose model file differs from the
  // producer's (same name, other file) would silently mix results into the folder. Nothing is written.
  if (hash !== job.settingsHash) throw await settingsMismatch(seg, job, hash);
  let previous: RunRecord | undefined;
  try {
    if (o.rerun) await folder.manifest.refresh();
    const d = await imageDecision(folder, job, hash);
    previous = d.previous;
    if (!job.overwrite && d.decision.action === 'skip') {
      // Done by a run whose manifest line a kill cut off: give it its line now (as runBatch does).
      if (!d.fromManifest && previous) await folder.manifest.append(previous);
      return { instances: previous!.instances, status: previous!.status, skipped: true };
    }
    const opts = batchOptions(job);
    const { record, instances } = await processOne(seg, { path: job.source, name: job.name }, opts, { inputPaths: new Set([resolve(job.source)]), folder, settingsHash: hash, previous });
    await folder.manifest.append(record);
    return { instances: instances.length, status: record.status };
  } catch (e) {
    const reason = o.isFinal(e);
    if (reason !== null) {
      await folder.manifest.append(failedRecord(folder, { input: job.source, name: job.name, reason, settingsHash: hash }, previous)).catch(() => undefined);
    }
    throw e;
  }
}

/** The error of a job whose settings hash differs from the one this worker computes for it. */
async function settingsMismatch(seg: Segmenter, job: ImageJob, hash: string): Promise<AnimesegError> {
  const bytes = await stat(seg.info.path).then((st) => `${st.size} bytes`, () => 'size unknown');
  const model = seg.info.model === seg.info.path ? `its model file is ${seg.info.path}` : `its model '${seg.info.model}' is ${seg.info.path}`;
  return new AnimesegError(
    'BAD_MODEL',
    `this worker's settings differ from those the job was added with (settings hash ${hash}, the job's ${job.settingsHash}): ${model} (${bytes}); a different model file under the same name, or another animeseg version`,
    { hint: "give every worker the same model file (and animeseg version) as the machine that added the job, then 'animeseg queue retry-failed'" },
  );
}
