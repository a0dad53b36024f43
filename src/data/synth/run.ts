/**
 * `animeseg synth`: a YOLO-seg dataset of composites, in Ultralytics' layout
 * (images/{train,val}, labels/{train,val}, data.yaml). Reruns resume: an index whose label file exists is
 * done (labels are written after their image). synth.json records the settings and inputs so a resumed or
 * extended run cannot silently mix two different configurations.
 */
import { availableParallelism } from 'node:os';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { AnimesegError, invalidParameterError } from '../../errors.js';
import { TEMP_PREFIX, writeFileAtomic } from '../../util/atomic.js';
import { Progress } from '../../util/progress.js';
import { listInputImages } from '../files.js';
import { writeDataYaml } from '../yaml.js';
import { DEFAULT_PARAMS, type SynthParams } from './params.js';
import { runPool } from './pool.js';
import type { RenderTask } from './render.js';
import { checkBackgrounds, checkForegrounds, type SharedBg, type SharedFg, type SkippedInput } from './sources.js';
import { pathExists } from '../../util/exists.js';

export interface SynthOptions {
  fg: string;
  bg: string;
  out: string;
  count: number;
  /** Fraction of images in val (spread evenly over the indices). */
  val: number;
  workers?: number;
  params?: Partial<SynthParams>;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  /** Receives one line per skipped input or failed image. */
  log?: (line: string) => void;
}

export interface SynthStats {
  written: number;
  resumed: number; // already present, skipped
  failed: number;
  instances: number;
  rows: number;
  skippedInputs: SkippedInput[];
  seconds: number;
  /** Seconds spent rendering (worker start to last image), without input checks. */
  renderSeconds: number;
  /** CPU seconds of the whole process (all threads) while rendering: throughput independent of machine load. */
  renderCpuSeconds: number;
  /** Images written per second of rendering. */
  imagesPerSec: number;
  dataYaml: string;
}

/** Decoded inputs kept in shared memory (bytes), half foregrounds, half backgrounds. */
const SHARED_BUDGET = 2 * 2 ** 30;
/** Total cache for inputs beyond the shared budget, split between workers. */
const WORKER_CACHE_TOTAL = 2 * 2 ** 30;

/** Image i is in val when the running count floor((i+1) v) steps up: exactly floor(N v) spread evenly. */
export function isValIndex(i: number, val: number): boolean {
  return Math.floor((i + 1) * val) > Math.floor(i * val);
}

export function imageName(i: number): string {
  return `synth_${String(i).padStart(6, '0')}`;
}


async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith(TEMP_PREFIX)).map((n) => rm(join(dir, n), { force: true })));
}

export function validateParams(p: SynthParams): void {
  const range = (name: string, r: [number, number], lo: number, hi: number) => {
    if (!(r[0] >= lo && r[1] <= hi && r[0] <= r[1])) throw invalidParameterError(`--${name}`, `a range a-b within [${lo}, ${hi}]`, r.join('-'));
  };
  const prob = (name: string, v: number) => {
    if (!(v >= 0 && v <= 1)) throw invalidParameterError(`--${name}`, 'a probability in [0, 1]', v);
  };
  if (!Number.isInteger(p.maxForegrounds) || p.maxForegrounds < 1 || p.maxForegrounds > 255) throw invalidParameterError('--max-fg', 'a whole number in [1, 255]', p.maxForegrounds);
  prob('crop', p.cropProb);
  prob('flip', p.flipProb);
  prob('grayscale', p.grayscaleProb);
  prob('resample', p.resampleProb);
  prob('overlap', p.overlapProb);
  prob('cast', p.castProb);
  prob('closeup', p.closeupProb);
  prob('lineart', p.lineartProb);
  prob('bubbles', p.bubbleProb);
  prob('harmonize', p.harmonizeProb);
  range('harmonize-strength', p.harmonizeStrength, 0, 1);
  range('closeup-keep', p.closeupKeep, 0.05, 1);
  range('closeup-scale', p.closeupScale, 0.1, 10);
  range('overlap-offset', p.overlapOffset, 0, 2);
  if (!(p.castStrength >= 0 && p.castStrength <= 1)) throw new AnimesegError('BAD_OPTION', `--cast-strength must be in [0, 1], got ${p.castStrength}`);
  range('crop-keep', p.cropKeep, 0.05, 1);
  range('scale', p.scale, 0.01, 10);
  range('jitter', p.jitter, 0, 5);
  range('resample-range', p.resampleRange, 0.05, 1);
  range('jpeg-quality', p.jpegQuality, 1, 100);
  if (!(p.rotate >= 0 && p.rotate <= 180)) throw invalidParameterError('--rotate', 'in [0, 180] degrees', p.rotate);
  if (!(p.noise >= 0 && p.noise <= 255)) throw invalidParameterError('--noise', 'in [0, 255]', p.noise);
  if (!(p.epsilon >= 0 && p.epsilon <= 1)) throw invalidParameterError('--epsilon', 'in [0, 1] px (labels follow the boundary within 1 px)', p.epsilon);
  if (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 2 ** 53) throw invalidParameterError('--seed', 'a whole number >= 0', p.seed);
}

