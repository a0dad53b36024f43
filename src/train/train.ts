/**
 * `animeseg train`: dataset check → Ultralytics training (progress from results.csv, Ctrl-C forwarded so the
 * run can resume) → ONNX export → evaluation → model card → optional registration in the user manifest.
 * Training itself stays in Ultralytics (multi-GPU, AutoBatch, augmentations); this module only drives it.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { AnimesegError, describeError } from '../errors.js';
import { assertRegistrableName, registerModel } from '../models/resolver/manifest.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import { buildCard, writeModelCard, ULTRALYTICS_LICENCE, type EvaluationRecord, type ModelCard } from './card.js';
import { validateDataset, type DatasetFacts } from './dataset.js';
import { DEFAULT_OPSET, exportOnnx, type ExportResult } from './export.js';
import { formatEpoch, plannedEpochsOf, readResultsCsv, ResultsWatcher, type EpochRow } from './results.js';
import { displayCommand, findUltralytics, runUltralytics, type UltralyticsCommand } from './ultralytics.js';
import { pathExists } from '../util/exists.js';
import type { SplitName } from '../data/yaml.js';
import type { RefinerName } from '../refine/registry.js';

/** The original anime-seg training recipe (YOLOv8m-seg from COCO weights, 60 epochs, SGD defaults, AutoBatch). */
export const ORIGINAL_HYPERPARAMETERS: Readonly<Record<string, string>> = {
  model: 'yolov8m-seg.pt',
  epochs: '60',
  imgsz: '640',
  batch: '-1',
  lr0: '0.01',
  momentum: '0.937',
  weight_decay: '0.0005',
  dropout: '0.0',
};

/** Keys animeseg sets itself; passing them as key=value would break resume, progress or the run folder. */
const RESERVED_KEYS = new Set(['data', 'project', 'name', 'exist_ok', 'resume', 'mode', 'task']);

export const RUN_RECORD = 'animeseg-train.json';
export const RUN_LOG = 'animeseg-train.log';

export interface TrainOptions {
  data?: string;
  model?: string;
  epochs?: number;
  imgsz?: number;
  batch?: number;
  device?: string;
  /** Run folder name under `project` (default 'train'; made unique like Ultralytics: train2, train3...). */
  name?: string;
  /** Folder holding runs (default ./runs/animeseg). */
  project?: string;
  /** Continue the run `project/name` (or the newest run in `project`) from weights/last.pt. */
  resume?: boolean;
  python?: string;
  /** Add the exported model to the user manifest under this name. */
  register?: string;
  /** Extra Ultralytics key=value pairs; they override the defaults and the options above. */
  extra?: string[];
  skipCheck?: boolean;
  opset?: number;
  /** Run the evaluation after export (default true). */
  evaluate?: boolean;
  /** Evaluation function (default: `evaluate` from src/eval/index.ts when present). */
  evaluateImpl?: EvaluateFn;
  signal?: AbortSignal;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  env?: NodeJS.ProcessEnv;
  ultralytics?: UltralyticsCommand;
  onEpoch?: (row: EpochRow, epochs: number) => void;
  /** Every output line of Ultralytics (also written to RUN/animeseg-train.log). */
  onLine?: (line: string) => void;
  /** Status messages ("exporting...", where files went). Default: stderr. */
  log?: (message: string) => void;
}

export interface TrainResult {
  status: 'completed' | 'interrupted';
  runDir: string;
  command: string;
  rows: EpochRow[];
  best?: string;
  last?: string;
  exported?: ExportResult;
  card?: ModelCard;
  cardFiles?: { markdown: string; json: string };
  evaluation?: EvaluationRecord;
  registered?: { name: string; manifest: string };
  /** How to continue an interrupted run. */
  resumeCommand?: string;
}

/** What we remember about a run, so a resumed run can still export, evaluate, card and register. */
interface RunRecord {
  version: 1;
  data: string;
  hyperparameters: Record<string, string>;
  register?: string;
  opset: number;
  dataset: DatasetFacts;
  ultralyticsArgs: string[];
}

