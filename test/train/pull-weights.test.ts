/**
 * `animeseg models pull NAME` of a manifest entry published as Ultralytics weights (.pt): the weights come
 * from a local HTTP server (127.0.0.1) standing in for Hugging Face, and the export runs for real with the
 * vendored Ultralytics (../shared/vendor/ultralytics-8.2.103) on Debian's PyTorch. The exported ONNX must then
 * load and segment: its person boxes are checked against Ultralytics' own outputs for the same network
 * (../shared/data/reference/yolo/dev: the COCO YOLOv8n-seg exported at 320 and int8-quantized, run through
 * Ultralytics' postprocessing), so the expected values do not come from our code.
 * Also: without Ultralytics the pull fails before any download and says what to install; the resolver
 * never downloads such an entry on its own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { resolveModel, type ManifestEntry } from '../../src/models/resolver/index.js';
import { AnimesegError } from '../../src/errors.js';

const PT = resolve('../shared/models/yolov8n-seg-coco.pt');
const VENDOR = resolve('../shared/vendor/ultralytics-8.2.103');
const PYTHON = '/usr/bin/python3';
const REF = resolve('../shared/data/reference/yolo/dev');
const IMAGES = resolve('../shared/data/illustrations/images');

/** Why the real export cannot run here, or undefined when it can (torch and onnx importable). */
function torchMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) return undefined;
  const why = r.error?.message ?? (r.stderr.trim().split('\n').pop() || `exit ${r.status}`);
  return `${PYTHON} cannot import torch and onnx (${why}): apt-get install python3-torch python3-onnx (see ../shared/vendor/README.md)`;
}

let server: Server;
let base: string;
const hits = new Map<string, number>();
let root: string;

before(async () => {
  const weights = await readFile(PT);
  server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    if (req.url !== '/weights/model.pt') {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(weights.length) });
    res.end(weights);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  root = await mkdtemp(join(tmpdir(), 'animeseg-pull-pt-'));
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

function ptEntry(name: string): ManifestEntry {
  return {
    name,
    file: `${name}.onnx`,
    url: `${base}/weights/model.pt`,
    unverified: true,
    export: { weights: `${name}.pt`, imgsz: 320 },
    licence: 'AGPL-3.0',
    description: 'COCO YOLOv8n-seg weights served as a .pt (test)',
    kind: 'yolo-seg',
  };
}

/** A sandbox (config with the entry, empty cache) and the env the CLI runs with. */
async function sandbox(name: string, extra: NodeJS.ProcessEnv): Promise<{ env: NodeJS.ProcessEnv; cache: string }> {
  const dir = join(root, name);
  await mkdir(join(dir, 'config'), { recursive: true });
  await mkdir(join(dir, 'yolo-config'), { recursive: true });
  await writeFile(join(dir, 'config', 'models.json'), JSON.stringify({ version: 1, models: [ptEntry(name)] }));
  const cache = join(dir, 'cache');
  const env = {
    ...process.env,
    ANIMESEG_CONFIG_DIR: join(dir, 'config'),
    ANIMESEG_CACHE: cache,
    ANIMESEG_MODELS: '',
    // The download is from 127.0.0.1; Ultralytics itself is told to stay offline below.
    ANIMESEG_OFFLINE: '',
    YOLO_OFFLINE: 'True',
    YOLO_CONFIG_DIR: join(dir, 'yolo-config'),
    ...extra,
  };
  return { env, cache };
}

/** Async: the HTTP server lives in this process and must keep answering. */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve('bin/animeseg.js'), 'models', ...args], { env, timeout: 300_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const iou = (a: number[], b: number[]): number => {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
};

test('pull of a .pt entry downloads the weights, exports ONNX with Ultralytics, and the model segments', { skip: torchMissing() }, async () => {
  const { env, cache } = await sandbox('pt-real', { ANIMESEG_PYTHON: PYTHON, PYTHONPATH: VENDOR });
  const r = await cli(env, 'pull', 'pt-real', '--no-verify');
  assert.equal(r.code, 0, r.stderr);
  const onnx = join(cache, 'pt-real.onnx');
  assert.equal(r.stdout.trim(), onnx);
  assert.match(r.stderr, /^pt-real: licence AGPL-3\.0/);
  assert.match(r.stderr, /exported .*pt-real\.pt to ONNX/);
  assert.equal(hits.get('/weights/model.pt'), 1);
  // Only the weights and the model stay in the cache: the export's work folder is gone.
  assert.deepEqual((await readdir(cache)).sort(), ['pt-real.onnx', 'pt-real.pt']);
  assert.ok((await readFile(join(cache, 'pt-real.pt'))).equals(await readFile(PT)));

  // Found by name now, no second download or export.
  const again = await cli(env, 'pull', 'pt-real', '--no-verify');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already present/);
  assert.equal(hits.get('/weights/model.pt'), 1);

  const seg = await createSegmenter({ model: onnx, threads: 1 });
  try {
    assert.deepEqual(seg.info.imgsz, [320, 320]);
    for (const stem of ['antonio_1', 'cirno_1']) {
      const ref = JSON.parse(await readFile(join(REF, stem, 'reference.json'), 'utf8'));
      const want = ref.detections.filter((d: { cls: number; score: number }) => d.cls === 0 && d.score > 0.8);
      assert.equal(want.length, 1, `${stem}: one confident person in the reference`);
      const got = await seg.segment(join(IMAGES, ref.image));
      const best = Math.max(...got.instances.map((i) => iou(i.box, want[0].box)));
      // Same network, float32 here against int8 there: the boxes agree closely, not exactly.
      assert.ok(best > 0.9, `${stem}: best box IoU with Ultralytics' ${best.toFixed(3)}`);
      const match = got.instances.find((i) => iou(i.box, want[0].box) === best)!;
      let area = 0;
      for (const v of match.mask.data) area += v;
      assert.ok(Math.abs(area - want[0].area_native) / want[0].area_native < 0.1, `${stem}: mask area ${area} vs reference ${want[0].area_native}`);
    }
  } finally {
    await seg.dispose();
  }
});

test('pull of a .pt entry without Ultralytics: exit 1, says what to install, downloads nothing', async () => {
  // Debian's python3 with no PYTHONPATH: no ultralytics module.
  const { env, cache } = await sandbox('pt-none', { ANIMESEG_PYTHON: PYTHON, PYTHONPATH: '' });
  const before = hits.get('/weights/model.pt') ?? 0;
  const r = await cli(env, 'pull', 'pt-none', '--no-verify');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /published as Ultralytics weights \(\.pt\)/);
  assert.match(r.stderr, /pip install ultralytics/);
  assert.match(r.stderr, /onnx/);
  assert.equal(hits.get('/weights/model.pt') ?? 0, before);
  assert.deepEqual(await readdir(cache).catch(() => []), []);
});

test('the resolver does not download a .pt entry: it names the pull that exports it', async () => {
  const e = ptEntry('pt-resolve');
  const before = hits.get('/weights/model.pt') ?? 0;
  await assert.rejects(
    resolveModel('pt-resolve', { entries: [e], cacheDir: join(root, 'resolve-cache'), env: {}, progress: 'silent' }),
    (err: unknown) => err instanceof AnimesegError && err.code === 'MODEL_NOT_FOUND' && /models pull pt-resolve --no-verify/.test(err.hint ?? ''),
  );
  assert.equal(hits.get('/weights/model.pt') ?? 0, before);
});
