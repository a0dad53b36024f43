/**
 * animeseg queue add|status|retry-failed|drain: the producer side of scale-out runs on BullMQ/Redis.
 * `add` takes the `segment` options (same parsing, src/cli/commands/segment.ts) and enqueues one job per
 * image; workers (`animeseg worker`) on any machine that sees the same shared folder do the work.
 */
import { resolve } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { resolveClassIds } from '../../pipeline/options.js';
import { expandInputs } from '../../pipeline/inputs.js';
import { MANIFEST_DIR, MANIFEST_NAME, writerManifestPath } from '../../pipeline/manifest.js';
import { OutputFolder } from '../../pipeline/output-folder.js';
import { createSegmenter } from '../../pipeline/segmenter.js';
import { Progress } from '../../util/progress.js';
import { intOption, parseCommandArgs, requireExistingPaths } from '../args.js';
import { assertReachable, queueTarget } from '../../queue/connection.js';
import { runSettingsHash } from '../../queue/image-step.js';
import type { JobSettings } from '../../queue/settings.js';
import { options as segmentOptions, segmentSettings } from './segment.js';

export const usage = `Usage: animeseg queue add <files|folders|globs...> --queue redis://HOST:PORT -o OUT [segment options] [--wait]
       animeseg queue status --queue URL [--failed N] [--json]
       animeseg queue retry-failed --queue URL
       animeseg queue drain --queue URL [--all]

Scale-out runs: 'add' enqueues one job per image (inputs and OUT on a folder every worker mounts at the same
path); 'animeseg worker --queue URL' on each machine does the work, with the outputs of 'segment'.
Adding the same images with the same settings again enqueues nothing new; images already done in OUT
with these settings are not enqueued (--overwrite redoes them).

Options (every command):
  --queue URL            Redis holding the queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://
  --name NAME            queue name (default animeseg), to keep several runs apart
add:
  -o, --out DIR          output folder (required), and the options of 'animeseg segment' that decide the
                         outputs: --model --conf --iou --max-det --classes --agnostic --refine --soft-edge
                         --sam-* --box-points --instances --overlay --only-mask --bg-color --crop --crops
                         --crop-bg --crop-margin --format --skip-empty --min-area --max-covered --tta --tiles
                         --second-pass --box-prior --max-pixels --overwrite  (--device, --threads,
                         --concurrency go to 'animeseg worker')
                         Workers write the manifest lines to OUT/${MANIFEST_DIR}/HOST-PID-START.jsonl (one file
                         per worker process); 'segment' and 'queue add' read them with OUT/${MANIFEST_NAME}.
  --wait                 show a progress bar until this run's jobs are done (exit 1 if any failed)
  --progress MODE        auto | bar | plain | silent, with --wait (default auto)
status:
  --failed N             also list up to N failed jobs with their reason
  --json                 print the status as JSON
drain:
  (default)              remove jobs not yet started (waiting, and delayed retries)
  --all                  remove the whole queue, finished jobs included (BullMQ obliterate)
Exit: 0 ok, 1 failed jobs (add --wait), 2 usage error.`;

const common = { queue: { type: 'string' }, name: { type: 'string' } } as const;

/** Own flags of `queue add` taken out of argv; the rest is parsed as `segment` options. */
function splitAddArgs(argv: string[]): { own: { queue?: string; name?: string; wait: boolean }; rest: string[] } {
  const own: { queue?: string; name?: string; wait: boolean } = { wait: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--(queue|name)(?:=(.*))?$/.exec(a);
    if (m) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new AnimesegError('BAD_OPTION', `--${m[1]} needs a value`);
      own[m[1] as 'queue' | 'name'] = value;
    } else if (a === '--wait') own.wait = true;
    else rest.push(a);
  }
  return { own, rest };
}

const WORKER_ONLY = ['device', 'threads', 'concurrency', 'json', 'watch'] as const;

