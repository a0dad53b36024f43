/**
 * A new user's first minutes, with nothing but npm (issue 18): no ../shared beside the checkout, no
 * ANIMESEG_MODELS, ANIMESEG_OFFLINE=1 and an empty model cache, so only the shipped model and examples can
 * make these pass.
 *   1. `git clone` of this repository's HEAD into an empty temp folder runs the README's main command.
 *      (node_modules is linked from this checkout instead of `npm ci`: no network in tests.)
 *   2. The packed tarball installs into an empty folder offline and `npx animeseg segment` runs on an
 *      example shipped in the package. `npm install --offline` needs npm's metadata of every dependency;
 *      this machine's npm cache holds the packages' tarballs (from `npm ci`) but not that metadata, so the
 *      consumer gets a lockfile made from ours (the same versions and integrity hashes) and runs
 *      `npm ci --offline`, which reads the tarballs from the cache alone. onnxruntime-node's install step,
 *      which would fetch CUDA files, is turned off with the setting the README gives
 *      (--onnxruntime-node-install=skip).
 * Expected values: the examples' character counts (examples/ATTRIBUTION.md, from the set's info files).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const exec = promisify(execFile);
const ROOT = resolve('.');
const tmp = mkdtempSync(join(tmpdir(), 'animeseg-fresh-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An environment with nothing of this machine's animeseg set-up: offline, empty cache and config. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ANIMESEG_OFFLINE: '1', ANIMESEG_CACHE: join(tmp, 'cache'), ANIMESEG_CONFIG_DIR: join(tmp, 'config') };
  delete env.ANIMESEG_MODELS;
  delete env.ANIMESEG_USE_DIST;
  return env;
}

/** Opaque pixels of a cutout PNG's alpha channel. */
async function opaquePixels(png: string): Promise<number> {
  const { data, info } = await sharp(png).ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 1);
  return data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
}

/** Per image of a segment run: its manifest status and, for 'ok', the opaque pixels of its cutout. */
async function cutouts(out: string): Promise<Map<string, number | null>> {
  const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; status: string });
  const result = new Map<string, number | null>();
  for (const l of lines) result.set(l.name, l.status === 'ok' ? await opaquePixels(join(out, `${l.name}.png`)) : null);
  return result;
}

/** The examples and their listed character counts (the table in examples/ATTRIBUTION.md). */
function listedExamples(dir: string): Map<string, number> {
  const rows = readFileSync(join(dir, 'ATTRIBUTION.md'), 'utf8').split('\n').filter((l) => /^\| `[^`]+\.jpg`/.test(l));
  return new Map(rows.map((r) => [/`([^`]+)\.jpg`/.exec(r)![1], Number(r.split('|').at(-2)!.trim())]));
}

/** Every example gets a non-empty cutout (the shipped model, version 3, finds all five at its conf 0.3; utsuho_1 at 0.41). */
async function checkRun(out: string, examples: string): Promise<void> {
  const listed = listedExamples(examples);
  assert.equal(listed.size, readdirSync(examples).filter((f) => f.endsWith('.jpg')).length, 'every example is in ATTRIBUTION.md');
  const got = await cutouts(out);
  assert.deepEqual([...got.keys()].sort(), [...listed.keys()].sort());
  const found = [...got.entries()].filter(([, px]) => px !== null);
  for (const [name, px] of found) assert.ok(px! > 1000, `${name}: the cutout has character pixels (${px})`);
  assert.equal(found.length, listed.size, `cutouts for ${found.map(([n]) => n).join(', ')}`);
  // Every found image's JSON was made by the shipped model at its own conf.
  const j = JSON.parse(readFileSync(join(out, `${found[0][0]}.json`), 'utf8'));
  assert.equal(j.model, 'animeseg-char-n416');
  assert.deepEqual([j.settings.conf, j.settings.from.conf], [0.3, 'model']);
}

test("a fresh clone runs the README's main command on the shipped examples with the shipped model", { timeout: 600_000 }, async () => {
  const parent = join(tmp, 'clone');
  const clone = join(parent, 'animeseg');
  await exec('git', ['clone', '--quiet', ROOT, clone]);
  const head = (await exec('git', ['-C', ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
  assert.equal((await exec('git', ['-C', clone, 'rev-parse', 'HEAD'])).stdout.trim(), head);
  assert.equal(existsSync(join(parent, 'shared')), false, 'no ../shared beside the clone');
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');

  // The README's first commands: install, then the main command.
  const readme = readFileSync(join(clone, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1];
  const commands = block.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  assert.equal(commands[0], 'npm ci');
  const main = commands[1].split(/\s+/);
  assert.equal(main[0], 'node', `the main command runs with node: ${commands[1]}`);
  assert.ok(!/ANIMESEG_|\.\.\/shared/.test(commands[1]), 'no environment variable, no ../shared');
  const r = await exec(process.execPath, main.slice(1), { cwd: clone, env: cleanEnv(), timeout: 540_000 });
  assert.match(r.stderr, /5 image\(s\): 5 done/);
  const outArg = main[main.indexOf('-o') + 1];
  await checkRun(join(clone, outArg), join(clone, 'examples'));
});

test('the packed tarball installs offline into an empty folder and `npx animeseg segment` runs on a shipped example', { timeout: 600_000 }, async (t) => {
  const packDir = join(tmp, 'pack');
  mkdirSync(packDir);
  const env = cleanEnv();
  // The build as it stands (npm ci / npm run build made dist/); no scripts: packing must not rebuild it.
  const packed = await exec('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: ROOT, env, timeout: 120_000 });
  const tarball = join(packDir, packed.stdout.trim().split('\n').at(-1)!);
  assert.ok(existsSync(tarball), tarball);
  const listing = (await exec('tar', ['-tzf', tarball])).stdout;
  for (const f of ['package/models/animeseg-char-n416.onnx', 'package/models/MODEL-animeseg-char.md', 'package/examples/ATTRIBUTION.md', 'package/dist/cli/main.js', 'package/models.json']) {
    assert.ok(listing.includes(f), `${f} is in the package`);
  }

  const consumer = join(tmp, 'consumer');
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { animeseg: spec } },
    'node_modules/animeseg': { version: pkg.version, resolved: spec, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k.startsWith('node_modules/') && !v.dev) packages[k] = v;
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { animeseg: spec } }));
  writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
  try {
    await exec('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--onnxruntime-node-install=skip'], { cwd: consumer, env, timeout: 300_000 });
  } catch (e) {
    const out = `${(e as { stderr?: string }).stderr ?? ''}`;
    if (/ENOTCACHED/.test(out)) return t.skip(`npm's cache on this machine lacks a dependency's tarball, so an offline install cannot run here: ${out.split('\n')[0]}`);
    throw e;
  }
  assert.ok(existsSync(join(consumer, 'node_modules/animeseg/models/animeseg-char-n416.onnx')));
  const examples = join(consumer, 'node_modules/animeseg/examples');
  const out = join(consumer, 'out');
  const r = await exec('npx', ['--no', '--', 'animeseg', 'segment', examples, '-o', out, '--progress', 'silent'], { cwd: consumer, env, timeout: 300_000 });
  assert.match(r.stderr, /5 image\(s\): 5 done/);
  await checkRun(out, examples);
  // An installed copy, not a link to this checkout, and without sources: the CLI ran its compiled build.
  assert.equal(lstatSync(join(consumer, 'node_modules/animeseg')).isSymbolicLink(), false);
  assert.equal(existsSync(join(consumer, 'node_modules/animeseg/src')), false);
});
