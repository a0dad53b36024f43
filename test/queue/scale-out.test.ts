// Scale-out on a real Redis (a redis-server this test starts): 200 images (+1 corrupt) queued with
// `queue add`, done by 3 `animeseg worker` processes while one is killed with SIGKILL and another stopped
// with SIGTERM mid-run. Expected outputs come from an independent one-machine `segment` run of the same
// images: every cutout/mask PNG byte-identical, every JSON equal but for its timings. Model: a generated
// one-box YOLO-seg model (test/queue/fixtures.ts) so 200 images take seconds on 2 cores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TEMP_PREFIX } from '../../src/util/atomic.js';
import { makeImages, writeModel } from './fixtures.js';
import { redisSkipReason, startRedis, type TestRedis } from './redis.js';

const BIN = resolve('bin/animeseg.js');
const skip = redisSkipReason();
let redis: TestRedis;
let root = '';
let model = '';
let inputs: string[] = [];

// Bounded: a CLI step that hangs fails the test instead of holding the file open.
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });

/** Every process this file starts; after() kills those still running, so a failed assertion cannot hang the file. */
const children: ChildProcess[] = [];

function startCli(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exit };
}

/** Image outputs of a folder: not the temp files of atomic writes a SIGKILL may leave, nor the manifests. */
async function outputs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => !f.startsWith(TEMP_PREFIX) && f !== 'manifest.jsonl' && f !== 'manifest.d').sort();
}

/** Complete manifest lines of every file in a folder (a torn last line of a killed worker left out). */
async function manifestLines(dir: string): Promise<{ name: string; input: string; status: string; reason?: string; settings_hash: string }[]> {
  const lines = [];
  for (const f of await readdir(dir)) {
    const text = await readFile(join(dir, f), 'utf8');
    for (const l of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) if (l) lines.push(JSON.parse(l));
  }
  return lines;
}

before(async () => {
  if (skip) return;
  redis = await startRedis();
  root = await mkdtemp(join(tmpdir(), 'animeseg-queue-'));
  model = await writeModel(join(root, 'one-box.onnx'));
  inputs = await makeImages(join(root, 'in'), 200, 5);
  // Half a PNG: decodes to an error, the same in `segment` and in a worker.
  const good = await readFile(inputs[0]);
  await writeFile(join(root, 'in', 'zz-corrupt.png'), good.subarray(0, good.length >> 1));
});

after(async () => {
  if (skip) return;
  await Promise.all(
    children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      return gone;
    }),
  );
  await redis?.stop();
  await rm(root, { recursive: true, force: true });
});

