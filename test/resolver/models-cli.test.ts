/**
 * `animeseg models list | pull | path | info` as a user runs them (a child process), against a user manifest
 * whose one entry downloads from a local HTTP server. Checks that the licence is printed before the download.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { servedEntry, startServer, type TestServer } from './helpers.js';
import { readFileSync } from 'node:fs';

let srv: TestServer;
let root: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  srv = await startServer(30_000);
  root = await mkdtemp(join(tmpdir(), 'animeseg-models-cli-'));
  await mkdir(join(root, 'config'));
  const entry = servedEntry(srv, 'tiny-test');
  // Entries with no published size or checksum (issue 21 item 10): an endless stream, a 2 GiB announcement.
  const unsized = (name: string, path: string) => ({ name, file: `${name}.onnx`, url: `${srv.base}${path}/${name}.onnx`, licence: 'CC-BY-4.0', description: 'no size published', kind: 'yolo-seg', unverified: true });
  await writeFile(join(root, 'config', 'models.json'), JSON.stringify({ version: 1, models: [entry, unsized('endless-test', '/endless'), unsized('huge-test', '/huge')] }));
  env = { ...process.env, ANIMESEG_CONFIG_DIR: join(root, 'config'), ANIMESEG_CACHE: join(root, 'cache'), ANIMESEG_MODELS: '', ANIMESEG_OFFLINE: '' };
});
after(async () => {
  await srv.close();
  await rm(root, { recursive: true, force: true });
});

/** Async (not spawnSync): the HTTP server lives in this process and must keep answering. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve('bin/animeseg.js'), 'models', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('list shows name, kind, size, licence and whether it is here', async () => {
  const r = await cli('list');
  assert.equal(r.code, 0);
  const line = r.stdout.split('\n').find((l) => l.startsWith('tiny-test'))!;
  assert.match(line, /yolo-seg\s+29\.3 KiB\s+CC-BY-4\.0\s+no$/); // 30000 / 1024 = 29.30 KiB
  // 13159074 B = 12.55 MiB, shipped in the package (found with no models folder or cache: 'bundled').
  assert.match(r.stdout, /animeseg-char-n416 \(default\)\s+yolo-seg\s+12\.5 MiB\s+AGPL-3\.0.*bundled: \S+models\/animeseg-char-n416\.onnx/);
  assert.match(r.stdout, /yolov8n-seg-int8\s+yolo-seg\s+3\.5 MiB\s+AGPL-3\.0/); // 3711949 B = 3.54 MiB
});

test('info on the shipped default model: its entry (size, sha256, licence, found in the package), then its card', async () => {
  const r = await cli('info', 'animeseg-char-n416');
  assert.equal(r.code, 0, r.stderr);
  // Size and digest as published in the model card (models/MODEL-animeseg-char.md, sha256sum of the shipped file).
  assert.match(r.stdout, /^size {12}13159074 bytes/m);
  assert.match(r.stdout, /^sha256 {10}ee387288d40803b9fa9fcc7a8c5d35f71b1976d84169d25438d8a79da760d958$/m);
  assert.match(r.stdout, /^licence {9}AGPL-3\.0; training data partly non-commercial/m);
  assert.match(r.stdout, /^found {11}bundled: \S+\/models\/animeseg-char-n416\.onnx$/m);
  // The card itself follows: its title and its failure cases, read from the file shipped beside the model.
  const card = readFileSync(resolve('models/MODEL-animeseg-char.md'), 'utf8');
  assert.ok(r.stdout.includes(card.trimEnd()), 'the whole card is printed');
  assert.match(r.stdout, /## What it is for, and where it fails/);
  const json = JSON.parse((await cli('info', 'animeseg-char-n416', '--json')).stdout);
  assert.equal(json.card_text, card);
});

test('path without the file: exit 1, says how to get it, nothing downloaded', async () => {
  const r = await cli('path', 'tiny-test');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /models pull tiny-test/);
  assert.equal(srv.hits.get('/good/tiny-test.onnx') ?? 0, 0);
});

test('pull prints the licence first, downloads, verifies; then path/list/info see the cached file', async () => {
  const r = await cli('pull', 'tiny-test');
  assert.equal(r.code, 0, r.stderr);
  const cached = join(root, 'cache', 'tiny-test.onnx');
  assert.equal(r.stdout.trim(), cached);
  assert.match(r.stderr.split('\n')[0], /^tiny-test: licence CC-BY-4\.0/);
  assert.ok((await readFile(cached)).equals(srv.payload));

  const again = await cli('pull', 'tiny-test');
  assert.match(again.stderr, /already present \(cache\)/);
  assert.equal(srv.hits.get('/good/tiny-test.onnx'), 1);

  const forced = await cli('pull', 'tiny-test', '--force');
  assert.equal(forced.code, 0);
  assert.equal(srv.hits.get('/good/tiny-test.onnx'), 2);

  assert.equal((await cli('path', 'tiny-test')).stdout.trim(), cached);
  assert.match((await cli('list')).stdout, new RegExp(`tiny-test .*cache: ${cached.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const info = await cli('info', 'tiny-test');
  assert.match(info.stdout, /licence\s+CC-BY-4\.0/);
  assert.match(info.stdout, new RegExp(`sha256\\s+${srv.sha256}`));
});

test('an unknown model is a one-line error with exit 1; an unknown sub-command is a usage error, exit 2', async () => {
  const a = await cli('pull', 'no-such-model');
  assert.equal(a.code, 1);
  assert.match(a.stderr, /no model named 'no-such-model'/);
  const b = await cli('frobnicate');
  assert.equal(b.code, 2);
  assert.match(b.stderr, /unknown sub-command/);
  assert.doesNotMatch(a.stderr + b.stderr, /^\s+at /m);
});

test('pull --no-verify of a model with no published size: capped (1G by default, --max-size), nothing left in the cache', async () => {
  const capped = await cli('pull', 'endless-test', '--no-verify', '--max-size', '1M');
  assert.equal(capped.code, 1, capped.stderr);
  assert.match(capped.stderr, /more than 1048576 bytes arrived, over the limit of 1048576 bytes for a file whose size is not published/);
  assert.match(capped.stderr, /--max-size/);
  // MAX_UNKNOWN_SIZE = 1 GiB = 1073741824 bytes, below the 2 GiB the server announces: refused up front.
  const huge = await cli('pull', 'huge-test', '--no-verify');
  assert.equal(huge.code, 1, huge.stderr);
  assert.match(huge.stderr, /the server announces 2147483648 bytes, over the limit of 1073741824 bytes/);
  assert.deepEqual((await readdir(join(root, 'cache')).catch(() => [])).filter((f) => !f.endsWith('.onnx') || f.startsWith('.')), []);
  const bad = await cli('pull', 'endless-test', '--no-verify', '--max-size', 'lots');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-size must be a size such as 500M, 2G/);
});