async function add(argv: string[]): Promise<number> {
  const { own, rest } = splitAddArgs(argv);
  const target = queueTarget(own.queue, own.name);
  const parsed = parseCommandArgs('queue add', rest, segmentOptions);
  const v = parsed.values;
  const inputs = parsed.positionals as string[];
  if (inputs.length === 0) throw new AnimesegError('BAD_OPTION', 'no input given', { hint: 'give image files, folders or globs on the shared folder' });
  if (inputs.includes('-')) throw new AnimesegError('BAD_OPTION', "'-' (stdin) cannot be queued", { hint: 'put the images on the shared folder' });
  if (!v.out) throw new AnimesegError('BAD_OPTION', 'missing -o OUT (the output folder, on the shared folder)');
  const misplaced = WORKER_ONLY.find((k) => v[k] !== undefined);
  if (misplaced) throw new AnimesegError('BAD_OPTION', `--${misplaced} is a worker setting`, { hint: `give it to 'animeseg worker'` });
  if (misplaced === undefined && v.watch) throw new AnimesegError('BAD_OPTION', '--watch is not available for queue add');
  const s = segmentSettings(v);
  await requireExistingPaths(inputs, 'check the path (folders are searched recursively; globs work too)');
  await assertReachable(target);
  // A model path must read the same on every machine: make it absolute (names are resolved by each worker).
  const model = v.model?.split(',').map((m) => (/\.onnx$/i.test(m.trim()) ? resolve(m.trim()) : m.trim())).join(',');
  const settings: JobSettings = {
    ...(model !== undefined && { model }),
    ...(s.refineGiven !== undefined && { refine: s.refineGiven }),
    refineOptions: s.refineOptions,
    ...(s.softEdge && { softEdge: true }),
    ...(s.recall.tta !== 'none' || s.recall.tiles || s.recall.secondPass ? { recall: s.recall } : {}),
    ...(s.boxPrior !== undefined && { boxPrior: s.boxPrior }),
    detect: s.detect,
    filter: { minArea: s.minArea, maxCovered: s.maxCovered },
    maxPixels: s.maxPixels,
    output: s.outputs,
  };
  const outDir = resolve(v.out);
  // Read for the resume rule only: this process appends nothing (a manifest of its own keeps it from
  // repairing manifest.jsonl under a running 'segment').
  const folder = await OutputFolder.open(outDir, { appendTo: writerManifestPath(outDir) });
  const items = await expandInputs(inputs, [outDir], { excludeFile: (p) => folder.isOurs(p) });
  if (items.length === 0) throw new AnimesegError('BAD_INPUT', `no images found in ${inputs.join(' ')}`);
  // The settings hash of the run record needs the segmenter as a worker makes it (model name and size,
  // default classes and refiner, recall aids, box prior), as does resolving --classes names: make it once.
  const seg = await createSegmenter({ model, refine: settings.refine, refineOptions: s.refineOptions, softEdge: settings.softEdge, recall: settings.recall, boxPrior: settings.boxPrior, maxPixels: s.maxPixels });
  let hash: string;
  try {
    if (s.classList !== undefined) settings.detect.classes = s.classList === 'all' ? 'all' : resolveClassIds(s.classList, seg.info.classNames);
    hash = await runSettingsHash(seg, { outDir, settings });
  } finally {
    await seg.dispose();
  }

  const { openQueue, openRedis, enqueueImages, waitForJobs } = await import('../../queue/producer.js');
  const queue = openQueue(target);
  const redis = openRedis(target);
  try {
    const r = await enqueueImages(queue, redis, items, { outDir, settings, settingsHash: hash, folder, overwrite: v.overwrite ?? false });
    const notes = [r.alreadyQueued && `${r.alreadyQueued} of them already queued`, r.alreadyDone && `${r.alreadyDone} image(s) already done in ${outDir} (not enqueued)`].filter(Boolean);
    console.error(`${r.jobIds.length} job(s) in queue '${target.name}' for ${items.length} image(s)${notes.length ? `: ${notes.join(', ')}` : ''}`);
    console.log(r.jobIds.length);
    if (!own.wait) return 0;
    const progress = new Progress({ total: r.jobIds.length, label: 'queue', unit: 'img', mode: s.progress });
    const w = await waitForJobs(queue, redis, r.jobIds, progress);
    console.error(`${w.completed} completed, ${w.failed} failed${w.failed ? ` (see 'animeseg queue status --queue ${target.url} --failed 20')` : ''}`);
    return w.failed > 0 ? 1 : 0;
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

async function other(cmd: 'status' | 'retry-failed' | 'drain', argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(`queue ${cmd}`, argv, { ...common, failed: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' } }, false);
  if (positionals.length) throw new AnimesegError('BAD_OPTION', `queue ${cmd}: unexpected argument '${positionals[0]}'`);
  const target = queueTarget(v.queue, v.name);
  await assertReachable(target);
  const { openQueue, openRedis, queueStatus, formatStatus, failedJobs } = await import('../../queue/producer.js');
  const queue = openQueue(target);
  const redis = openRedis(target);
  try {
    if (cmd === 'status') {
      const s = await queueStatus(queue, redis);
      const nFailed = intOption('failed', v.failed, 0, 0, 10_000);
      const failed = nFailed > 0 ? await failedJobs(queue, nFailed) : [];
      if (v.json) console.log(JSON.stringify({ ...s, failedJobs: failed }, null, 2));
      else {
        console.log(`queue '${target.name}': ${formatStatus(s)}`);
        console.log(`  manifest lines: OUT/${MANIFEST_DIR}/HOST-PID-START.jsonl, one file per worker process (read with OUT/${MANIFEST_NAME})`);
        for (const f of failed) console.log(`  failed: ${f.reason.split('\n')[0]}`);
      }
    } else if (cmd === 'retry-failed') {
      const before = (await queue.getJobCounts('failed')).failed ?? 0;
      await queue.retryJobs({ state: 'failed' });
      console.log(`${before} failed job(s) moved back to waiting`);
    } else {
      if (v.all) await queue.obliterate({ force: true });
      else await queue.drain(true);
      console.log(v.all ? `queue '${target.name}' removed` : `waiting and delayed jobs of '${target.name}' removed`);
    }
    return 0;
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'add') return await add(rest);
    if (cmd === 'status' || cmd === 'retry-failed' || cmd === 'drain') return await other(cmd, rest);
    throw new AnimesegError('BAD_OPTION', cmd ? `unknown queue command '${cmd}'` : 'missing queue command', { hint: 'add | status | retry-failed | drain' });
  } catch (e) {
    if (e instanceof AnimesegError && e.code === 'BAD_OPTION') {
      console.error(`animeseg queue: ${e.describe()}\n\n${usage}`);
      return 2;
    }
    throw e;
  }
}
