/**
 * Scale-out benchmark (not a test): images/s of 1, 2 and 4 `animeseg worker` processes on a BullMQ queue
 * against `animeseg segment --concurrency 1|2|4` on the same images, in the same run, with the real model;
 * then Redis memory per 10^5 queued jobs (INFO used_memory before/after adding 10^5 jobs, then obliterate).
 * Timings exclude process start and model load on both sides: segment's own summary seconds; for the
 * queue, from `enqueue` to the last completion with the workers already up. Medians of --runs runs.
 *
 *   npx tsx bench/queue.ts [--images 24] [--runs 3] [--width 512] [--jobs 100000]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Redis } from 'ioredis';
import { expandInputs } from '../src/pipeline/run/inputs.js';
import { enqueueImages, openQueue } from '../src/queue/producer.js';
import type { JobSettings } from '../src/queue/settings.js';
import { DETECT_DEFAULTS, OUTPUT_DEFAULTS } from '../src/pipeline/options.js';
import { runSettingsHash } from '../src/queue/image-step.js';
import { writerManifestPath } from '../src/pipeline/run/manifest.js';
import { OutputFolder } from '../src/pipeline/run/output-folder.js';
import { createSegmenter } from '../src/pipeline/segmenter.js';
import { startRedis } from '../test/queue/redis.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '24' }, runs: { type: 'string', default: '3' }, width: { type: 'string', default: '512' }, jobs: { type: 'string', default: '100000' } } });
const N = Number(values.images);
const RUNS = Number(values.runs);
const JOBS = Number(values.jobs);
const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const ILLUSTRATIONS = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const redis = await startRedis();
const root = await mkdtemp(join(tmpdir(), 'animeseg-bench-queue-'));
const r = new Redis(redis.url);
try {
  const inDir = join(root, 'in');
  const files = (await readdir(ILLUSTRATIONS)).sort();
  await mkdir(inDir, { recursive: true });
  for (let i = 0; i < N; i++) {
    const f = files[i % files.length]!;
    await sharp(join(ILLUSTRATIONS, f)).resize({ width: Number(values.width) }).png().toFile(join(inDir, `${String(i).padStart(3, '0')}-${f.replace(/\.\w+$/, '')}.png`));
  }
  const items = await expandInputs([inDir]);
  // The table's detection defaults given explicitly (not the model's recommendation), plain PNG outputs.
  const settings: JobSettings = { model: MODEL, maxPixels: 100_000_000, options: { ...DETECT_DEFAULTS, refine: 'none', refineOptions: {}, outputs: OUTPUT_DEFAULTS } };
  // The run record's settings hash, as `queue add` computes it (the model's name, size, default classes).
  const probe = await createSegmenter({ model: MODEL, refine: 'none' });
  const hash = await runSettingsHash(probe, { outDir: root, settings });
  await probe.dispose();
  const enqueue = async (queue: ReturnType<typeof openQueue>, list: typeof items, outDir: string) =>
    enqueueImages(queue, r, list, { outDir, settings, settingsHash: hash, folder: await OutputFolder.open(outDir, { appendTo: writerManifestPath(outDir) }) });
  let run = 0;

  const segmentRate = (concurrency: number): number => {
    const out = join(root, `seg-${run++}`);
    const p = spawnSync(process.execPath, [BIN, 'segment', inDir, '-o', out, '--model', MODEL, '--concurrency', String(concurrency), '--json'], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(p.stderr);
    const s = JSON.parse(p.stdout) as { done: number; seconds: number };
    return s.done / s.seconds;
  };

  const startWorkers = async (n: number, name: string): Promise<ChildProcess[]> => {
    const ws = Array.from({ length: n }, () => spawn(process.execPath, [BIN, 'worker', '--queue', redis.url, '--name', name, '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] }));
    await Promise.all(ws.map((w) => new Promise<void>((res, rej) => {
      let log = '';
      w.stderr!.on('data', (d) => {
        log += d;
        if (/ready on queue/.test(log)) res();
      });
      w.once('exit', (c) => rej(new Error(`worker exited ${c}: ${log}`)));
    })));
    return ws;
  };

  const queueRate = async (workers: number): Promise<number> => {
    const name = `bench-${run++}`;
    const ws = await startWorkers(workers, name);
    const queue = openQueue({ url: redis.url, name });
    try {
      // Workers are up, but load the model on their first job: one warm-up image each, not timed.
      await enqueue(queue, items.slice(0, workers), join(root, `warm-${name}`));
      while ((await r.zcard(queue.toKey('completed'))) < workers) await new Promise((res) => setTimeout(res, 20));
      const t0 = performance.now();
      await enqueue(queue, items, join(root, `out-${name}`));
      while ((await r.zcard(queue.toKey('completed'))) < workers + items.length) await new Promise((res) => setTimeout(res, 10));
      return items.length / ((performance.now() - t0) / 1000);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await Promise.all(ws.map((w) => new Promise((res) => (w.once('exit', res), w.kill('SIGTERM')))));
    }
  };

  console.log(`${N} illustrations resized to ${values.width} px wide, ${MODEL.split('/').pop()}, refine none, ${RUNS} runs each; images/s (median [min..max])`);
  const base: Record<number, number> = {};
  for (const n of [1, 2, 4]) {
    const seg: number[] = [];
    const q: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      seg.push(segmentRate(n));
      q.push(await queueRate(n));
    }
    base[n] = median(seg);
    const f = (xs: number[]) => `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}..${Math.max(...xs).toFixed(2)}]`;
    console.log(`  segment --concurrency ${n}: ${f(seg)}   queue, ${n} worker(s): ${f(q)}   ratio queue/segment ${(median(q) / median(seg)).toFixed(2)}`);
  }

  // Redis memory per 10^5 queued jobs: job data as `queue add` writes it (paths of a deep dataset tree).
  const queue = openQueue({ url: redis.url, name: 'bench-memory' });
  const used = async () => Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]);
  const fake = Array.from({ length: JOBS }, (_, i) => ({ path: `/mnt/shared/datasets/illustrations/part-${String(i % 100).padStart(3, '0')}/${String(i).padStart(8, '0')}.jpg`, name: `part-${String(i % 100).padStart(3, '0')}/${String(i).padStart(8, '0')}` }));
  const before = await used();
  const t0 = performance.now();
  await enqueue(queue, fake, join(root, 'memory-out'));
  const seconds = (performance.now() - t0) / 1000;
  const after = await used();
  const counts = await queue.getJobCounts('waiting');
  console.log(`  Redis: ${counts.waiting} jobs waiting, used_memory +${((after - before) / 2 ** 20).toFixed(1)} MiB = ${((after - before) / JOBS).toFixed(0)} B/job -> ${(((after - before) / JOBS) * 1e5 / 2 ** 20).toFixed(1)} MiB per 10^5 jobs; enqueued at ${(JOBS / seconds).toFixed(0)} jobs/s`);
  await queue.obliterate({ force: true });
  await queue.close();
  console.log(`  after obliterate: used_memory ${(((await used()) - before) / 2 ** 20).toFixed(1)} MiB above the start`);
} finally {
  r.disconnect();
  await redis.stop();
  await rm(root, { recursive: true, force: true });
}