function parseKeyValues(pairs: string[]): [string, string][] {
  return pairs.map((p) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(p);
    if (!m) throw new AnimesegError('BAD_OPTION', `'${p}' is not a key=value pair for Ultralytics`, { hint: 'e.g. mosaic=0.5 close_mosaic=10' });
    if (RESERVED_KEYS.has(m[1])) {
      throw new AnimesegError('BAD_OPTION', `'${m[1]}=' is set by animeseg`, { hint: 'use --data, --project, --name or --resume instead' });
    }
    return [m[1], m[2]];
  });
}

/**
 * The hyper-parameters Ultralytics receives: the original recipe, then the options, then pass-through pairs.
 * Multi-GPU runs get batch=16 per GPU when no batch was chosen: Ultralytics' AutoBatch (-1) is single-GPU only.
 */
export function buildHyperparameters(opts: Pick<TrainOptions, 'model' | 'epochs' | 'imgsz' | 'batch' | 'device' | 'extra'>): Record<string, string> {
  const hp: Record<string, string> = { ...ORIGINAL_HYPERPARAMETERS };
  if (opts.model !== undefined) hp.model = opts.model;
  if (opts.epochs !== undefined) hp.epochs = String(opts.epochs);
  if (opts.imgsz !== undefined) hp.imgsz = String(opts.imgsz);
  if (opts.batch !== undefined) hp.batch = String(opts.batch);
  if (opts.device !== undefined) {
    hp.device = opts.device;
    const gpus = opts.device.split(',').filter((d) => d.trim() !== '').length;
    if (gpus > 1 && opts.batch === undefined) hp.batch = String(16 * gpus);
  }
  for (const [k, v] of parseKeyValues(opts.extra ?? [])) hp[k] = v;
  return hp;
}

/** `yolo segment train data=... model=... ... project=... name=... exist_ok=True` in a fixed, readable order. */
export function buildTrainArgs(data: string, hp: Record<string, string>, project: string, name: string): string[] {
  return ['segment', 'train', `data=${data}`, ...Object.entries(hp).map(([k, v]) => `${k}=${v}`), `project=${project}`, `name=${name}`, 'exist_ok=True'];
}

/** Ultralytics' increment_path: name, name2, name3, ... (first that does not exist). */
export async function uniqueRunName(project: string, name: string): Promise<string> {
  if (!(await pathExists(join(project, name)))) return name;
  for (let n = 2; n < 10_000; n++) if (!(await pathExists(join(project, `${name}${n}`)))) return `${name}${n}`;
  throw new AnimesegError('IO', `too many runs named ${name} in ${project}`);
}

/** The run to resume: project/name when named, else the newest run in project that has weights/last.pt. */
async function findRunToResume(project: string, name: string | undefined): Promise<string> {
  if (name) {
    const dir = join(project, name);
    if (!(await pathExists(join(dir, 'weights', 'last.pt')))) {
      throw new AnimesegError('BAD_OPTION', `nothing to resume: ${join(dir, 'weights', 'last.pt')} does not exist`, {
        hint: 'check --project and --name (the run folder printed when training started)',
      });
    }
    return dir;
  }
  let newest: { dir: string; t: number } | undefined;
  for (const entry of await readdir(project).catch(() => [] as string[])) {
    const last = join(project, entry, 'weights', 'last.pt');
    const s = await stat(last).catch(() => undefined);
    if (s && (!newest || s.mtimeMs > newest.t)) newest = { dir: join(project, entry), t: s.mtimeMs };
  }
  if (!newest) {
    throw new AnimesegError('BAD_OPTION', `nothing to resume: no run in ${project} has weights/last.pt`, { hint: 'pass --project/--name of the run' });
  }
  return newest.dir;
}

