/**
 * The server with no --model: the shipped anime model, its recommended conf applied where a request gives
 * none (and said so in the JSON and in /v1/models for the page's slider), and its file served to the page's
 * in-browser mode. Expected values: the model card (conf 0.3, one class 'character', 416 px, and its digest),
 * and tewi_1's two characters (examples/ATTRIBUTION.md, from the set's info): both at the model's conf 0.3, plus the
 * box over the whole scene that version 3 scores 0.49 (README, "where it fails"), which a request's conf 0.5 drops.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { isolateEnv } from './helpers.js';

isolateEnv();
// Nothing to find in a models folder: the default must come from the package itself.
delete process.env.ANIMESEG_MODELS;

let server: AnimesegServer;
let base: string;
const tewi = readFileSync('examples/tewi_1.jpg');

before(async () => {
  server = await createServer({ engine: await createPipelineEngine(), limits: { timeoutMs: 60_000 } });
  base = await server.listen(0, '127.0.0.1');
});
after(async () => {
  await server?.close();
});

async function post(query: string) {
  const f = new FormData();
  f.append('file', new Blob([new Uint8Array(tewi)]), 'tewi_1.jpg');
  const r = await fetch(`${base}/v1/segment?format=json${query}`, { method: 'POST', body: f });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as { model: string; settings: Record<string, unknown> & { from: Record<string, string> }; instances: unknown[] };
}

test('/v1/models: the active model is the shipped one, with its recommendation and the defaults a request gets', async () => {
  const m = (await (await fetch(`${base}/v1/models`)).json()) as { active: Record<string, unknown> & { detect_defaults: Record<string, unknown> & { from: Record<string, string> } } };
  assert.equal(m.active.name, 'animeseg-char-n416');
  assert.deepEqual(m.active.classes, ['character']);
  assert.deepEqual(m.active.imgsz, [416, 416]);
  assert.deepEqual(m.active.recommended, { conf: 0.3 });
  assert.equal(m.active.detect_defaults.conf, 0.3);
  assert.equal(m.active.detect_defaults.from.conf, 'model');
});

test('POST /v1/segment: conf 0.3 from the model unless the request gives one; the JSON says which', async () => {
  const j = await post('');
  assert.equal(j.model, 'animeseg-char-n416');
  assert.deepEqual([j.settings.conf, j.settings.from.conf, j.settings.classes], [0.3, 'model', 'all']);
  assert.equal(j.instances.length, 3);
  const given = await post('&conf=0.5');
  assert.deepEqual([given.settings.conf, given.settings.from.conf], [0.5, 'option']);
  assert.equal(given.instances.length, 2);
});

test("the page's in-browser mode is served the shipped model file", async () => {
  const r = await fetch(`${base}/models/active.onnx`);
  assert.equal(r.status, 200);
  const sha = createHash('sha256').update(Buffer.from(await r.arrayBuffer())).digest('hex');
  assert.equal(sha, 'ee387288d40803b9fa9fcc7a8c5d35f71b1976d84169d25438d8a79da760d958');
});
