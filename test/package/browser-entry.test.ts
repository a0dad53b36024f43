/**
 * `animeseg/browser`, the in-browser segmenter as other web apps use it: a package laid out as npm installs
 * it (package.json with its `exports`, the declarations tsc emits, the ESM bundle build-web makes, its
 * onnxruntime-web dependency) in a temp node_modules. Checks that the entry resolves through `exports`,
 * that its bundle holds no Node module, that its declarations type-check a consumer with no Node types,
 * and that the bundle segments: in a child process it runs the anime model on onnxruntime-web (WASM, its
 * Node build) and must find what the Node pipeline (onnxruntime-node) finds on the same image; the Node
 * pipeline's result is the expected value (an independent runtime, the same predictor core).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildWebBundle } from '../../src/server/build-web.js';
import { createSegmenter } from '../../src/pipeline/segmenter.js';
import { decodeImageFile } from '../../src/image/decode.js';

const MODEL = resolve('../shared/models/animeseg-char-n416.onnx');
const IMAGE = resolve('../shared/data/illustrations/images/luffy_1.jpg'); // two characters
const CONF = 0.45; // the model card's recommended threshold

let app: string;
let pkgDir: string;

before(async () => {
  app = await mkdtemp(join(tmpdir(), 'animeseg-browser-app-'));
  pkgDir = join(app, 'node_modules', 'animeseg');
  await mkdir(join(pkgDir, 'web', 'dist'), { recursive: true });
  await cp('package.json', join(pkgDir, 'package.json'));
  await buildWebBundle(join(pkgDir, 'web', 'dist', 'animeseg-browser.js'));
  // The declarations exactly as the build emits them (tsconfig.build.json).
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--outDir', join(pkgDir, 'dist')], { stdio: 'pipe' });
  await symlink(resolve('node_modules/onnxruntime-web'), join(app, 'node_modules', 'onnxruntime-web'), 'dir');
  await symlink(resolve('node_modules/onnxruntime-common'), join(app, 'node_modules', 'onnxruntime-common'), 'dir').catch(() => undefined);
});
after(async () => {
  await rm(app, { recursive: true, force: true });
});

function node(script: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [script], { cwd: app, timeout: 180_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : done(stdout)));
  });
}

test("'animeseg/browser' resolves through the package's exports to the ESM bundle, which imports no Node module", async () => {
  await writeFile(join(app, 'where.mjs'), "console.log(import.meta.resolve('animeseg/browser'));\n");
  const url = (await node(join(app, 'where.mjs'))).trim();
  assert.equal(url, `file://${join(pkgDir, 'web', 'dist', 'animeseg-browser.js')}`);
  const bundle = await readFile(join(pkgDir, 'web', 'dist', 'animeseg-browser.js'), 'utf8');
  // Static or dynamic imports of Node built-ins, or CommonJS require: none may be in a browser bundle.
  assert.doesNotMatch(bundle, /(from|import)\s*\(?\s*["'](node:)?(fs|path|os|url|crypto|child_process|worker_threads|stream|buffer|util)["']/);
  assert.doesNotMatch(bundle, /\brequire\(["']/);
  assert.doesNotMatch(bundle, /["']sharp["']|onnxruntime-node/);
});

test('its declarations type-check a consumer that has no Node types', async () => {
  await writeFile(
    join(app, 'consumer.ts'),
    `import * as ort from 'onnxruntime-web';
import { createBrowserSegmenter, BROWSER_REFINERS, type BrowserSegmenter, type BrowserResult } from 'animeseg/browser';
export async function run(pixels: Uint8ClampedArray, width: number, height: number): Promise<number> {
  const seg: BrowserSegmenter = await createBrowserSegmenter({ ort, modelUrl: '/m.onnx', provider: 'wasm' });
  const r: BrowserResult = await seg.segment({ data: pixels, width, height, channels: 4 }, { conf: 0.45, refine: BROWSER_REFINERS[1] });
  // @ts-expect-error: refine takes only what runs in a browser (the declarations are real, not 'any')
  await seg.segment({ data: pixels, width, height, channels: 4 }, { refine: 'vote' });
  return r.instances.length;
}
`,
  );
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false }, files: ['consumer.ts'] }),
  );
  try {
    execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { stdio: 'pipe', cwd: app });
  } catch (e) {
    assert.fail(`tsc on the consumer failed:\n${(e as { stdout?: Buffer }).stdout?.toString()}`);
  }
});

test('the bundle segments on onnxruntime-web and finds what the Node pipeline finds', async () => {
  const { image } = await decodeImageFile(IMAGE);
  await writeFile(join(app, 'image.rgb'), image.data);
  await writeFile(
    join(app, 'segment.mjs'),
    `import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { createBrowserSegmenter } from 'animeseg/browser';
const seg = await createBrowserSegmenter({ ort, model: readFileSync(${JSON.stringify(MODEL)}), provider: 'wasm' });
const data = new Uint8Array(readFileSync('image.rgb'));
const r = await seg.segment({ data, width: ${image.width}, height: ${image.height}, channels: 3 }, { conf: ${CONF} });
await seg.release();
console.log(JSON.stringify({ backend: r.backend, instances: r.instances.map((i) => ({ className: i.className, score: i.score, box: i.box, area: i.mask.reduce((a, v) => a + v, 0) })) }));
`,
  );
  const got = JSON.parse(await node(join(app, 'segment.mjs')));
  const seg = await createSegmenter({ model: MODEL, conf: CONF, threads: 1 });
  try {
    const want = await seg.segment(IMAGE);
    assert.equal(got.backend, 'wasm');
    assert.ok(want.instances.length > 0, 'the Node pipeline finds a character');
    assert.equal(got.instances.length, want.instances.length);
    want.instances.forEach((w, i) => {
      const g = got.instances[i];
      assert.equal(g.className, w.className);
      // Two runtimes' float kernels: scores and boxes agree to rounding, masks to a few edge pixels.
      assert.ok(Math.abs(g.score - w.score) < 1e-3, `score ${g.score} vs ${w.score}`);
      g.box.forEach((v: number, k: number) => assert.ok(Math.abs(v - w.box[k]) < 0.5, `box ${g.box} vs ${w.box}`));
      let area = 0;
      for (const v of w.mask.data) area += v;
      assert.ok(Math.abs(g.area - area) <= Math.max(20, area * 0.002), `mask area ${g.area} vs ${area}`);
    });
  } finally {
    await seg.dispose();
  }
});