export interface EvaluateArgs {
  data: string;
  split: SplitName;
  model: string;
  refine: RefinerName;
  /** Folder for metrics.json and the PR/F1 plots. */
  out: string;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
}
export type EvaluateFn = (opts: EvaluateArgs) => Promise<unknown>;

/** The eval module's evaluate(), imported only when training evaluates (it pulls in onnxruntime). */
async function loadEvaluate(): Promise<EvaluateFn> {
  const { evaluate } = await import('../eval/index.js');
  return evaluate;
}

/**
 * What of an evaluation report goes into the model card: the metrics, not the per-image list (which is as long
 * as the val split; it stays in OUT/metrics.json).
 */
export function summarizeEvaluation(report: unknown): unknown {
  if (!report || typeof report !== 'object') return report;
  const r = report as Record<string, unknown>;
  if (!('perImage' in r)) return report;
  const { perImage, skipped, ...rest } = r;
  return {
    ...rest,
    images: Array.isArray(perImage) ? perImage.length : undefined,
    skipped: Array.isArray(skipped) ? skipped.length : skipped,
  };
}

/** Evaluate the exported model on the val split; any failure is recorded, never fatal (the model is already made). */
async function evaluateModel(args: EvaluateArgs, impl?: EvaluateFn): Promise<EvaluationRecord> {
  try {
    const evaluate = impl ?? (await loadEvaluate());
    const results = summarizeEvaluation(await evaluate(args));
    return { status: 'done', split: args.split, results };
  } catch (e) {
    return { status: 'failed', split: args.split, reason: describeError(e) };
  }
}

function resumeCommandFor(project: string, name: string): string {
  return `animeseg train --resume --project ${project} --name ${name}`;
}

/** A run ready to start (or continue): its folder, what we remember about it, the Ultralytics arguments. */
interface PreparedRun {
  runDir: string;
  record: RunRecord;
  args: string[];
  /** Epochs already in results.csv (a resumed run). */
  alreadySeen: number;
}

type Log = (message: string) => void;

/** Continue `project/name` (or the newest run) from weights/last.pt, with the record the first start wrote. */
async function prepareResume(project: string, opts: TrainOptions, log: Log): Promise<PreparedRun> {
  const runDir = await findRunToResume(project, opts.name);
  let record: RunRecord;
  try {
    record = JSON.parse(await readFile(join(runDir, RUN_RECORD), 'utf8')) as RunRecord;
  } catch {
    throw new AnimesegError('BAD_OPTION', `${runDir} was not started by animeseg train (no ${RUN_RECORD})`, {
      hint: 'resume it with Ultralytics directly: yolo train resume model=RUN/weights/last.pt',
    });
  }
  if (opts.register) record.register = opts.register;
  const args = ['segment', 'train', 'resume=True', `model=${join(runDir, 'weights', 'last.pt')}`];
  // Ultralytics lets these three change on resume (trainer.check_resume).
  if (opts.device !== undefined) args.push(`device=${opts.device}`);
  if (opts.batch !== undefined) args.push(`batch=${opts.batch}`);
  const alreadySeen = (await readResultsCsv(join(runDir, 'results.csv')))?.rows.length ?? 0;
  log(`resuming ${runDir} after epoch ${alreadySeen}`);
  return { runDir, record, args, alreadySeen };
}

/** A new run: hyperparameters, the dataset check, a unique run folder. */
async function prepareNewRun(project: string, opts: TrainOptions, log: Log): Promise<PreparedRun> {
  const data = resolve(opts.data!);
  const hp = buildHyperparameters(opts);
  // A local weights file is recorded by absolute path; a bare Ultralytics name (yolov8m-seg.pt) stays as is.
  if (await pathExists(hp.model)) hp.model = resolve(hp.model);
  const dataset = await validateDataset(data, { skip: opts.skipCheck, progress: opts.progress });
  for (const w of dataset.warnings.slice(0, 20)) log(`dataset warning: ${w}`);
  const name = await uniqueRunName(project, opts.name ?? 'train');
  const runDir = join(project, name);
  await mkdir(runDir, { recursive: true });
  const args = buildTrainArgs(data, hp, project, name);
  const record: RunRecord = { version: 1, data, hyperparameters: hp, register: opts.register, opset: opts.opset ?? DEFAULT_OPSET, dataset, ultralyticsArgs: args };
  return { runDir, record, args, alreadySeen: 0 };
}

