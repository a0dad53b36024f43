/**
 * Validate a dataset before training starts, so a broken label file is found in seconds, not after
 * hours of GPU time: the same check as `animeseg dataset check` (src/data/check.ts), minus image hashing.
 */
import { resolve } from 'node:path';
import { AnimesegError } from '../errors.js';
import { checkDataset } from '../data/check.js';
import { readDataYaml } from '../data/yaml.js';

export interface DatasetFacts {
  /** Absolute path of data.yaml. */
  file: string;
  names: string[];
  /** Images and instances per split when known. */
  counts: Record<string, { images?: number; instances?: number }>;
  /** Provenance recorded in data.yaml (e.g. a `sources` block written by `animeseg dataset merge`). */
  sources?: unknown;
  /** 'skipped' when the caller asked for no check (`--skip-check`): only data.yaml was read. */
  checker: 'dataset-check' | 'skipped';
  warnings: string[];
}

/**
 * Check the dataset; throw BAD_DATASET listing the problems when it would not train.
 * `skip` only reads data.yaml (for users who just ran `animeseg dataset check`).
 */
export async function validateDataset(
  dataYaml: string,
  opts: { skip?: boolean; progress?: 'auto' | 'bar' | 'plain' | 'silent' } = {},
): Promise<DatasetFacts> {
  const file = resolve(dataYaml);
  const doc = await readDataYaml(file).catch((e: unknown) => {
    if (e instanceof AnimesegError && e.code === 'BAD_INPUT') {
      throw new AnimesegError(e.code, e.message, { file, cause: e, hint: 'pass the data.yaml written by `animeseg synth`, `coco2yolo` or `dataset merge`' });
    }
    throw e;
  });
  const names = [...doc.names.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  const facts: DatasetFacts = { file, names, counts: {}, sources: doc.extra.sources, checker: 'skipped', warnings: doc.warnings };
  if (opts.skip) return facts;

  // Hashing 90k images for duplicates takes long; headers and labels are what break training.
  const r = await checkDataset(file, { hash: false, progress: opts.progress });
  facts.checker = 'dataset-check';
  facts.warnings = r.warnings;
  for (const [split, c] of Object.entries(r.counts.perSplit)) facts.counts[split] = { images: c.images, instances: c.instances };
  if (!r.ok) {
    throw new AnimesegError('BAD_DATASET', `the dataset would not train:\n  ${r.errors.join('\n  ')}`, {
      file,
      hint: "fix these (see 'animeseg dataset check'), or pass --skip-check to let Ultralytics decide",
    });
  }
  return facts;
}
