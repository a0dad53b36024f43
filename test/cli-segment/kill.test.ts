// Fault test (issue 11 "kill a 40-image run", issue 14 "SIGKILL at 5 random points"): a 40-image run over
// ../shared/data/illustrations/images is killed with SIGKILL at 5 random points (after a random number of
// finished images plus a random delay, so kills land in encoding, temp writes, renames and manifest
// appends), rerun each time, then run to the end. Expected, from the promise in the issues: every image
// done exactly once (one manifest line each, naming its own source), every line valid JSON, every
// output complete (decodes), no temp file, nothing else in the folder, and the user's files unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { rng } from '../mask/helpers.js';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function walkFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walkFiles(join(dir, e.name), r)));
    else out.push(r);
  }
  return out;
}
const manifestCount = (out: string): number => {
  const p = join(out, 'manifest.jsonl');
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').length - 1 : 0;
};

test('SIGKILL at 5 random points, then rerun: every image done once, no half or temp file, user files unchanged', async (t) => {
  const seed = Date.now() >>> 0;
  const rand = rng(seed);
  const why = `(seed ${seed})`;
  const root = await mkdtemp(join(tmpdir(), 'animeseg-kill-'));
  const out = join(root, 'out');
  try {
    const inputs = (await readdir(IMAGES)).sort();
    assert.equal(inputs.length, 40);
    const inputHashes = await Promise.all(inputs.map(async (f) => sha(await readFile(join(IMAGES, f)))));
    // The user's own files in the output folder, which no run may touch.
    await mkdir(join(out, 'notes'), { recursive: true });
    const user: Record<string, Buffer> = { 'holiday.png': await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } }).png().toBuffer(), 'notes/todo.txt': Buffer.from('buy milk\n') };
    for (const [f, b] of Object.entries(user)) await writeFile(join(out, f), b);
    const args = [BIN, 'segment', IMAGES, '-o', out, '--model', MODEL, '--progress', 'silent', '--instances', '--concurrency', '4'];

    const kills: string[] = [];
    for (let k = 0; k < 5; k++) {
      const before = manifestCount(out);
      const target = before + 1 + Math.floor(rand() * 8);
      const delay = Math.floor(rand() * 120);
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      let done = false;
      void exited.then(() => (done = true));
      while (!done && manifestCount(out) < target) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, delay));
      const killed = child.kill('SIGKILL');
      const code = await exited;
      kills.push(`after ${manifestCount(out) - before} image(s) +${delay} ms: ${killed && code === null ? 'killed' : `exited ${code} ${stderr}`}`);
      if (manifestCount(out) >= 40) break;
    }
    // The final run finishes the rest.
    const final = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      const c = spawn(process.execPath, [...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (code) => res({ code, stdout, stderr }));
    });
    t.diagnostic(`${why} ${kills.join('; ')}`);
    const diag = `${why}\n${kills.join('\n')}\n${final.stderr}`;
    assert.equal(final.code, 0, diag);
    const s = JSON.parse(final.stdout);
    assert.deepEqual([s.total, s.done + s.skipped, s.failed.length, s.redone.settings, s.redone.source], [40, 40, 0, 0, 0], diag);

    // The manifest: valid lines, one per image, each naming its own source.
    const text = await readFile(join(out, 'manifest.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'), diag);
    const lines = text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 40, diag);
    assert.deepEqual(lines.map((l) => l.input).sort(), inputs.map((f) => join(IMAGES, f)), diag);
    assert.equal(new Set(lines.map((l) => l.name)).size, 40);
    assert.equal(new Set(lines.map((l) => l.settings_hash)).size, 1);

    // Exactly the recorded outputs plus the manifest and the user's files; every image decodes.
    const expected = new Set(['manifest.jsonl', ...Object.keys(user), ...lines.flatMap((l) => l.outputs)]);
    const present = await walkFiles(out);
    assert.deepEqual(present.filter((f) => !expected.has(f)), [], `unexpected files (temp, half or stale) ${diag}`);
    assert.deepEqual([...expected].filter((f) => !present.includes(f)), [], `missing outputs ${diag}`);
    for (const l of lines) {
      assert.ok(l.status === 'ok' || l.status === 'empty', `${l.name}: ${l.status} ${l.reason ?? ''}`);
      const j = JSON.parse(await readFile(join(out, `${l.name}.json`), 'utf8'));
      assert.equal(j.image, l.input);
      assert.equal(j.instances.length, l.instances);
      for (const o of l.outputs.filter((o: string) => o.endsWith('.png'))) await sharp(join(out, o)).raw().toBuffer(); // throws on a truncated file
    }
    for (const [f, b] of Object.entries(user)) assert.deepEqual(await readFile(join(out, f)), b, `${f} changed`);
    assert.deepEqual(await Promise.all(inputs.map(async (f) => sha(await readFile(join(IMAGES, f))))), inputHashes);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
