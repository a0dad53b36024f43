/**
 * Resolver search order (explicit path > registered path > shipped in the package > $ANIMESEG_MODELS > cache > download), with temp
 * folders and a local HTTP server. Each location holds different bytes so the test can tell which one won.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModel, resolvePair, DEFAULT_MODEL, type ManifestEntry } from '../../src/models/resolver/index.js';
import { loadBuiltinManifest, loadManifest, registerModel, parseManifest, packageRoot } from '../../src/models/resolver/manifest.js';
import { createHash } from 'node:crypto';
import { AnimesegError } from '../../src/errors.js';
import { startServer, type TestServer } from './helpers.js';

let srv: TestServer;
let root: string;

before(async () => {
  srv = await startServer(50_000);
  root = await mkdtemp(join(tmpdir(), 'animeseg-resolve-'));
});
after(async () => {
  await srv.close();
  await rm(root, { recursive: true, force: true });
});

function entry(over: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    name: 'tiny',
    file: 'tiny.onnx',
    url: `${srv.base}/good/tiny.onnx`,
    sha256: srv.sha256,
    size: srv.payload.length,
    licence: 'MIT',
    description: 'test model',
    kind: 'yolo-seg',
    ...over,
  };
}

async function layout(name: string) {
  const base = join(root, name);
  const dirs = { models: join(base, 'models'), cache: join(base, 'cache'), explicit: join(base, 'explicit') };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  // An empty environment so the developer's own ANIMESEG_* variables cannot leak into the test.
  const env: NodeJS.ProcessEnv = { ANIMESEG_CONFIG_DIR: join(base, 'config') };
  return { base, dirs, env };
}

test('order: explicit path, then $ANIMESEG_MODELS, then cache, then download', async () => {
  const { dirs, env } = await layout('order');
  const e = entry();
  const opts = { entries: [e], modelsDir: dirs.models, cacheDir: dirs.cache, env, progress: 'silent' as const };
  const hitsBefore = srv.hits.get('/good/tiny.onnx') ?? 0;

  // Nothing local: downloaded into the cache.
  const d = await resolveModel('tiny', opts);
  assert.equal(d.from, 'download');
  assert.equal(d.path, join(dirs.cache, 'tiny.onnx'));
  assert.ok((await readFile(d.path)).equals(srv.payload));
  assert.equal(srv.hits.get('/good/tiny.onnx'), hitsBefore + 1);

  // Now cached: no second download.
  const c = await resolveModel('tiny', opts);
  assert.equal(c.from, 'cache');
  assert.equal(srv.hits.get('/good/tiny.onnx'), hitsBefore + 1);

  // A copy in the models folder beats the cache.
  await writeFile(join(dirs.models, 'tiny.onnx'), 'models-dir copy');
  const m = await resolveModel('tiny', opts);
  assert.equal(m.from, 'models-dir');
  assert.equal(m.path, join(dirs.models, 'tiny.onnx'));

  // An explicit path beats everything, and is returned even if it is not in the manifest.
  const explicit = join(dirs.explicit, 'mine.onnx');
  await writeFile(explicit, 'explicit');
  const x = await resolveModel(explicit, opts);
  assert.equal(x.from, 'path');
  assert.equal(x.path, explicit);
  assert.equal(x.entry, undefined);
});

test('$ANIMESEG_MODELS from the environment, several folders, first match wins', async () => {
  const { base, env } = await layout('envdirs');
  const a = join(base, 'a');
  const b = join(base, 'b');
  await mkdir(a);
  await mkdir(b);
  await writeFile(join(b, 'tiny.onnx'), 'b');
  const r1 = await resolveModel('tiny', { entries: [entry()], env: { ...env, ANIMESEG_MODELS: `${a}:${b}` }, download: false });
  assert.equal(r1.path, join(b, 'tiny.onnx'));
  await writeFile(join(a, 'tiny.onnx'), 'a');
  const r2 = await resolveModel('tiny', { entries: [entry()], env: { ...env, ANIMESEG_MODELS: `${a}:${b}` }, download: false });
  assert.equal(r2.path, join(a, 'tiny.onnx'));
  // A bare file name that is not in the manifest is still found in the models folder.
  await writeFile(join(a, 'other.onnx'), 'x');
  const r3 = await resolveModel('other.onnx', { entries: [entry()], env: { ...env, ANIMESEG_MODELS: a }, download: false });
  assert.equal(r3.path, join(a, 'other.onnx'));
});

test('$ANIMESEG_CACHE is the default cache folder', async () => {
  const { dirs, env } = await layout('envcache');
  await writeFile(join(dirs.cache, 'tiny.onnx'), srv.payload);
  const r = await resolveModel('tiny', { entries: [entry()], env: { ...env, ANIMESEG_CACHE: dirs.cache }, download: false });
  assert.equal(r.from, 'cache');
  assert.equal(r.path, join(dirs.cache, 'tiny.onnx'));
});

test('a cached file of the wrong size is treated as damaged and fetched again', async () => {
  const { dirs, env } = await layout('damaged');
  await writeFile(join(dirs.cache, 'tiny.onnx'), srv.payload.subarray(0, 100));
  const r = await resolveModel('tiny', { entries: [entry()], cacheDir: dirs.cache, env, progress: 'silent' });
  assert.equal(r.from, 'download');
  assert.ok((await readFile(r.path)).equals(srv.payload));
});

test('downloads off (option or ANIMESEG_OFFLINE=1): MODEL_NOT_FOUND that says where to put the file', async () => {
  const { dirs, env } = await layout('offline');
  for (const opts of [{ download: false, env }, { env: { ...env, ANIMESEG_OFFLINE: '1' } }]) {
    await assert.rejects(resolveModel('tiny', { entries: [entry()], cacheDir: dirs.cache, ...opts }), (e) => {
      assert.ok(e instanceof AnimesegError);
      assert.equal(e.code, 'MODEL_NOT_FOUND');
      assert.match(e.hint ?? '', /tiny\.onnx/);
      assert.match(e.hint ?? '', /models pull tiny/);
      return true;
    });
  }
  assert.deepEqual(await readdir(dirs.cache), []);
});

test('download failure through the resolver: wrong checksum leaves the cache empty', async () => {
  const { dirs, env } = await layout('badsum');
  const e = entry({ sha256: 'a'.repeat(64) });
  await assert.rejects(resolveModel('tiny', { entries: [e], cacheDir: dirs.cache, env, progress: 'silent' }), (err) => {
    assert.ok(err instanceof AnimesegError);
    assert.equal(err.code, 'DOWNLOAD_FAILED');
    assert.match(err.message, /sha256 mismatch/);
    assert.match(err.hint ?? '', /ANIMESEG_MODELS/);
    return true;
  });
  assert.deepEqual(await readdir(dirs.cache), []);
});

test('an entry without a checksum is refused unless noVerify', async () => {
  const { dirs, env } = await layout('noverify');
  const e = entry({ sha256: undefined, unverified: true });
  await assert.rejects(resolveModel('tiny', { entries: [e], cacheDir: dirs.cache, env, progress: 'silent' }), /no published checksum/);
  assert.deepEqual(await readdir(dirs.cache), []);
  const r = await resolveModel('tiny', { entries: [e], cacheDir: dirs.cache, env, progress: 'silent', noVerify: true });
  assert.equal(r.from, 'download');
});

test('unknown names and missing paths: MODEL_NOT_FOUND listing the known names', async () => {
  const { env } = await layout('unknown');
  await assert.rejects(resolveModel('nope', { entries: [entry()], env, download: false }), (e) => {
    assert.ok(e instanceof AnimesegError);
    assert.equal(e.code, 'MODEL_NOT_FOUND');
    assert.match(e.hint ?? '', /tiny/);
    return true;
  });
  await assert.rejects(resolveModel('/no/such/model.onnx', { entries: [entry()], env }), (e) => {
    assert.ok(e instanceof AnimesegError);
    assert.equal(e.code, 'MODEL_NOT_FOUND');
    assert.equal(e.file, '/no/such/model.onnx');
    return true;
  });
});

test('pairs resolve both halves by the pair name', async () => {
  const { dirs, env } = await layout('pair');
  const pair = { name: 'p', encoder: 'p-enc', decoder: 'p-dec' };
  const entries = [
    entry({ name: 'p-enc', file: 'p-enc.onnx', kind: 'sam-encoder', pair }),
    entry({ name: 'p-dec', file: 'p-dec.onnx', kind: 'sam-decoder', pair }),
  ];
  await writeFile(join(dirs.models, 'p-enc.onnx'), 'e');
  await writeFile(join(dirs.models, 'p-dec.onnx'), 'd');
  const r = await resolvePair('p', { entries, modelsDir: dirs.models, env, download: false });
  assert.equal(r.encoder.path, join(dirs.models, 'p-enc.onnx'));
  assert.equal(r.decoder.path, join(dirs.models, 'p-dec.onnx'));
});

test('registered local models: user manifest entry with a path resolves, and a user entry overrides', async () => {
  const { base, env } = await layout('register');
  const onnx = join(base, 'trained.onnx');
  await writeFile(onnx, 'trained');
  const file = await registerModel(
    { name: 'my-anime', file: 'trained.onnx', path: onnx, licence: 'AGPL-3.0', description: 'mine', kind: 'yolo-seg' },
    { env },
  );
  assert.equal(file, join(env.ANIMESEG_CONFIG_DIR!, 'models.json'));
  const r = await resolveModel('my-anime', { env, download: false });
  assert.equal(r.from, 'registered');
  assert.equal(r.path, onnx);
  assert.equal(r.entry?.origin, 'user');
  // Registering again with the same name replaces the entry (one entry, new path).
  const onnx2 = join(base, 'trained2.onnx');
  await writeFile(onnx2, 'trained2');
  await registerModel({ name: 'my-anime', file: 'trained2.onnx', path: onnx2, licence: 'AGPL-3.0', description: 'mine v2', kind: 'yolo-seg' }, { env });
  const all = await loadManifest(env);
  assert.equal(all.filter((e) => e.name === 'my-anime').length, 1);
  assert.equal((await resolveModel('my-anime', { env, download: false })).path, onnx2);
  // A built-in name is protected.
  await assert.rejects(
    registerModel({ name: DEFAULT_MODEL, file: 'x.onnx', path: onnx, licence: 'x', description: 'x', kind: 'yolo-seg' }, { env }),
    /built-in/,
  );
  // The file of a registered model disappeared: a clear error, not a download attempt.
  await rm(onnx2);
  await assert.rejects(resolveModel('my-anime', { env }), /no longer exists/);
});

test('built-in manifest: parses, the default is there, every downloadable entry has a checksum or is marked', () => {
  const m = loadBuiltinManifest();
  const def = m.models.find((e) => e.name === DEFAULT_MODEL);
  assert.ok(def, 'DEFAULT_MODEL is in models.json');
  assert.equal(def.kind, 'yolo-seg');
  // The shipped file's published digest and size (the model card, models/MODEL-animeseg-char.md).
  assert.equal(def.sha256, 'ee387288d40803b9fa9fcc7a8c5d35f71b1976d84169d25438d8a79da760d958');
  assert.equal(def.size, 13_159_074);
  assert.match(def.licence, /^AGPL-3\.0/);
  assert.match(def.licence, /non-commercial/);
  assert.equal(def.bundled, 'models/animeseg-char-n416.onnx');
  // The COCO model stays by name, with its published digest.
  assert.equal(m.models.find((e) => e.name === 'yolov8n-seg-int8')?.sha256, 'a892891617cbadd34d860f66a866393a8d4c487c49f1474e9b6d9e578332e56a');
  for (const e of m.models) {
    if (e.url) assert.ok(e.sha256 || e.md5 || e.unverified, `${e.name} has a checksum or is marked unverified`);
    assert.ok(e.licence.length > 0);
    if (e.pair) {
      assert.ok(m.models.some((x) => x.name === e.pair!.encoder), `${e.pair.encoder} exists`);
      assert.ok(m.models.some((x) => x.name === e.pair!.decoder), `${e.pair.decoder} exists`);
    }
  }
});

test('the default model is the file shipped in the package: no ANIMESEG_MODELS, no cache, no network; its bytes are the published ones', async () => {
  const { env } = await layout('default');
  const r = await resolveModel(DEFAULT_MODEL, { env: { ...env, ANIMESEG_OFFLINE: '1' }, download: false });
  assert.equal(r.from, 'bundled');
  assert.equal(r.path, join(packageRoot(), 'models', 'animeseg-char-n416.onnx'));
  // sha256 of the shipped bytes against the digest published in the model card.
  assert.equal(createHash('sha256').update(await readFile(r.path)).digest('hex'), 'ee387288d40803b9fa9fcc7a8c5d35f71b1976d84169d25438d8a79da760d958');
  // Shipped beats a models folder that holds a file of the same name.
  const { dirs } = await layout('default-shadow');
  await writeFile(join(dirs.models, 'animeseg-char-n416.onnx'), 'other bytes');
  assert.equal((await resolveModel(DEFAULT_MODEL, { env, modelsDir: dirs.models, download: false })).from, 'bundled');
});

test('the COCO model resolves by name through ANIMESEG_MODELS without network', async () => {
  const { env } = await layout('coco');
  const r = await resolveModel('yolov8n-seg-int8', { env: { ...env, ANIMESEG_MODELS: '../shared/models' }, download: false });
  assert.equal(r.from, 'models-dir');
  assert.match(r.path, /shared\/models\/yolov8n-seg_int8\.onnx$/);
});

test('a shipped file of another size than the manifest says is passed over; only the package manifest may ship files', async () => {
  const { dirs, env } = await layout('bundled-size');
  // models.json itself is a file inside the package root: an entry "shipping" it has a known, wrong size.
  const e = entry({ bundled: 'models.json', url: undefined, sha256: undefined, size: 1 });
  await writeFile(join(dirs.models, e.file), 'from the models folder');
  const r = await resolveModel('tiny', { entries: [e], env, modelsDir: dirs.models, download: false });
  assert.equal(r.from, 'models-dir');
  // The right size is taken.
  const size = (await readFile(join(packageRoot(), 'models.json'))).length;
  assert.equal((await resolveModel('tiny', { entries: [{ ...e, size }], env, download: false })).from, 'bundled');
  // A user manifest entry cannot point into the package.
  await assert.rejects(resolveModel('tiny', { entries: [{ ...e, size, origin: 'user' }], env, download: false }), /ships inside the animeseg package, but its file is missing/);
  // Paths that leave the package are refused when the manifest is read.
  assert.throws(() => parseManifest(JSON.stringify({ version: 1, models: [{ ...entry(), bundled: '../x.onnx' }] }), '/tmp/m.json', 'builtin'), /'bundled' must be a path inside the package/);
});

test('a malformed manifest names the file and the entry', () => {
  assert.throws(() => parseManifest('{"version":1,"models":[{"name":"x"}]}', '/tmp/m.json', 'user'), (e) => {
    assert.ok(e instanceof AnimesegError);
    assert.equal(e.file, '/tmp/m.json');
    assert.match(e.message, /entry #0/);
    return true;
  });
  assert.throws(() => parseManifest('not json', '/tmp/m.json', 'user'), /not valid JSON/);
  const noSum = JSON.stringify({ version: 1, models: [{ ...entry(), sha256: undefined }] });
  assert.throws(() => parseManifest(noSum, '/tmp/m.json', 'user'), /no sha256\/md5/);
});
