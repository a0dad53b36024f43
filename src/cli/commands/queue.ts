/**
 * animeseg queue add|status|retry-failed|drain: the producer side of scale-out runs on BullMQ/Redis.
 * `add` takes the `segment` options (same parsing, src/cli/commands/segment.ts) and enqueues one job per
 * image; workers (`animeseg worker`) on any machine that sees the same shared folder do the work.
 */
import { resolve } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { expandInputs } from '../../pipeline/run/inputs.js';
import { MANIFEST_DIR, MANIFEST_NAME, writerManifestPath } from '../../pipeline/run/manifest.js';
import { OutputFolder } from '../../pipeline/run/output-folder.js';
import { createSegmenter } from '../../pipeline/segmenter.js';
import { Progress } from '../../util/progress.js';
import { PROGRESS_OPTION, requireExistingPaths } from '../args.js';
import { defineCommand, optionLines } from '../schema-args.js';
import { QUEUE_TARGET_OPTIONS } from '../queue-options.js';
import type { OptionSpec } from '../../util/option-spec.js';
import { assertReachable, queueTarget } from '../../queue/connection.js';
import { runSettingsHash } from '../../queue/image-step.js';
import { segmenterOptionsOf, type JobSettings } from '../../queue/settings.js';
import { RUN_ONLY, SEGMENT_OUTPUT_OPTIONS, segmentSettings } from './segment.js';
import { command as workerCommand } from './worker.js';

/** Each sub-command's usage line: its own --help head, and together the head of `queue --help`. */
const SYNOPSIS = {
  add: 'animeseg queue add <files|folders|globs...> --queue redis://HOST:PORT -o OUT [segment options] [--wait]',
  status: 'animeseg queue status --queue URL [--failed N] [--json]',
  'retry-failed': 'animeseg queue retry-failed --queue URL',
  drain: 'animeseg queue drain --queue URL [--all]',
} as const;

const HEAD = `Usage: ${Object.values(SYNOPSIS).join('\n       ')}

Scale-out runs: 'add' enqueues one job per image (inputs and OUT on a folder every worker mounts at the same
path); 'animeseg worker --queue URL' on each machine does the work, with the outputs of 'segment'.
Adding the same images with the same settings again enqueues nothing new; images already done in OUT
with these settings are not enqueued (--overwrite redoes them).`;

/**
 * `segment`'s options that only say how a process runs, which `add` refuses by name (rather than as unknown
 * options): --device, --threads, --concurrency are each worker's to decide; --json and --watch have no
 * meaning for a queued run. (--progress is not among them: `add --wait` has its own.)
 */
const NOT_FOR_ADD = RUN_ONLY.filter((k) => k !== 'progress');
const WORKER_ONLY = NOT_FOR_ADD.filter((k) => workerCommand.options.some((o) => o.key === k));

const ADD_OWN = [
  {
    key: 'out',
    short: 'o',
    type: 'string',
    required: true,
    metavar: 'DIR',
    help: `output folder (required), on the shared folder. Workers write the manifest lines to OUT/${MANIFEST_DIR}/HOST-PID-START.jsonl (one file per worker process); 'segment' and 'queue add' read them with OUT/${MANIFEST_NAME}`,
  },
  { key: 'wait', type: 'boolean', help: 'show a progress bar until this run\'s jobs are done (exit 1 if any failed)' },
  { ...PROGRESS_OPTION, help: `${PROGRESS_OPTION.help}, with --wait` },
] as const satisfies readonly OptionSpec[];

/** The four sub-commands, each with its table; --queue and --name are every one's. */
export const commands = {
  add: defineCommand({
    name: 'queue add',
    head: `Usage: ${SYNOPSIS.add}`,
    options: [...QUEUE_TARGET_OPTIONS, ...ADD_OWN, ...SEGMENT_OUTPUT_OPTIONS],
    positionals: true,
  }),
  status: defineCommand({
    name: 'queue status',
    head: `Usage: ${SYNOPSIS.status}`,
    options: [
      ...QUEUE_TARGET_OPTIONS,
      { key: 'failed', type: 'integer', default: 0, min: 0, max: 10_000, defaultHelp: '', metavar: 'N', help: 'also list up to N failed jobs with their reason' },
      { key: 'json', type: 'boolean', help: 'print the status as JSON' },
    ],
  }),
  'retry-failed': defineCommand({ name: 'queue retry-failed', head: `Usage: ${SYNOPSIS['retry-failed']}`, options: QUEUE_TARGET_OPTIONS }),
  drain: defineCommand({
    name: 'queue drain',
    head: `Usage: ${SYNOPSIS.drain}`,
    options: [...QUEUE_TARGET_OPTIONS, { key: 'all', type: 'boolean', help: 'remove the whole queue, finished jobs included (BullMQ obliterate)' }],
  }),
};

const own = (cmd: keyof typeof commands): readonly OptionSpec[] => commands[cmd].options.filter((o) => !QUEUE_TARGET_OPTIONS.some((t) => t.key === o.key));

export const usage = `${HEAD}

Options (every command):
${optionLines(QUEUE_TARGET_OPTIONS)}
add:
${optionLines(ADD_OWN)}
add, and the output options of 'animeseg segment' (${WORKER_ONLY.map((k) => `--${k}`).join(', ')} go to 'animeseg worker'):
${optionLines(SEGMENT_OUTPUT_OPTIONS)}
status:
${optionLines(own('status'))}
drain:
  (default)              remove jobs not yet started (waiting, and delayed retries)
${optionLines(own('drain'))}
Exit: 0 ok, 1 failed jobs (add --wait), 2 usage error.`;

