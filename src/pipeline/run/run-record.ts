/**
 * What a finished image leaves behind as its record (one manifest line), the settings hash it carries,
 * and the resume rule: an image is done only when its latest record names the same source file, carries
 * the same settings hash and succeeded, and every output it lists still exists. Pure functions (no I/O
 * besides the caller's `exists`), shared by the batch runner and anything else that schedules images
 * (a queue), so every path resumes the same way.
 */
import type { RefinerOptions } from '../../refine/index.js';
import { createHash } from 'node:crypto';

/** Everything that changes what is written for an image. Undefined fields are left out of the hash. */
export interface RunSettings {
  /** Model name (or file name for a path) and its file size, so a replaced file counts as another model. */
  model: string;
  modelBytes?: number;
  conf: number;
  iou: number;
  maxDet?: number;
  /** Resolved class ids (null = all). */
  classes: number[] | null;
  agnostic?: boolean;
  refine: string;
  softEdge: boolean;
  /** Refiner settings that change masks (SAM model, preset, box points). */
  refineOptions?: Omit<RefinerOptions, 'softEdge'>;
  minArea?: number;
  maxCovered?: number;
  /** Recall aids (flip, tiles, second pass), when any is on. */
  recall?: Record<string, unknown>;
  /** The coarse-mask prior of detection-only boxes, when a detection-only model is used. */
  boxPrior?: string;
  /** Outputs asked: format, overlay, instances, only-mask, background colour, crop, skip-empty. */
  outputs: Record<string, unknown>;
}

/**
 * 'writing' is the claim a run appends before it writes an image's files (listing every file it may
 * create or remove), so files left by a kill are still known to be the tool's; a later line replaces it.
 */
export type ImageStatus = 'ok' | 'empty' | 'failed' | 'writing';

/** One manifest line (OUT/manifest.jsonl). Paths in `outputs` are relative to the output folder, '/'-separated. */
export interface RunRecord {
  /** Absolute path of the source image. */
  input: string;
  /** Output name (relative to the output folder, no extension). */
  name: string;
  status: ImageStatus;
  /** Why it failed (status 'failed'). */
  reason?: string;
  outputs: string[];
  instances: number;
  scores: number[];
  /** Mask areas in pixels, one per instance. */
  areas: number[];
  settings_hash: string;
  /** ISO time the image finished. */
  finished: string;
}

/** JSON with keys sorted at every level and undefined dropped: the same settings always give the same text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

/** Stable 16-hex-digit hash of the settings (sha256 of the canonical JSON). */
export function settingsHash(s: RunSettings): string {
  return createHash('sha256').update(canonicalJson(s)).digest('hex').slice(0, 16);
}

export type ResumeDecision =
  | { action: 'skip' }
  | { action: 'redo'; reason: 'new' | 'failed' | 'interrupted' | 'settings' | 'source' | 'missing-output' };

/**
 * Whether an image needs doing. `record` is its latest record (undefined = none); `exists` tells whether an
 * output (relative path) is present.
 */
export async function resumeDecision(
  record: RunRecord | undefined,
  want: { input: string; settingsHash: string },
  exists: (output: string) => Promise<boolean> | boolean,
): Promise<ResumeDecision> {
  if (!record) return { action: 'redo', reason: 'new' };
  if (record.input !== want.input) return { action: 'redo', reason: 'source' };
  if (record.settings_hash !== want.settingsHash) return { action: 'redo', reason: 'settings' };
  if (record.status === 'failed') return { action: 'redo', reason: 'failed' };
  if (record.status === 'writing') return { action: 'redo', reason: 'interrupted' };
  for (const o of record.outputs) if (!(await exists(o))) return { action: 'redo', reason: 'missing-output' };
  return { action: 'skip' };
}

/** Shorthand for resumeDecision(...).action === 'skip'. */
export async function isDone(record: RunRecord | undefined, want: { input: string; settingsHash: string }, exists: (output: string) => Promise<boolean> | boolean): Promise<boolean> {
  return (await resumeDecision(record, want, exists)).action === 'skip';
}

/** Parse one manifest line; null when it is not a complete record (a torn or foreign line). */
export function parseRecord(line: string): RunRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  const r = v as Partial<RunRecord>;
  const ok =
    typeof r === 'object' && r !== null &&
    typeof r.input === 'string' && typeof r.name === 'string' && typeof r.settings_hash === 'string' &&
    (r.status === 'ok' || r.status === 'empty' || r.status === 'failed' || r.status === 'writing') && Array.isArray(r.outputs) && r.outputs.every((o) => typeof o === 'string');
  return ok ? (r as RunRecord) : null;
}