test('200 images over 3 workers (one SIGKILLed, one SIGTERMed mid-run) = a one-machine segment run, each image done once', { skip, timeout: 300_000 }, async () => {
  const inDir = join(root, 'in');
  const ref = join(root, 'ref');
  const out = join(root, 'out');
  const q = ['--queue', redis.url, '--name', 'scale'];

  const seg = cli(['segment', inDir, '-o', ref, '--model', model, '--progress', 'silent']);
  assert.equal(seg.status, 1, seg.stderr); // the corrupt image fails, the 200 others are done
  assert.match(seg.stderr, /201 image\(s\): 200 done/);

  const added = cli(['queue', 'add', inDir, '-o', out, '--model', model, ...q]);
  assert.equal(added.status, 0, added.stderr);
  assert.equal(added.stdout.trim(), '201');

  // The same `queue add` again, waiting: nothing new is added (same job ids), and it follows the run. It
  // has checked all 201 images before any worker starts, so none is done yet: all 201 are "already queued"
  // (with workers already running, some would count as "already done" instead, depending on timing).
  const waiter = startCli(['queue', 'add', inDir, '-o', out, '--model', model, ...q, '--wait', '--progress', 'plain']);
  const r = new Redis(redis.url);
  r.on('error', () => undefined);
  const deadline = Date.now() + 200_000;
  const until = async (what: string, cond: () => boolean | Promise<boolean>) => {
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  const workerArgs = ['worker', ...q, '--concurrency', '1', '--lock-ms', '3000', '--stalled-ms', '500'];
  let workers: ReturnType<typeof startCli>[] = [];
  try {
    await until('the waiting `queue add` to have checked every image', () => /201 job\(s\) in queue/.test(waiter.out()) || waiter.child.exitCode !== null);
    workers = [startCli(workerArgs), startCli(workerArgs), startCli(workerArgs)];
    const completed = () => r.zcard('bull:scale:completed');
    const atLeast = (n: number) => until(`${n} completed jobs`, async () => (await completed()) >= n);
    await atLeast(30);
    workers[0]!.child.kill('SIGKILL');
    const atKill = await completed();
    await atLeast(100);
    workers[1]!.child.kill('SIGTERM');
    assert.equal(await workers[1]!.exit, 0, workers[1]!.out());
    assert.match(workers[1]!.out(), /SIGTERM: finishing active jobs[\s\S]*stopped/);

    assert.equal(await waiter.exit, 1, waiter.out()); // 1: the corrupt image failed
    assert.match(waiter.out(), /201 job\(s\) in queue 'scale' for 201 image\(s\): 201 of them already queued/);
    assert.match(waiter.out(), /queue 100% 201\/201/);
    assert.match(waiter.out(), /200 completed, 1 failed/);
    workers[2]!.child.kill('SIGTERM');
    assert.equal(await workers[2]!.exit, 0, workers[2]!.out());
    assert.ok(atKill < 200, `the SIGKILL came mid-run (${atKill} done then)`);
  } finally {
    r.disconnect();
  }

  // Exactly once: 200 completed jobs, one per good image, none left waiting or active.
  const queue = new Queue('scale', { connection: { url: redis.url } });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    assert.deepEqual(counts, { waiting: 0, active: 0, delayed: 0, completed: 200, failed: 1 });
    const done = await queue.getCompleted(0, -1);
    assert.deepEqual(done.map((j) => j.data.source).sort(), [...inputs].sort());
    const [bad] = await queue.getFailed(0, -1);
    assert.equal(bad.data.source, join(inDir, 'zz-corrupt.png'));
    assert.match(bad.failedReason, /zz-corrupt\.png: cannot decode image/);
    assert.equal(bad.attemptsMade, 1, 'a bad image is not retried (5 attempts are allowed for transient errors)');
  } finally {
    await queue.close();
  }

  // Same files, same bytes (JSON: same content but for the per-run timings).
  const files = await outputs(out);
  assert.deepEqual(files, await outputs(ref));
  assert.equal(files.length, 600); // NAME.png, NAME.mask.png, NAME.json per good image
  for (const f of files) {
    const [a, b] = await Promise.all([readFile(join(out, f)), readFile(join(ref, f))]);
    if (f.endsWith('.json')) {
      const [ja, jb] = [JSON.parse(a.toString()), JSON.parse(b.toString())];
      delete ja.timings_ms;
      delete jb.timings_ms;
      assert.deepEqual(ja, jb, f);
    } else assert.ok(a.equals(b), `${f} differs from the segment run`);
  }

  // Manifest lines: workers wrote them to files of their own (manifest.d/, one per process; 3 workers),
  // never to manifest.jsonl. Every good image has exactly one final line (ok), whichever worker wrote it,
  // with the settings hash of the `segment` run; the corrupt one a 'failed' line with its reason.
  assert.deepEqual((await readdir(out)).filter((f) => f.startsWith('manifest')), ['manifest.d']);
  const perWorker = await readdir(join(out, 'manifest.d'));
  assert.ok(perWorker.length >= 2 && perWorker.length <= 3, `one file per worker process: ${perWorker.join(', ')}`);
  const lines = await manifestLines(join(out, 'manifest.d'));
  const refLines = new Map((await readFile(join(ref, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l): [string, string] => {
    const r = JSON.parse(l);
    return [r.name, r.settings_hash];
  }));
  const final = lines.filter((l) => l.status !== 'writing');
  const byName = new Map<string, typeof final>();
  for (const l of final) byName.set(l.name, [...(byName.get(l.name) ?? []), l]);
  assert.equal(byName.size, 201);
  for (const [name, ls] of byName) {
    assert.equal(ls.length, 1, `${name}: ${ls.length} final lines`);
    assert.equal(ls[0]!.settings_hash, refLines.get(name), `${name}: same settings hash as segment`);
    if (name === 'zz-corrupt') {
      assert.equal(ls[0]!.status, 'failed');
      assert.match(ls[0]!.reason ?? '', /zz-corrupt\.png: cannot decode image/);
    } else assert.equal(ls[0]!.status, 'ok', name);
  }

  // `segment` on the same folder afterwards sees the queued results as done (the corrupt one fails again).
  const resumed = cli(['segment', inDir, '-o', out, '--model', model, '--progress', 'silent']);
  assert.equal(resumed.status, 1, resumed.stderr);
  assert.match(resumed.stderr, /201 image\(s\): 0 done, 200 skipped \(already done\), 1 failed/);

  // And the other way round: `queue add` on the segment run's folder enqueues only the image that failed there.
  const onRef = cli(['queue', 'add', inDir, '-o', ref, '--model', model, '--queue', redis.url, '--name', 'from-segment']);
  assert.equal(onRef.stdout.trim(), '1', onRef.stderr);
  assert.match(onRef.stderr, /200 image\(s\) already done/);

  // Everything is done: adding the run again enqueues nothing.
  const again = cli(['queue', 'add', inDir, '-o', out, '--model', model, ...q]);
  assert.equal(again.stdout.trim(), '1', again.stderr); // only the corrupt image, whose job is already in the failed list
  assert.match(again.stderr, /1 of them already queued, 200 image\(s\) already done/);

  const status = cli(['queue', 'status', ...q, '--failed', '5']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /completed 200, failed 1; \d+\.\d img\/min/);
  assert.match(status.stdout, /failed: .*zz-corrupt\.png: cannot decode image/);

  // --overwrite: new jobs for every image (a finished job's id would be ignored), then drain removes them.
  const redo = cli(['queue', 'add', inDir, '-o', out, '--model', model, ...q, '--overwrite']);
  assert.equal(redo.stdout.trim(), '201', redo.stderr);
  assert.doesNotMatch(redo.stderr, /already/);
  assert.equal(JSON.parse(cli(['queue', 'status', ...q, '--json']).stdout).waiting, 201);
  assert.equal(cli(['queue', 'drain', ...q]).status, 0);
  const drained = JSON.parse(cli(['queue', 'status', ...q, '--json']).stdout);
  assert.deepEqual([drained.waiting, drained.completed, drained.failed], [0, 200, 1]);
});
