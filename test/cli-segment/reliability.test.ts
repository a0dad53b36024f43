// Issue 21 (batch items), as a user meets them through `animeseg segment`: a failed attempt keeps the
// claim on files an earlier attempt wrote (item 2, also through the queue's runJob), output names unique
// per run (item 4), and a lock on the output folder (item 6). Real model, small copies of real
// illustrations. Every CLI run is bounded (spawnSync timeout, SIGKILL) and every spawned child is killed in
// finally.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { OutputFolder } from '../../src/pipeline/run/output-folder.js';
import { runJob, runSettingsHash } from '../../src/queue/image-step.js';
import type { JobSettings } from '../../src/queue/settings.js';
import { pathExists } from '../../src/util/exists.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
let root = '';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'segment', ...args, '--model', MODEL, '--progress', 'silent'], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const manifestLines = async (out: string) => (await readFile(join(out, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const latestLine = async (out: string, name: string) => (await manifestLines(out)).filter((l) => l.name === name).at(-1);

/** A folder with small copies of two real illustrations. */
async function inputs(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of ['eren_1.jpg', 'cirno_1.png']) await sharp(join(IMAGES, name)).resize({ width: 320 }).toFile(join(dir, name));
  return dir;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-rel-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('item 2: an image that fails twice keeps the claim on its earlier files; the next plain run is not refused', async () => {
  const inDir = await inputs(join(root, 'twice-in'));
  const out = join(root, 'twice-out');
  assert.equal(cli([inDir, '-o', out]).code, 0);
  const earlier = (await latestLine(out, 'cirno_1')).outputs;
  assert.deepEqual(earlier, ['cirno_1.png', 'cirno_1.mask.png', 'cirno_1.json']);
  const good = await readFile(join(inDir, 'cirno_1.png'));
  await writeFile(join(inDir, 'cirno_1.png'), good.subarray(0, 200)); // truncated
  for (const conf of ['0.1', '0.2']) {
    const r = cli([inDir, '-o', out, '--conf', conf]);
    assert.equal(r.code, 1, r.stderr);
    const line = await latestLine(out, 'cirno_1');
    assert.equal(line.status, 'failed');
    // The expected claim is the first run's own outputs line (read above), still on disk.
    assert.deepEqual(line.outputs, earlier, `after the failure at --conf ${conf}`);
  }
  await writeFile(join(inDir, 'cirno_1.png'), good);
  const r = cli([inDir, '-o', out]);
  assert.doesNotMatch(r.stderr, /refusing/);
  assert.equal(r.code, 0, r.stderr);
});

test('item 2: the same through the queue step (runJob): two failed jobs keep the claim', async () => {
  const inDir = await inputs(join(root, 'queue-in'));
  const out = join(root, 'queue-out');
  const settings = (conf: number): JobSettings => ({ maxPixels: 1e8, options: { refine: 'none', refineOptions: {}, conf, iou: 0.7, maxDet: 300, agnostic: false, outputs: { format: 'png' } } });
  const source = join(inDir, 'cirno_1.png');
  const seg = await createSegmenter({ model: MODEL });
  // The job carries the hash its producer computed (queue add does the same), so the worker's check that
  // its settings match the job's (issue 21 item 8) passes and the failure tested is the image's own.
  const job = async (conf: number) => ({ source, name: 'cirno_1', outDir: out, settings: settings(conf), settingsHash: await runSettingsHash(seg, { outDir: out, settings: settings(conf) }) });
  try {
    const folder = await OutputFolder.open(out);
    assert.equal((await runJob(seg, folder, await job(0.25), { rerun: false, isFinal: () => 'final' })).status, 'ok');
    const earlier = folder.manifest.latest('cirno_1')!.outputs;
    assert.deepEqual(earlier, ['cirno_1.png', 'cirno_1.mask.png', 'cirno_1.json']);
    await writeFile(source, (await readFile(source)).subarray(0, 200));
    for (const conf of [0.1, 0.2]) {
      await assert.rejects(runJob(seg, folder, await job(conf), { rerun: false, isFinal: (e) => String(e) }));
      assert.deepEqual(folder.manifest.latest('cirno_1')!.outputs, earlier, `after the failed job at conf ${conf}`);
    }
    // A fresh reader of the folder (the next run) sees every earlier file as the tool's own.
    const again = await OutputFolder.open(out);
    assert.deepEqual(await again.foreign(earlier.map((o) => join(out, o)), pathExists), []);
  } finally {
    await seg.dispose();
  }
});

test('item 4: x.jpg, x.png and x-2.jpg in one folder: three images, three names, three manifest lines; a rerun redoes none', async () => {
  const inDir = join(root, 'names-in');
  await mkdir(inDir);
  // Three different pictures, so a shared name would show as a source change on rerun.
  await sharp(join(IMAGES, 'eren_1.jpg')).resize({ width: 320 }).toFile(join(inDir, 'x.jpg'));
  await sharp(join(IMAGES, 'cirno_1.png')).resize({ width: 320 }).toFile(join(inDir, 'x.png'));
  await sharp(join(IMAGES, 'aladdin_1.jpg')).resize({ width: 320 }).toFile(join(inDir, 'x-2.jpg'));
  const out = join(root, 'names-out');
  const first = cli([inDir, '-o', out, '--json']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).done, 3);
  const lines = await manifestLines(out);
  assert.deepEqual(lines.map((l) => [l.name, l.input.slice(inDir.length + 1)]).sort(), [['x', 'x.jpg'], ['x-2', 'x-2.jpg'], ['x-3', 'x.png']]);
  const again = JSON.parse(cli([inDir, '-o', out, '--json']).stdout);
  assert.deepEqual([again.skipped, again.done, again.redone], [3, 0, { settings: 0, source: 0 }]);
});

test('item 6: a second run on a folder in use is refused, naming the first (pid, host); the lock goes with the first run', async () => {
  const inDir = await inputs(join(root, 'lock-in'));
  const out = join(root, 'lock-out');
  const lock = join(out, '.animeseg.lock');
  // The first run keeps the folder (--watch) until it is told to stop, so the second one meets it for sure.
  const first = spawn(process.execPath, [BIN, 'segment', inDir, '-o', out, '--model', MODEL, '--progress', 'silent', '--watch'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  first.stderr.on('data', (d) => (stderr += d));
  const ended = new Promise<number | null>((res) => first.on('close', (c) => res(c)));
  try {
    const deadline = Date.now() + 120_000;
    while (!/watching/.test(stderr)) {
      if (Date.now() > deadline || first.exitCode !== null) assert.fail(`the first run did not start watching: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const holder = JSON.parse(await readFile(lock, 'utf8'));
    assert.equal(holder.pid, first.pid);
    const second = cli([inDir, '-o', out]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`the output folder ${out.replace(/[.]/g, '\\.')} is in use by another animeseg run \\(pid ${first.pid} on `));
    assert.doesNotMatch(second.stderr, /refusing|\n\s+at /);
    first.kill('SIGINT');
    assert.equal(await ended, 0, stderr);
  } finally {
    if (first.exitCode === null && first.signalCode === null) first.kill('SIGKILL');
  }
  assert.equal(existsSync(lock), false, 'the lock is removed when the run ends');
  // One line per image: the refused run did nothing; the next plain run finds everything done.
  assert.deepEqual((await manifestLines(out)).map((l) => l.name).sort(), ['cirno_1', 'eren_1']);
  const third = cli([inDir, '-o', out, '--json']);
  assert.equal(third.code, 0, third.stderr);
  assert.equal(JSON.parse(third.stdout).skipped, 2);
  assert.deepEqual((await readdir(out)).filter((f) => f.startsWith('.')), []);
});

test('item 6: a lock left by a killed run (its process gone) is taken over', async () => {
  const inDir = await inputs(join(root, 'stale-in'));
  const out = join(root, 'stale-out');
  await mkdir(out);
  const dead = spawnSync(process.execPath, ['-e', ''], { timeout: 30_000 }).pid!;
  await writeFile(join(out, '.animeseg.lock'), JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), started: '2026-01-01T00:00:00.000Z' }));
  const r = cli([inDir, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(join(out, '.animeseg.lock')), false);
});
