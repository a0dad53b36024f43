/**
 * What HTTP clients see of the server itself (issue 21 items 9 and 12), against a real server on 127.0.0.1:
 * - a request without Host gets the project's JSON error (400, RFC 9112 section 3.2) with the security
 *   headers, not Node's empty 400;
 * - no absolute server path (model folders, the cache, the working folder) reaches a client through
 *   GET /v1/refiners or the 400 of an unavailable refiner. The paths looked for are the ones this test set
 *   up itself (helpers.isolateEnv) and the working folder.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { hideServerPaths } from '../../src/server/public-text.js';
import { IMAGES, MODEL_NAME, isolateEnv, raw } from './helpers.js';

isolateEnv();
const image = readFileSync(join(IMAGES, 'luffy_1.jpg'));
let server: AnimesegServer;
let base: string;
let port: number;

before(async () => {
  server = await createServer({ engine: await createPipelineEngine({ model: MODEL_NAME }), web: false });
  base = await server.listen(0);
  port = Number(new URL(base).port);
});
after(async () => {
  await server?.close();
});

/** Server-side folders this process knows; none may appear in what a client receives. */
function serverPaths(): string[] {
  return [process.env.ANIMESEG_MODELS!, process.env.ANIMESEG_CACHE!, process.env.ANIMESEG_CONFIG_DIR!, resolve('.'), resolve('..'), tmpdir()].filter((p) => p && p !== '/');
}

function assertNoServerPath(text: string, where: string): void {
  for (const p of serverPaths()) assert.ok(!text.includes(p), `${where} shows the server path ${p}: ${text.slice(0, 400)}`);
}

test('a request without Host: 400 in the JSON error shape, with the security headers', async () => {
  for (const head of ['GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', `POST /v1/segment HTTP/1.1\r\nContent-Type: image/jpeg\r\nContent-Length: ${image.length}\r\nConnection: close\r\n\r\n`]) {
    const r = await raw(port, head, { waitMs: 5000 });
    assert.equal(r.status, 400, `${head.split('\r\n')[0]}: ${r.body}`);
    const j = JSON.parse(r.body);
    assert.deepEqual(Object.keys(j), ['error']);
    assert.equal(j.error.code, 'BAD_INPUT');
    assert.match(j.error.message, /Host/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.match(r.headers['content-security-policy'] ?? '', /default-src 'none'/);
  }
  // HTTP/1.0 has no Host header: still answered.
  const old = await raw(port, 'GET /healthz HTTP/1.0\r\n\r\n', { waitMs: 5000 });
  assert.equal(old.status, 200, old.body);
});

test('GET /v1/refiners and an unavailable refiner name no server folder (the reason stays readable)', async () => {
  const list = await (await fetch(`${base}/v1/refiners`)).text();
  assertNoServerPath(list, '/v1/refiners');
  const unavailable = (JSON.parse(list).refiners as { name: string; available: boolean; reason?: string }[]).filter((r) => !r.available);
  // ../shared/models holds no SAM model, so the SAM refiners are unavailable and say why.
  assert.ok(unavailable.length > 0, list);
  for (const r of unavailable) assert.match(r.reason ?? '', /\S{10}/, r.name);
  for (const refine of unavailable.map((r) => r.name)) {
    const r = await fetch(`${base}/v1/segment?refine=${refine}`, { method: 'POST', body: image, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(r.status, 400);
    const body = await r.text();
    assert.equal(JSON.parse(body).error.code, 'BAD_OPTION');
    assertNoServerPath(body, `refine=${refine}`);
  }
});

test('hideServerPaths: absolute paths become …/NAME; URL paths and plain words stay', () => {
  // Inputs written by hand; the expected strings are what a reader should see.
  const models = join(process.env.ANIMESEG_MODELS!);
  assert.equal(hideServerPaths(`searched: ${models} ($ANIMESEG_MODELS), ${join(tmpdir(), 'c', 'models')} (cache)`), 'searched: …/models ($ANIMESEG_MODELS), …/models (cache)');
  assert.equal(hideServerPaths(`${join(tmpdir(), 'q', 'uploads', 'abc')}: cannot decode image`), '…/abc: cannot decode image');
  assert.equal(hideServerPaths('poll GET /v1/jobs/img-1 until it is done'), 'poll GET /v1/jobs/img-1 until it is done');
  assert.equal(hideServerPaths('see http://127.0.0.1:7860/tmp/x'), 'see http://127.0.0.1:7860/tmp/x');
  assert.equal(hideServerPaths('C:\\Users\\me\\m.onnx is missing'), '…/m.onnx is missing');
});
