/**
 * The HTTP API against a real server on 127.0.0.1 (port 0) with the real shared model.
 * Expected values come from: Ultralytics' reference detections (../shared/data/reference/yolo), the
 * original image decoded independently with sharp, masks decoded from the JSON's RLE with decodeRle, the
 * package's models.json, and hand-made inputs (a PNG header claiming 3000x3000, text bytes, a cut JPEG).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { IMAGES, MODEL_NAME, SHARED, boxIoU, isolateEnv, unionOfRles } from './helpers.js';
// A PNG with a valid signature and IHDR (CRC from zlib.crc32) and a tiny IDAT: big on paper only.
import { pngWithSize } from '../fuzz/generate.js';

isolateEnv();

let server: AnimesegServer;
let base: string;
const LIMITS = { maxUploadBytes: 1_000_000, maxPixels: 2_000_000, timeoutMs: 60_000, queue: 4, concurrency: 1 };
const eren = readFileSync(join(IMAGES, 'eren_1.jpg')); // 1024x720, two people (reference: 0.89, 0.68)
const luffy = readFileSync(join(IMAGES, 'luffy_1.jpg')); // 810x606, two people

before(async () => {
  const engine = await createPipelineEngine({ model: MODEL_NAME });
  server = await createServer({ engine, limits: LIMITS });
  base = await server.listen(0, '127.0.0.1');
});
after(async () => {
  await server?.close();
});

function form(bytes: Uint8Array, fields: Record<string, string> = {}, name = 'image.jpg'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('file', new Blob([new Uint8Array(bytes)]), name);
  return f;
}

async function segmentJson(bytes: Uint8Array, query = '') {
  const r = await fetch(`${base}/v1/segment?format=json${query}`, { method: 'POST', body: form(bytes) });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as {
    image: string;
    width: number;
    height: number;
    model: string;
    settings: Record<string, unknown>;
    instances: { id: number; class_id: number; class_name: string; score: number; box: number[]; area: number; polygons: number[][]; rle: { size: [number, number]; counts: number[] } }[];
    timings_ms: Record<string, number>;
  };
}

async function expectError(r: Response, status: number, code: string, mentions?: RegExp) {
  const body = (await r.json()) as { error: { code: string; message: string; hint?: string } };
  assert.equal(r.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
  if (mentions) assert.match(body.error.message + ' ' + (body.error.hint ?? ''), mentions);
  return body;
}

test('GET /healthz reports ok, the model and the limits', async () => {
  const r = await fetch(`${base}/healthz`);
  assert.equal(r.status, 200);
  const j = await r.json();
  assert.equal(j.status, 'ok');
  assert.equal(j.model, MODEL_NAME);
  assert.equal(j.limits.max_upload_bytes, LIMITS.maxUploadBytes);
  assert.equal(j.limits.max_pixels, LIMITS.maxPixels);
});

test('GET /v1/models lists the manifest with licences and marks the active model', async () => {
  const manifest = JSON.parse(readFileSync('models.json', 'utf8')) as { models: { name: string; licence: string }[] };
  const r = await fetch(`${base}/v1/models`);
  assert.equal(r.status, 200);
  const j = await r.json();
  assert.equal(j.active.name, MODEL_NAME);
  // Licence and class facts: models.json and ../shared/models/README.md (80 COCO classes, person = 0).
  assert.equal(j.active.licence, manifest.models.find((m) => m.name === MODEL_NAME)!.licence);
  assert.equal(j.active.classes.length, 80);
  assert.equal(j.active.classes[0], 'person');
  assert.deepEqual(j.active.imgsz, [320, 320]);
  for (const m of manifest.models) {
    const listed = j.models.find((x: { name: string }) => x.name === m.name);
    assert.ok(listed, `${m.name} listed`);
    assert.equal(listed.licence, m.licence);
  }
  assert.equal(j.models.find((x: { name: string }) => x.name === MODEL_NAME).local, true);
});

test('GET /v1/refiners offers none first-class and the default', async () => {
  const j = await (await fetch(`${base}/v1/refiners`)).json();
  assert.equal(j.default, 'none');
  assert.ok(j.refiners.some((r: { name: string; available: boolean }) => r.name === 'none' && r.available));
  // in_browser: the refiners the page can run itself (the registry's inBrowser; none and regions are pure TypeScript).
  assert.deepEqual(j.refiners.filter((r: { in_browser: boolean }) => r.in_browser).map((r: { name: string }) => r.name), ['none', 'regions']);
});

test('JSON output reproduces the Ultralytics reference detections for eren_1', async () => {
  // Reference: Ultralytics 8.2.103 on the same model, all classes, conf 0.25 (reference.json).
  const ref = JSON.parse(readFileSync(join(SHARED, 'data/reference/yolo/dev/eren_1/reference.json'), 'utf8')) as {
    orig_size: [number, number];
    detections: { cls: number; score: number; box: number[]; area_native: number }[];
  };
  const j = await segmentJson(eren, '&classes=all&conf=0.25');
  assert.deepEqual([j.height, j.width], ref.orig_size);
  for (const d of ref.detections.filter((d) => d.score >= 0.3)) {
    const best = j.instances.map((i) => ({ i, iou: boxIoU(i.box, d.box) })).sort((a, b) => b.iou - a.iou)[0];
    assert.ok(best && best.iou >= 0.95, `reference box ${d.box} found (IoU ${best?.iou})`);
    assert.equal(best.i.class_id, d.cls);
    assert.ok(Math.abs(best.i.score - d.score) < 0.02, `score ${best.i.score} vs ${d.score}`);
    // Native mask area within 2 % of the reference (JPEG decoders may differ by a few pixel values).
    assert.ok(Math.abs(best.i.area - d.area_native) / d.area_native < 0.02, `area ${best.i.area} vs ${d.area_native}`);
  }
  // The RLE decodes to exactly `area` pixels (independent count with decodeRle).
  for (const inst of j.instances) {
    const u = unionOfRles([inst.rle], j.width, j.height);
    assert.equal(u.reduce((a, v) => a + v, 0), inst.area);
  }
  assert.ok(j.timings_ms.inference > 0 && j.timings_ms.total >= j.timings_ms.inference);
  assert.equal(j.image, 'image.jpg');
  assert.equal(j.settings.refine, 'none');
  // Polygons (when the mask helper's tracer is present) lie inside the image.
  for (const inst of j.instances) for (const poly of inst.polygons) for (let k = 0; k < poly.length; k += 2) {
    assert.ok(poly[k]! >= 0 && poly[k]! <= j.width && poly[k + 1]! >= 0 && poly[k + 1]! <= j.height);
  }
});

test('PNG cutout: alpha is the union of the instance masks, colour is the original', async () => {
  const j = await segmentJson(luffy);
  assert.ok(j.instances.length >= 2, 'luffy_1 has two people');
  const r = await fetch(`${base}/v1/segment`, { method: 'POST', body: form(luffy) });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/png');
  assert.equal(r.headers.get('x-instances'), String(j.instances.length));
  const png = Buffer.from(await r.arrayBuffer());
  const cut = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(cut.info.channels, 4);
  assert.equal(cut.info.width, j.width);
  const orig = await sharp(luffy).removeAlpha().raw().toBuffer();
  const union = unionOfRles(j.instances.map((i) => i.rle), j.width, j.height);
  let mismatchAlpha = 0;
  let mismatchRgb = 0;
  for (let p = 0; p < union.length; p++) {
    if ((cut.data[p * 4 + 3] === 255 ? 1 : 0) !== union[p] || (cut.data[p * 4 + 3] !== 0 && cut.data[p * 4 + 3] !== 255)) mismatchAlpha++;
    if (union[p] && (cut.data[p * 4] !== orig[p * 3] || cut.data[p * 4 + 1] !== orig[p * 3 + 1] || cut.data[p * 4 + 2] !== orig[p * 3 + 2])) mismatchRgb++;
  }
  assert.equal(mismatchAlpha, 0);
  assert.equal(mismatchRgb, 0);
});

test('soft_edge: partial alpha only near the mask outline; without it alpha is 0/255 only', async () => {
  const j = await segmentJson(luffy);
  const union = unionOfRles(j.instances.map((i) => i.rle), j.width, j.height);
  const r = await fetch(`${base}/v1/segment?soft_edge=1`, { method: 'POST', body: form(luffy) });
  assert.equal(r.status, 200);
  const cut = await sharp(Buffer.from(await r.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
  // Distance to the outline, by hand: a pixel is "far" when its whole 33x33 neighbourhood has the same mask
  // value. The guided filter (radius 6: box means of box means reach 2 x 6 px, + 2 for the half-resolution
  // coefficients) may only change alpha within reach of the outline, never farther.
  const W = j.width;
  const H = j.height;
  let partial = 0;
  let farChanged = 0;
  for (let y = 16; y < H - 16; y += 3) {
    for (let x = 16; x < W - 16; x += 3) {
      const p = y * W + x;
      const a = cut.data[p * 4 + 3]!;
      if (a > 0 && a < 255) partial++;
      let same = true;
      for (let dy = -16; dy <= 16 && same; dy++) for (let dx = -16; dx <= 16; dx++) if (union[p + dy * W + dx] !== union[p]) { same = false; break; }
      if (same && a !== (union[p] ? 255 : 0)) farChanged++;
    }
  }
  assert.ok(partial > 0, 'soft_edge produced partial alpha');
  assert.equal(farChanged, 0, 'alpha far from the outline equals the binary mask');
  await expectError(await fetch(`${base}/v1/segment?soft_edge=maybe`, { method: 'POST', body: form(luffy) }), 400, 'BAD_OPTION', /soft_edge/);
});

test('select=, crop, only_mask, bg_color and webp do what they say', async () => {
  const j = await segmentJson(luffy);
  const { width: w, height: h } = j;
  const inst0 = j.instances[0]!;
  const m0 = unionOfRles([inst0.rle], w, h);
  // Hand computation: the bounding box of instance 0's mask pixels.
  let x1 = w, y1 = h, x2 = -1, y2 = -1;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (m0[y * w + x]) { x1 = Math.min(x1, x); x2 = Math.max(x2, x); y1 = Math.min(y1, y); y2 = Math.max(y2, y); }

  // only_mask + select=0 + crop → a gray image of the box, 255 exactly on the mask.
  let r = await fetch(`${base}/v1/segment?select=0&only_mask=true&crop=1`, { method: 'POST', body: form(luffy) });
  assert.equal(r.status, 200);
  const maskPng = Buffer.from(await r.arrayBuffer());
  assert.equal((await sharp(maskPng).metadata()).channels, 1, 'a single-channel PNG');
  // sharp widens gray to RGB on raw output; channel 0 is the gray value.
  const mask = await sharp(maskPng).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.equal(mask.info.width, x2 - x1 + 1);
  assert.equal(mask.info.height, y2 - y1 + 1);
  let bad = 0;
  for (let y = 0; y < mask.info.height; y++) {
    for (let x = 0; x < mask.info.width; x++) {
      const want = m0[(y + y1) * w + x + x1] ? 255 : 0;
      if (mask.data[y * mask.info.width + x] !== want) bad++;
    }
  }
  assert.equal(bad, 0);

  // bg_color: an opaque RGB image; outside the masks exactly the colour, inside the original pixels.
  r = await fetch(`${base}/v1/segment?bg_color=%2300ff00`, { method: 'POST', body: form(luffy) });
  const flatPng = Buffer.from(await r.arrayBuffer());
  assert.equal((await sharp(flatPng).metadata()).hasAlpha, false);
  const flat = await sharp(flatPng).raw().toBuffer({ resolveWithObject: true });
  const cn = flat.info.channels;
  const orig = await sharp(luffy).removeAlpha().raw().toBuffer();
  const union = unionOfRles(j.instances.map((i) => i.rle), w, h);
  let outside = 0, wrongOutside = 0, wrongInside = 0;
  for (let p = 0; p < w * h; p++) {
    const px = [flat.data[p * cn], flat.data[p * cn + 1], flat.data[p * cn + 2]];
    if (!union[p]) {
      outside++;
      if (px[0] !== 0 || px[1] !== 255 || px[2] !== 0) wrongOutside++;
    } else if (px[0] !== orig[p * 3] || px[1] !== orig[p * 3 + 1] || px[2] !== orig[p * 3 + 2]) wrongInside++;
  }
  assert.ok(outside > 0);
  assert.equal(wrongOutside, 0);
  assert.equal(wrongInside, 0);

  // format=webp as a form field.
  r = await fetch(`${base}/v1/segment`, { method: 'POST', body: form(luffy, { format: 'webp' }) });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'image/webp');
  const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
  assert.equal(meta.format, 'webp');
  assert.equal(meta.hasAlpha, true);
  assert.equal(meta.width, w);
});

test('refinement per request: regions runs on the shared model; SAM modes without SAM weights say why', async () => {
  const j = await segmentJson(luffy, '&refine=regions');
  assert.equal(j.settings.refine, 'regions');
  assert.ok(j.instances.length >= 1);
  assert.ok(j.timings_ms.refine! > 0, 'a refine stage ran');
  const refiners = await (await fetch(`${base}/v1/refiners`)).json();
  const vote = refiners.refiners.find((r: { name: string }) => r.name === 'vote');
  // ../shared/models holds no SAM weights (its README), so vote is unavailable, with a reason.
  assert.equal(vote.available, false);
  assert.match(vote.reason, /Segment Anything/);
  await expectError(await fetch(`${base}/v1/segment?refine=vote`, { method: 'POST', body: form(luffy) }), 400, 'BAD_OPTION', /vote.*unavailable/);
});

test('max_det caps the number of instances (the first ones by score are kept)', async () => {
  const all = await segmentJson(eren, '&classes=all');
  assert.ok(all.instances.length >= 2);
  const one = await segmentJson(eren, '&classes=all&max_det=1');
  assert.equal(one.instances.length, 1);
  assert.deepEqual(one.instances[0]!.box, all.instances[0]!.box);
  assert.equal(one.settings.max_det, 1);
});

test('raw body upload (image/jpeg and application/octet-stream) works like multipart', async () => {
  const viaForm = await segmentJson(eren);
  for (const type of ['image/jpeg', 'application/octet-stream']) {
    const r = await fetch(`${base}/v1/segment?format=json`, { method: 'POST', body: eren, headers: { 'content-type': type } });
    assert.equal(r.status, 200);
    const j = await r.json();
    assert.deepEqual(j.instances.map((i: { box: number[] }) => i.box), viaForm.instances.map((i) => i.box));
  }
});

test('bad input: not an image, truncated, empty, huge dimensions → 4xx JSON, server stays up', async () => {
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: form(Buffer.from('hello, I am not an image\n'.repeat(20)), {}, 'x.png') }), 400, 'BAD_INPUT');
  // The first 40 % of a JPEG: the header reads, the pixels do not.
  const cut = eren.subarray(0, Math.floor(eren.length * 0.4));
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: form(cut) }), 400, 'BAD_INPUT');
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: new Uint8Array(0), headers: { 'content-type': 'image/png' } }), 400, 'BAD_INPUT');
  // A hand-built PNG whose IHDR claims 3000x3000 (9 Mpx > the 2 Mpx limit): refused from the header alone.
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: new Uint8Array(pngWithSize(3000, 3000)), headers: { 'content-type': 'image/png' } }), 413, 'TOO_LARGE', /3000x3000/);
  const h = await (await fetch(`${base}/healthz`)).json();
  assert.equal(h.status, 'ok');
});

test('upload over the byte limit → 413 (raw and multipart)', async () => {
  const big = new Uint8Array(LIMITS.maxUploadBytes + 10_000).fill(7);
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: big, headers: { 'content-type': 'image/png' } }), 413, 'TOO_LARGE');
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: form(big) }), 413, 'TOO_LARGE');
});

test('wrong content types → 415', async () => {
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: JSON.stringify({ image: 'x' }), headers: { 'content-type': 'application/json' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: '<x/>', headers: { 'content-type': 'application/xml' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
});

test('unknown or bad options → 400 BAD_OPTION naming the option', async () => {
  const post = (q: string) => fetch(`${base}/v1/segment?${q}`, { method: 'POST', body: form(luffy) });
  await expectError(await post('colour=red'), 400, 'BAD_OPTION', /colour/);
  await expectError(await post('conf=1.5'), 400, 'BAD_OPTION', /conf/);
  await expectError(await post('format=gif'), 400, 'BAD_OPTION', /format/);
  await expectError(await post('refine=magic'), 400, 'BAD_OPTION', /refine/);
  await expectError(await post('bg_color=bluish'), 400, 'BAD_OPTION', /bg_color/);
  await expectError(await post('classes=unicorn'), 400, 'BAD_OPTION', /unicorn/);
  await expectError(await post('select=99'), 400, 'BAD_OPTION', /instance/);
  // Renamed (issue 10): the CLI's --instances writes one file per character; the server's pick is select=.
  await expectError(await post('instances=0'), 400, 'BAD_OPTION', /renamed to 'select'/);
  await expectError(await post('crop=maybe'), 400, 'BAD_OPTION', /crop/);
  // The same check applies to multipart fields.
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: form(luffy, { sharpen: '1' }) }), 400, 'BAD_OPTION', /sharpen/);
  // Malformed multipart bodies are the client's fault: 400, not 500.
  const cutPart = Buffer.concat([Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'), eren.subarray(0, 5000)]);
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: cutPart, headers: { 'content-type': 'multipart/form-data; boundary=XYZ' } }), 400, 'BAD_INPUT', /multipart/);
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: 'garbage', headers: { 'content-type': 'multipart/form-data' } }), 400, 'BAD_INPUT', /multipart/);
  const noFile = new FormData();
  noFile.append('format', 'json');
  await expectError(await fetch(`${base}/v1/segment`, { method: 'POST', body: noFile }), 400, 'BAD_INPUT', /no file/);
});

test('unknown routes → 404 JSON', async () => {
  await expectError(await fetch(`${base}/v2/segment`, { method: 'POST' }), 404, 'NOT_FOUND');
  await expectError(await fetch(`${base}/no/such/file.js`), 404, 'NOT_FOUND');
});

test('/openapi.json documents exactly the routes the server answers; /docs renders it without a CDN', async () => {
  const doc = await (await fetch(`${base}/openapi.json`)).json();
  assert.equal(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  for (const route of documented) {
    const [method, url] = route.split(' ') as [string, string];
    assert.ok(server.app.hasRoute({ method: method as 'GET', url }), `${route} is served`);
  }
  // Every API route (not the page's static files) is documented.
  for (const route of ['POST /v1/segment', 'GET /v1/models', 'GET /v1/refiners', 'GET /healthz', 'GET /openapi.json', 'GET /docs']) {
    assert.ok(documented.includes(route), `${route} documented`);
  }
  // Every segment option the server accepts is a documented parameter (and no others).
  const { SEGMENT_OPTION_NAMES } = await import('../../src/server/request-options.js');
  const params = doc.paths['/v1/segment'].post.parameters.map((p: { name: string }) => p.name).sort();
  assert.deepEqual(params, [...SEGMENT_OPTION_NAMES].sort());
  const html = await (await fetch(`${base}/docs`)).text();
  assert.match(html, /openapi\.json/);
  assert.doesNotMatch(html, /(src|href)="https?:/);
});

test('the page, its script and the in-browser files are served', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /text\/html/);
  assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.match(await page.text(), /app\.js/);
  // Revalidation: the same ETag back gives 304 with no body.
  const etag = page.headers.get('etag')!;
  assert.ok(etag);
  const again = await fetch(`${base}/`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  const wasm = await fetch(`${base}/ort/ort-wasm-simd-threaded.wasm`, { method: 'HEAD' });
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  const model = await fetch(`${base}/models/active.onnx`);
  assert.equal(model.status, 200);
  // The served model is byte-identical to the shared file.
  assert.deepEqual(Buffer.from(await model.arrayBuffer()), readFileSync(join(SHARED, 'models/yolov8n-seg_int8.onnx')));
  // Traversal attempts never leave the fixed file table.
  assert.equal((await fetch(`${base}/..%2Fpackage.json`)).status, 404);
  assert.equal((await fetch(`${base}/ort/..%2F..%2Fpackage.json`)).status, 404);
});
