/**
 * The web page in Debian's chromium (playwright-core, no browser download), against a real server on
 * 127.0.0.1 with the real shared model. Expected values come from the API's own JSON for the same image
 * (instance masks decoded from RLE with decodeRle), computed independently of the page's code.
 * Skips with a reason when /usr/bin/chromium is missing. Screenshots go to a temp folder (path printed).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { buildWebBundle } from '../../src/server/build-web.js';
import { IMAGES, MODEL_NAME, boxIoU, isolateEnv, unionOfRles } from '../server/helpers.js';

// ANIMESEG_CHROMIUM points elsewhere (e.g. to check the skip path); never a downloaded browser.
const CHROMIUM = process.env.ANIMESEG_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `chromium not installed at ${CHROMIUM} (apt-get install chromium)`;
const IMAGE = join(IMAGES, 'luffy_1.jpg'); // 810x606, two people
const shots = mkdtempSync(join(tmpdir(), 'animeseg-shots-'));

isolateEnv();
let server: AnimesegServer;
let base: string;
let browser: Browser;

interface ApiJson {
  width: number;
  height: number;
  instances: { box: number[]; rle: { size: [number, number]; counts: number[] } }[];
}
let api: ApiJson;

before(async () => {
  if (skip) return;
  // The in-browser bundle is built into a temp folder (tests never write into the repo).
  const bundleDir = mkdtempSync(join(tmpdir(), 'animeseg-web-'));
  await buildWebBundle(join(bundleDir, 'animeseg-browser.js'));
  server = await createServer({ engine: await createPipelineEngine({ model: MODEL_NAME }), bundleDir });
  base = await server.listen(0);
  const r = await fetch(`${base}/v1/segment?format=json`, { method: 'POST', body: readFileSync(IMAGE), headers: { 'content-type': 'image/jpeg' } });
  api = (await r.json()) as ApiJson;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  console.log(`# screenshots: ${shots}`);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(query = '') {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1100 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The page runs under the server's Content-Security-Policy: any violation (a blocked worker, wasm
  // compile, script or style) is reported on the console and fails the test.
  page.on('console', (m) => {
    if (/content security policy|refused to/i.test(m.text())) errors.push(m.text());
  });
  const res = await page.goto(`${base}/${query}`);
  assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
  await page.waitForSelector('body[data-ready="1"]');
  return { page, context, errors };
}

/** Alpha plane of a downloaded PNG (or the gray value of a mask PNG). */
async function channelOf(path: string, channel: 'alpha' | 0): Promise<{ data: Buffer; width: number; height: number }> {
  const img = sharp(path);
  const meta = await img.metadata();
  const c = channel === 'alpha' ? (meta.channels ?? 4) - 1 : 0;
  const { data, info } = await img.extractChannel(c as 0 | 1 | 2 | 3).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

test('server mode: upload, overlay, toggle a character, download cutout and mask', { skip, timeout: 60_000 }, async () => {
  assert.ok(api.instances.length >= 2, 'the API finds two people in luffy_1');
  const { page, context, errors } = await openPage();
  await page.setInputFiles('#file', IMAGE);
  await page.waitForSelector('body[data-done="1"]', { timeout: 30_000 });
  const shown = await page.evaluate(() => (window as unknown as { animeseg: { state: { current: { instances: unknown[] } } } }).animeseg.state.current.instances.length);
  assert.equal(shown, api.instances.length);
  assert.equal(await page.locator('#instances li').count(), api.instances.length);

  // The overlay tints mask pixels: at a pixel inside instance 0 it differs from the original.
  const m0 = unionOfRles([api.instances[0]!.rle], api.width, api.height);
  const p = m0.indexOf(1);
  const [x, y] = [p % api.width, Math.floor(p / api.width)];
  // A string, not a closure: tsx's transpiler would inject a helper (__name) the page does not have.
  const differs = await page.evaluate(`(() => {
    const px = (id) => Array.from(document.getElementById(id).getContext('2d').getImageData(${x}, ${y}, 1, 1).data).join();
    return px('overlay') !== px('original');
  })()`);
  assert.ok(differs, 'overlay tints the mask');
  await page.screenshot({ path: join(shots, 'server-mode.png'), fullPage: true });

  // Toggle character 2 off, then download: the cutout's alpha must be exactly the other masks' union.
  await page.locator('#instances li[data-index="1"] input[type=checkbox]').uncheck();
  assert.equal(await page.locator('#instances li.off').count(), 1);
  const keep = api.instances.filter((_, i) => i !== 1).map((i) => i.rle);
  const expected = unionOfRles(keep, api.width, api.height);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-cutout')]);
  assert.match(dl.suggestedFilename(), /^luffy_1\.png$/);
  const alpha = await channelOf((await dl.path())!, 'alpha');
  assert.equal(alpha.width, api.width);
  assert.equal(alpha.height, api.height);
  let wrong = 0;
  for (let i = 0; i < expected.length; i++) if ((alpha.data[i] === 255 ? 1 : alpha.data[i] === 0 ? 0 : -1) !== expected[i]) wrong++;
  assert.equal(wrong, 0, 'cutout alpha = union of the enabled instances');

  const [dlMask] = await Promise.all([page.waitForEvent('download'), page.click('#dl-mask')]);
  assert.equal(dlMask.suggestedFilename(), 'luffy_1.mask.png');
  // The CLI's and the API's mask format: 8-bit single-channel PNG (a canvas export would be RGBA).
  const maskMeta = await sharp((await dlMask.path())!).metadata();
  assert.deepEqual([maskMeta.channels, maskMeta.depth], [1, 'uchar']);
  const mask = await channelOf((await dlMask.path())!, 0);
  wrong = 0;
  for (let i = 0; i < expected.length; i++) if ((mask.data[i]! > 127 ? 1 : 0) !== expected[i]) wrong++;
  assert.equal(wrong, 0, 'mask = union of the enabled instances');
  await page.screenshot({ path: join(shots, 'server-mode-toggled.png'), fullPage: true });

  // Switching refinement re-segments on the server and shows the edge comparison (none vs regions).
  await page.selectOption('#refine', 'regions');
  await page.waitForSelector('#compare:not([hidden])', { timeout: 30_000 });
  assert.equal(await page.locator('#cmp-b-label').textContent(), 'regions');
  // The character switched off stays off under the new refinement (matched by box, not index).
  await page.waitForSelector('body[data-done="1"]', { timeout: 30_000 });
  const offBoxes = await page.evaluate(`(() => { const s = window.animeseg.state; return s.current.instances.map((x, i) => [s.enabled.has(i), x.box]); })()`) as [boolean, number[]][];
  const off = offBoxes.filter(([on]) => !on);
  assert.equal(off.length, 1, 'one character still off after changing the refinement');
  const gone = api.instances[1]!.box;
  const iou = boxIoU(off[0]![1], gone);
  assert.ok(iou > 0.5, `the one off is the one switched off (box IoU ${iou.toFixed(2)})`);
  // Per-character download: NAME.instNN.png, NN = the JSON id.
  const [dlInst] = await Promise.all([page.waitForEvent('download'), page.locator('#instances li[data-index="0"] button').click()]);
  assert.equal(dlInst.suggestedFilename(), 'luffy_1.inst00.png');
  await page.screenshot({ path: join(shots, 'server-mode-regions.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('in-browser mode on WASM: same characters, regions refinement in the page, and the image is never uploaded', { skip, timeout: 90_000 }, async () => {
  const { page, context, errors } = await openPage('?ep=wasm');
  const uploads: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/v1/segment')) uploads.push(r.url());
  });
  await page.check('input[name=mode][value=browser]');
  await page.setInputFiles('#file', IMAGE);
  await page.waitForSelector('body[data-done="1"], body[data-done="error"]', { timeout: 50_000 });
  const status = await page.locator('#status').textContent();
  assert.equal(await page.getAttribute('body', 'data-done'), '1', `page status: ${status}`);
  const res = await page.evaluate(() => {
    const cur = (window as unknown as { animeseg: { state: { current: { backend: string; instances: { box: number[] }[] } } } }).animeseg.state.current;
    return { backend: cur.backend, boxes: cur.instances.map((i) => i.box) };
  });
  assert.equal(res.backend, 'wasm');
  assert.equal(res.boxes.length, api.instances.length);
  // Browser and server decode the JPEG with different libraries; boxes agree closely, not bit for bit.
  for (const inst of api.instances) {
    const best = Math.max(...res.boxes.map((b) => boxIoU(b, inst.box)));
    assert.ok(best >= 0.9, `server box ${inst.box} found in the browser (IoU ${best.toFixed(3)})`);
  }
  await page.screenshot({ path: join(shots, 'browser-mode.png'), fullPage: true });

  // `regions` runs in the page too (pure TypeScript): the edge comparison appears, nothing is uploaded, and
  // the refined union agrees with the server's `regions` on the same image (decoders differ, so not bit for bit).
  await page.selectOption('#refine', 'regions');
  await page.waitForSelector('#compare:not([hidden])', { timeout: 50_000 });
  assert.equal(await page.locator('#cmp-b-label').textContent(), 'regions');
  const local = await page.evaluate(`(() => {
    const cur = window.animeseg.state.current;
    const u = new Uint8Array(cur.instances[0].mask.length);
    for (const i of cur.instances) for (let p = 0; p < u.length; p++) if (i.mask[p]) u[p] = 1;
    return { refine: cur.refine, union: Array.from(u) };
  })()`) as { refine: string; union: number[] };
  assert.equal(local.refine, 'regions');
  const r = await fetch(`${base}/v1/segment?format=json&refine=regions`, { method: 'POST', body: readFileSync(IMAGE), headers: { 'content-type': 'image/jpeg' } });
  const served = (await r.json()) as ApiJson;
  const serverUnion = unionOfRles(served.instances.map((i) => i.rle), served.width, served.height);
  let inter = 0;
  let uni = 0;
  for (let i = 0; i < serverUnion.length; i++) {
    inter += serverUnion[i]! & local.union[i]!;
    uni += serverUnion[i]! | local.union[i]!;
  }
  assert.ok(inter / uni >= 0.95, `in-browser regions vs server regions: union IoU ${(inter / uni).toFixed(4)}`);
  await page.screenshot({ path: join(shots, 'browser-mode-regions.png'), fullPage: true });
  assert.deepEqual(uploads, [], 'no request to /v1/segment in browser mode');
  assert.deepEqual(errors, []);
  await context.close();
});

test('/docs renders the OpenAPI document in the browser with nothing fetched from outside', { skip, timeout: 30_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) foreign.push(r.url());
  });
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/content security policy|refused to/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto(`${base}/docs`);
  assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'sha256-/);
  await page.waitForSelector('#segment');
  assert.deepEqual(violations, []);
  assert.match((await page.locator('#segment').textContent())!, /\/v1\/segment/);
  assert.ok((await page.locator('.op').count()) >= 6);
  assert.deepEqual(foreign, []);
  await context.close();
});