/** Ultralytics training with progress per epoch from results.csv. */
async function runTraining(u: UltralyticsCommand, run: PreparedRun, epochs: number, opts: TrainOptions, env: NodeJS.ProcessEnv) {
  const bar = new Progress({ total: epochs, unit: 'epoch', label: 'train', mode: opts.progress ?? 'auto' });
  if (run.alreadySeen) bar.tick(run.alreadySeen);
  // The plan Ultralytics is following now: with time=H it refits its epochs after each one.
  let planned = epochs;
  const onLine = (line: string): void => {
    const n = plannedEpochsOf(line);
    if (n !== undefined && n !== planned) bar.setTotal((planned = n));
    opts.onLine?.(line);
  };
  const watcher = new ResultsWatcher(
    join(run.runDir, 'results.csv'),
    (row) => {
      bar.tick();
      bar.log(formatEpoch(row, planned));
      opts.onEpoch?.(row, planned);
    },
    opts.progress === 'silent' ? 100 : 500,
    run.alreadySeen,
  );
  watcher.start();
  const r = await runUltralytics(u, run.args, { env, signal: opts.signal, logFile: join(run.runDir, RUN_LOG), onLine });
  const rows = await watcher.stop();
  bar.finish();
  return { r, rows, planned };
}

/** A run that ended with an error, without epochs or without best.pt is not a model: say why and how to go on. */
function assertTrainingProduced(r: Awaited<ReturnType<typeof runUltralytics>>, base: TrainResult, project: string, best: string): void {
  const { runDir, rows } = base;
  const name = basename(runDir);
  if (r.code !== 0) {
    throw new AnimesegError('EXTERNAL_FAILED', `Ultralytics training failed (exit ${r.code ?? r.signal}) after ${rows.length} epoch(s)`, {
      file: runDir,
      hint:
        `last output:\n    ${r.tail.slice(-8).join('\n    ')}\n  full log: ${join(runDir, RUN_LOG)}` +
        (base.last ? `\n  after fixing the cause, continue with: ${resumeCommandFor(project, name)}` : ''),
    });
  }
  if (rows.length === 0) {
    throw new AnimesegError('EXTERNAL_FAILED', `Ultralytics exited normally but wrote no results.csv rows in ${runDir}`, {
      file: join(runDir, 'results.csv'),
      hint: `no epoch was recorded, so the run cannot be trusted; see ${join(runDir, RUN_LOG)}`,
    });
  }
  if (!base.best) {
    throw new AnimesegError('EXTERNAL_FAILED', `training finished but ${best} is missing`, { file: runDir, hint: `see ${join(runDir, RUN_LOG)}` });
  }
}

/** Add the exported model to the user manifest, with its card as the source. */
async function registerExported(name: string, record: RunRecord, exported: ExportResult, cardJson: string, rows: EpochRow[], env: NodeJS.ProcessEnv, log: Log): Promise<TrainResult['registered']> {
  const manifest = await registerModel(
    {
      name,
      file: basename(exported.onnx),
      path: exported.onnx,
      sha256: exported.sha256,
      size: exported.bytes,
      licence: ULTRALYTICS_LICENCE,
      description: `YOLOv8-seg trained by animeseg from ${record.hyperparameters.model} on ${basename(record.data)} (${rows.at(-1)!.epoch} epochs)`,
      kind: 'yolo-seg',
      source: cardJson,
    },
    { env },
  );
  log(`registered '${name}' in ${manifest}: use it with --model ${name}`);
  return { name, manifest };
}

