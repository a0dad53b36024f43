/**
 * `animeseg serve` as a process: it starts on port 0, answers, and on SIGTERM finishes the requests in
 * flight (one running, one queued with --concurrency 1) before exiting 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES, isolateEnv } from './helpers.js';

isolateEnv();

test('SIGTERM: requests in flight complete, then the process exits 0', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['bin/animeseg.js', 'serve', '--port', '0', '--concurrency', '1', '--queue', '4'], { env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await sigtermFinishesInFlight(child);
  } finally {
    // A failed assertion must not leave the server running (it would hold this file, and npm test, open).
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  }
});

async function sigtermFinishesInFlight(child: ChildProcess): Promise<void> {
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line:\n${log}`)), 40_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /serving .* at (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${log}`)));
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const body = readFileSync(join(IMAGES, 'eren_1.jpg'));
  const send = () => fetch(`${url}/v1/segment?format=json`, { method: 'POST', body, headers: { 'content-type': 'image/jpeg' } });
  // Three at once with one worker: when the first answer arrives the other two are running / queued.
  const reqs = [send(), send(), send()];
  const first = await Promise.race(reqs);
  assert.equal(first.status, 200);
  child.kill('SIGTERM');
  const all = await Promise.all(reqs);
  for (const r of all) assert.equal(r.status, 200, `status ${r.status}`);
  const j = await all[2]!.json();
  assert.equal(j.width, 1024); // eren_1.jpg is 1024x720
  assert.equal(await exited, 0, log);
  // The server itself counted the work it still had when the signal came (running + queued).
  assert.match(log, /SIGTERM: finishing [12] request/);
  assert.match(log, /stopped/);
}
