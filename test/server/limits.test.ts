/**
 * Queue limit (503 + Retry-After), request timeout, and graceful shutdown finishing a request in flight,
 * against real servers on 127.0.0.1. The real engine is wrapped in a gate (helpers.gatedEngine) so the
 * test decides when segmentation may proceed; the work itself is the real model's.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { IMAGES, MODEL_NAME, gatedEngine, isolateEnv } from './helpers.js';

isolateEnv();
const image = readFileSync(join(IMAGES, 'luffy_1.jpg'));

function post(base: string, query = '') {
  return fetch(`${base}/v1/segment${query}`, { method: 'POST', body: image, headers: { 'content-type': 'image/jpeg' } });
}

async function waitFor(cond: () => Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(() => {
  // One model load per server below; nothing shared across tests so each close() can dispose.
});

test('a full queue answers 503 BUSY with Retry-After; queued requests still complete', async () => {
  const gate = gatedEngine(await createPipelineEngine({ model: MODEL_NAME }));
  const server = await createServer({ engine: gate.engine, limits: { concurrency: 1, queue: 1, timeoutMs: 30_000 } });
  const base = await server.listen(0);
  try {
    const a = post(base); // runs (held at the gate)
    await gate.untilStarted(1);
    const b = post(base); // waits in the queue
    await waitFor(async () => (await (await fetch(`${base}/healthz`)).json()).queue.queued === 1, 'one queued request');
    const c = await post(base); // no room
    assert.equal(c.status, 503);
    const retry = c.headers.get('retry-after');
    assert.ok(retry !== null && /^\d+$/.test(retry) && Number(retry) >= 1, `Retry-After '${retry}'`);
    const body = await c.json();
    assert.equal(body.error.code, 'BUSY');
    gate.open();
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.status, 200);
    assert.equal(rb.status, 200);
    const health = await (await fetch(`${base}/healthz`)).json();
    assert.equal(health.queue.rejected, 1);
    assert.equal(health.queue.completed, 2);
  } finally {
    gate.open();
    await server.close();
  }
});

test('a request that takes longer than the timeout gets 503 TIMEOUT; the server stays up', async () => {
  const gate = gatedEngine(await createPipelineEngine({ model: MODEL_NAME }));
  const server = await createServer({ engine: gate.engine, limits: { concurrency: 1, queue: 2, timeoutMs: 300 } });
  const base = await server.listen(0);
  try {
    const t0 = Date.now();
    const r = await post(base);
    assert.equal(r.status, 503);
    assert.equal((await r.json()).error.code, 'TIMEOUT');
    assert.ok(r.headers.get('retry-after'));
    assert.ok(Date.now() - t0 >= 290, 'not before the deadline');
    gate.open();
    // The abandoned job finishes and frees its slot; the next request is served normally.
    await waitFor(async () => (await (await fetch(`${base}/healthz`)).json()).queue.running === 0, 'the slot to free');
    const again = await fetch(`${base}/v1/segment?format=json`, { method: 'POST', body: image, headers: { 'content-type': 'image/jpeg' } });
    assert.equal(again.status, 200);
  } finally {
    gate.open();
    await server.close();
  }
});

test('graceful shutdown: refuses new work, finishes the request in flight, then frees the model', async () => {
  const gate = gatedEngine(await createPipelineEngine({ model: MODEL_NAME }));
  const server = await createServer({ engine: gate.engine, limits: { concurrency: 1, queue: 4 } });
  const base = await server.listen(0);
  try {
    const inFlight = post(base);
    await gate.untilStarted(1);
    const closing = server.close();
    assert.equal(server.closing, true);
    // New connections are refused once the listener is closed (fetch fails) or answered 503.
    const late = await post(base).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.ok(late === 'refused' || late === 503, `late request: ${late}`);
    assert.equal(gate.disposed, false, 'model still loaded while a request is in flight');
    gate.open();
    const r = await inFlight;
    assert.equal(r.status, 200);
    const png = Buffer.from(await r.arrayBuffer());
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 810); // luffy_1.jpg is 810x606
    await closing;
    assert.equal(gate.disposed, true);
  } finally {
    // A failed assertion must not leave the server listening (it would hold this file open).
    gate.open();
    await server.close();
  }
});