/** Export → evaluate → card → register, for a run that produced best.pt. */
async function finishModel(u: UltralyticsCommand, record: RunRecord, base: TrainResult, epochs: number, opts: TrainOptions, env: NodeJS.ProcessEnv, log: Log): Promise<TrainResult> {
  const { runDir, rows } = base;
  const modelName = record.register ?? basename(runDir);
  log('exporting best.pt to ONNX...');
  const exported = await exportOnnx({
    weights: base.best!,
    imgsz: Number(record.hyperparameters.imgsz),
    opset: record.opset,
    out: join(runDir, `${modelName}.onnx`),
    ultralytics: u,
    env,
    onLine: opts.onLine,
  });
  log(`ONNX: ${exported.onnx} (opset ${exported.opset}, input ${exported.imgsz?.join('x') ?? 'dynamic'})`);
  const evaluation =
    opts.evaluate === false
      ? { status: 'skipped' as const, reason: 'turned off (--no-eval)' }
      : await evaluateModel(
          { data: record.data, split: 'val', model: exported.onnx, refine: 'none', out: join(runDir, 'eval'), progress: opts.progress },
          opts.evaluateImpl,
        );
  if (evaluation.status !== 'done') log(`evaluation ${evaluation.status}: ${evaluation.reason}`);
  const card = buildCard({
    name: modelName,
    baseModel: record.hyperparameters.model,
    hyperparameters: record.hyperparameters,
    epochsPlanned: epochs,
    rows,
    dataset: record.dataset,
    exported,
    ultralytics: { version: u.version, via: u.via },
    command: displayCommand(u, record.ultralyticsArgs),
    runDir,
    resumed: !!opts.resume,
    evaluation,
  });
  const cardFiles = await writeModelCard(card, exported.onnx);
  log(`model card: ${cardFiles.markdown}`);
  const registered = record.register ? await registerExported(record.register, record, exported, cardFiles.json, rows, env, log) : undefined;
  return { ...base, exported, card, cardFiles, evaluation, registered };
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const env = opts.env ?? process.env;
  const project = resolve(opts.project ?? join('runs', 'animeseg'));
  if (opts.register) assertRegistrableName(opts.register);
  if (!opts.resume && !opts.data) throw new AnimesegError('BAD_OPTION', 'train: --data data.yaml is required', { hint: "run 'animeseg train --help'" });

  // Ultralytics first: no point checking 90k images if it cannot run anyway.
  const u = opts.ultralytics ?? (await findUltralytics({ python: opts.python, env }));
  log(`Ultralytics ${u.version} (${u.command})`);

  const run = opts.resume ? await prepareResume(project, opts, log) : await prepareNewRun(project, opts, log);
  const { runDir, record } = run;
  if (opts.opset !== undefined) record.opset = opts.opset;
  await writeJsonAtomic(join(runDir, RUN_RECORD), record);
  const command = displayCommand(u, run.args);
  const epochs = Number(record.hyperparameters.epochs);
  log(`run folder: ${runDir}\n$ ${command}`);

  const { r, rows, planned } = await runTraining(u, run, epochs, opts, env);

  const best = join(runDir, 'weights', 'best.pt');
  const last = join(runDir, 'weights', 'last.pt');
  const base: TrainResult = {
    status: 'completed',
    runDir,
    command,
    rows,
    best: (await pathExists(best)) ? best : undefined,
    last: (await pathExists(last)) ? last : undefined,
  };
  if (r.interrupted) {
    const resumeCommand = resumeCommandFor(project, basename(runDir));
    log(`interrupted after ${rows.length} epoch(s); ${base.last ? `continue with: ${resumeCommand}` : 'no last.pt was saved, so it cannot be resumed'}`);
    return { ...base, status: 'interrupted', resumeCommand: base.last ? resumeCommand : undefined };
  }
  assertTrainingProduced(r, base, project, best);
  return finishModel(u, record, base, planned, opts, env, log);
}