async function add(argv: string[]): Promise<number> {
  const misplaced = NOT_FOR_ADD.find((k) => argv.some((a) => a === `--${k}` || a.startsWith(`--${k}=`)));
  if (misplaced && (WORKER_ONLY as readonly string[]).includes(misplaced)) throw new AnimesegError('BAD_OPTION', `--${misplaced} is a worker setting`, { hint: `give it to 'animeseg worker'` });
  if (misplaced) throw new AnimesegError('BAD_OPTION', `--${misplaced} is not available for queue add`);
  const { values: v, positionals: inputs } = commands.add.parse(argv);
  const target = queueTarget(v.queue, v.name);
  if (inputs.length === 0) throw new AnimesegError('BAD_OPTION', 'no input given', { hint: 'give image files, folders or globs on the shared folder' });
  if (inputs.includes('-')) throw new AnimesegError('BAD_OPTION', "'-' (stdin) cannot be queued", { hint: 'put the images on the shared folder' });
  const s = segmentSettings(v);
  await requireExistingPaths(inputs, 'check the path (folders are searched recursively; globs work too)');
  await assertReachable(target);
  // A model path must read the same on every machine: make it absolute (names are resolved by each worker).
  const model = v.model?.split(',').map((m) => (/\.onnx$/i.test(m.trim()) ? resolve(m.trim()) : m.trim())).join(',');
  const settings: JobSettings = { ...(model !== undefined && { model }), maxPixels: s.maxPixels, options: s.options };
  const outDir = resolve(v.out);
  // Read for the resume rule only: this process appends nothing (a manifest of its own keeps it from
  // repairing manifest.jsonl under a running 'segment').
  const folder = await OutputFolder.open(outDir, { appendTo: writerManifestPath(outDir) });
  const items = await expandInputs(inputs, [outDir], { excludeFile: (p) => folder.isOurs(p) });
  if (items.length === 0) throw new AnimesegError('BAD_INPUT', `no images found in ${inputs.join(' ')}`);
  // The settings hash of the run record needs the segmenter as a worker makes it (model name and size,
  // default classes and refiner, recall aids, box prior), as does resolving --classes names: make it once.
  const seg = await createSegmenter({ ...segmenterOptionsOf(s.options), model, maxPixels: s.maxPixels });
  let hash: string;
  try {
    hash = await runSettingsHash(seg, { outDir, settings });
  } finally {
    await seg.dispose();
  }

  const { openQueue, openRedis, enqueueImages, waitForJobs } = await import('../../queue/producer.js');
  const queue = openQueue(target);
  const redis = openRedis(target);
  try {
    const r = await enqueueImages(queue, redis, items, { outDir, settings, settingsHash: hash, folder, overwrite: v.overwrite });
    const notes = [r.alreadyQueued && `${r.alreadyQueued} of them already queued`, r.alreadyDone && `${r.alreadyDone} image(s) already done in ${outDir} (not enqueued)`].filter(Boolean);
    console.error(`${r.jobIds.length} job(s) in queue '${target.name}' for ${items.length} image(s)${notes.length ? `: ${notes.join(', ')}` : ''}`);
    console.log(r.jobIds.length);
    if (!v.wait) return 0;
    const progress = new Progress({ total: r.jobIds.length, label: 'queue', unit: 'img', mode: v.progress });
    const w = await waitForJobs(queue, redis, r.jobIds, progress);
    console.error(`${w.completed} completed, ${w.failed} failed${w.failed ? ` (see 'animeseg queue status --queue ${target.url} --failed 20')` : ''}`);
    return w.failed > 0 ? 1 : 0;
  } finally {
    redis.disconnect();
    await queue.close();
  }
}

async function other(cmd: 'status' | 'retry-failed' | 'drain', argv: string[]): Promise<number> {
  // Each sub-command reads its own table (checked before connecting: a usage error needs no Redis).
  const v =
    cmd === 'status' ? { cmd, ...commands.status.parse(argv).values } : cmd === 'drain' ? { cmd, ...commands.drain.parse(argv).values } : { cmd, ...commands['retry-failed'].parse(argv).values };
  const target = queueTarget(v.queue, v.name);
  await assertReachable(target);
  const { openQueue, openRedis, queueStatus, formatStatus, failedJobs } = await import('../../queue/producer.js');
  const queue = openQueue(target);
  const redis = openRedis(target);
  try {
    if (v.cmd === 'status') {
      const s = await queueStatus(queue, redis);
      const failed = v.failed > 0 ? await failedJobs(queue, v.failed) : [];
      if (v.json) console.log(JSON.stringify({ ...s, failedJobs: failed }, null, 2));
      else {
        console.log(`queue '${target.name}': ${formatStatus(s)}`);
        console.log(`  manifest lines: OUT/${MANIFEST_DIR}/HOST-PID-START.jsonl, one file per worker process (read with OUT/${MANIFEST_NAME})`);
        for (const f of failed) console.log(`  failed: ${f.reason.split('\n')[0]}`);
      }
    } else if (v.cmd === 'retry-failed') {
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