export async function runSynth(opts: SynthOptions): Promise<SynthStats> {
  const t0 = Date.now();
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const params: SynthParams = { ...DEFAULT_PARAMS, ...opts.params };
  validateParams(params);
  if (!Number.isInteger(opts.count) || opts.count < 1) throw invalidParameterError('--count', 'a whole number >= 1', opts.count);
  if (!(opts.val >= 0 && opts.val < 1)) throw invalidParameterError('--val', 'a fraction in [0, 1)', opts.val);
  const out = resolve(opts.out);

  const inputs = await checkInputs(opts, log);
  await pinSettings(out, opts, params, inputs);
  for (const s of ['train', 'val']) {
    await removeStaleTemps(join(out, 'images', s));
    await removeStaleTemps(join(out, 'labels', s));
  }
  const { tasks, resumed } = await pendingImages(out, opts, params.format === 'png' ? 'png' : 'jpg');
  if (resumed > 0) log(`resuming: ${resumed} of ${opts.count} images already done`);

  const stats: SynthStats = { written: 0, resumed, failed: 0, instances: 0, rows: 0, skippedInputs: inputs.skipped, seconds: 0, renderSeconds: 0, renderCpuSeconds: 0, imagesPerSec: 0, dataYaml: join(out, 'data.yaml') };
  await renderImages(tasks, out, opts, params, inputs, stats);

  const hasVal = Math.floor(opts.count * opts.val) > 0;
  await writeDataYaml(stats.dataYaml, {
    root: out,
    train: 'images/train',
    val: hasVal ? 'images/val' : 'images/train',
    names: ['character'],
    comment: `written by animeseg synth (${params.mode}, seed ${params.seed}, ${opts.count} images)${hasVal ? '' : '; no val split: val = train'}`,
  });
  stats.seconds = (Date.now() - t0) / 1000;
  stats.imagesPerSec = stats.written / Math.max(1e-9, stats.renderSeconds);
  return stats;
}

type Checked<S> = { ok: string[]; shared: (S | null)[] };
interface CheckedInputs {
  fg: Checked<SharedFg>;
  bg: Checked<SharedBg>;
  skipped: SkippedInput[];
}

/**
 * List and decode the inputs (that is also how they are checked), keeping up to SHARED_BUDGET of them for
 * every worker; unusable ones are logged and skipped, and a side with none usable is BAD_INPUT.
 */
async function checkInputs(opts: SynthOptions, log: (line: string) => void): Promise<CheckedInputs> {
  const fgAll = await listInputImages(opts.fg, 'foreground (--fg)');
  const bgAll = await listInputImages(opts.bg, 'background (--bg)');
  const checking = new Progress({ total: fgAll.length + bgAll.length, label: 'inputs', unit: 'img', mode: opts.progress ?? 'auto' });
  const fg = await checkForegrounds(fgAll, SHARED_BUDGET * 0.5, () => checking.tick());
  const bg = await checkBackgrounds(bgAll, SHARED_BUDGET * 0.5, () => checking.tick());
  checking.finish();
  const skipped = [...fg.skipped, ...bg.skipped];
  for (const s of skipped) log(`skipped input ${s.file}: ${s.reason}`);
  if (fg.ok.length === 0) {
    throw new AnimesegError('BAD_INPUT', `none of the ${fgAll.length} foregrounds is usable (see the messages above)`, {
      file: opts.fg,
      hint: 'foregrounds must be RGBA images whose alpha cuts out the character',
    });
  }
  if (bg.ok.length === 0) throw new AnimesegError('BAD_INPUT', `none of the ${bgAll.length} backgrounds is readable`, { file: opts.bg });
  return { fg, bg, skipped };
}

/**
 * synth.json pins the settings and inputs (relative names: the same folders elsewhere give the same set):
 * a folder holding a run with others is refused; else it is (re)written with this run's count.
 */
async function pinSettings(out: string, opts: SynthOptions, params: SynthParams, inputs: CheckedInputs): Promise<void> {
  const fgRoot = resolve(opts.fg);
  const bgRoot = resolve(opts.bg);
  const manifest = {
    tool: 'animeseg synth',
    params,
    val: opts.val,
    foregrounds: inputs.fg.ok.map((f) => relative(fgRoot, resolve(f))),
    backgrounds: inputs.bg.ok.map((f) => relative(bgRoot, resolve(f))),
  };
  const manifestPath = join(out, 'synth.json');
  if (await pathExists(manifestPath)) {
    let prev: unknown;
    try {
      prev = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch {
      prev = null;
    }
    const { count: _c, ...prevRest } = (prev ?? {}) as Record<string, unknown>;
    void _c;
    if (JSON.stringify(prevRest) !== JSON.stringify(manifest)) {
      throw new AnimesegError('BAD_OPTION', 'this output folder holds a synth run with different settings or inputs', {
        file: manifestPath,
        hint: 'use a new --out folder (or delete the old one) so the dataset stays reproducible',
      });
    }
  }
  await writeFileAtomic(manifestPath, JSON.stringify({ ...manifest, count: opts.count }, null, 2) + '\n');
}

/** The images still to render: an index is done when its label file and its image both exist. */
async function pendingImages(out: string, opts: SynthOptions, ext: string): Promise<{ tasks: RenderTask[]; resumed: number }> {
  const tasks: RenderTask[] = [];
  let resumed = 0;
  for (let i = 0; i < opts.count; i++) {
    const split = isValIndex(i, opts.val) ? 'val' : 'train';
    const name = imageName(i);
    if ((await pathExists(join(out, 'labels', split, `${name}.txt`))) && (await pathExists(join(out, 'images', split, `${name}.${ext}`)))) {
      resumed++;
      continue;
    }
    tasks.push({ index: i, split, name });
  }
  return { tasks, resumed };
}

/**
 * Render the tasks on the worker pool, counting into `stats` (written, failed, instances, rows and the
 * render's wall and CPU time). Workers beyond the shared inputs decode on demand into a per-worker cache
 * that shrinks as workers grow.
 */
async function renderImages(tasks: readonly RenderTask[], out: string, opts: SynthOptions, params: SynthParams, inputs: CheckedInputs, stats: SynthStats): Promise<void> {
  const workers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
  const progress = new Progress({ total: tasks.length, label: 'synth', unit: 'img', mode: opts.progress ?? 'auto' });
  const tRender = Date.now();
  const cpu0 = process.cpuUsage();
  const init = {
    params,
    fgFiles: inputs.fg.ok,
    bgFiles: inputs.bg.ok,
    out,
    shared: { fg: inputs.fg.shared, bg: inputs.bg.shared },
    cacheBytes: Math.max(128 * 2 ** 20, WORKER_CACHE_TOTAL / workers),
  };
  await runPool(init, tasks, workers, (r) => {
    if (r.ok) {
      stats.written++;
      stats.instances += r.instances ?? 0;
      stats.rows += r.rows ?? 0;
    } else {
      stats.failed++;
      progress.log(`image ${imageName(r.index)} failed: ${r.error}`);
    }
    progress.tick(1, r.ok);
  });
  progress.finish();
  stats.renderSeconds = (Date.now() - tRender) / 1000;
  const cpu = process.cpuUsage(cpu0);
  stats.renderCpuSeconds = (cpu.user + cpu.system) / 1e6;
}
