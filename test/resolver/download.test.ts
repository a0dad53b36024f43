/**
 * Downloader against a local HTTP server: good file, wrong checksum, truncated transfer, 404, redirects,
 * size mismatch. Expected digests come from node:crypto over the bytes the server sends (test/resolver/helpers.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { downloadFile, type DownloadProgress } from '../../src/models/resolver/download.js';
import { AnimesegError } from '../../src/errors.js';
import { startServer, type TestServer } from './helpers.js';

// These tests download on purpose, from 127.0.0.1 only; the test runner sets ANIMESEG_OFFLINE=1 for
// everything else (offline.test.ts checks that it is honoured).
process.env.ANIMESEG_OFFLINE = '';

let srv: TestServer;
let dir: string;

before(async () => {
  srv = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'animeseg-dl-'));
});
after(async () => {
  await srv.close();
  await rm(dir, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const d = join(dir, name);
  await rm(d, { recursive: true, force: true });
  return d;
}

function assertDownloadFailed(e: unknown, ...mustMention: string[]): true {
  assert.ok(e instanceof AnimesegError, `expected AnimesegError, got ${String(e)}`);
  assert.equal(e.code, 'DOWNLOAD_FAILED');
  for (const s of mustMention) assert.ok(e.message.includes(s), `message should mention '${s}': ${e.message}`);
  assert.ok(e.hint && e.hint.length > 0, 'a hint says what to do');
  return true;
}

test('good file: progress events, checksums verified, file lands with exact bytes and no temp files', async () => {
  const d = await freshDir('good');
  const dest = join(d, 'model.onnx');
  const events: DownloadProgress[] = [];
  const r = await downloadFile({
    url: `${srv.base}/good`,
    dest,
    sha256: srv.sha256,
    md5: srv.md5,
    size: srv.payload.length,
    onProgress: (p) => events.push({ ...p }),
    progress: 'silent',
  });
  assert.equal(r.bytes, srv.payload.length);
  assert.equal(r.sha256, srv.sha256);
  assert.ok((await readFile(dest)).equals(srv.payload));
  // 200 kB sent in 16 kB chunks: several events, increasing, ending at the total.
  assert.ok(events.length >= 3, `got ${events.length} progress events`);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].received > events[i - 1].received);
  assert.equal(events.at(-1)!.received, srv.payload.length);
  assert.equal(events.at(-1)!.total, srv.payload.length);
  assert.deepEqual(await readdir(d), ['model.onnx']);
});

test('wrong sha256: clear error with expected and actual digests, nothing left behind', async () => {
  const d = await freshDir('badsum');
  const wrong = '0'.repeat(64);
  await assert.rejects(
    downloadFile({ url: `${srv.base}/good`, dest: join(d, 'm.onnx'), sha256: wrong, progress: 'silent' }),
    (e) => assertDownloadFailed(e, 'sha256 mismatch', wrong, srv.sha256, `${srv.base}/good`),
  );
  assert.deepEqual(await readdir(d), []);
});

test('wrong md5 is caught the same way', async () => {
  const d = await freshDir('badmd5');
  await assert.rejects(
    downloadFile({ url: `${srv.base}/good`, dest: join(d, 'm.onnx'), md5: 'f'.repeat(32), progress: 'silent' }),
    (e) => assertDownloadFailed(e, 'md5 mismatch', srv.md5),
  );
  assert.deepEqual(await readdir(d), []);
});

test('a failed download never replaces an existing good copy', async () => {
  const d = await freshDir('keep');
  const dest = join(d, 'm.onnx');
  await downloadFile({ url: `${srv.base}/good`, dest, sha256: srv.sha256, progress: 'silent' });
  await assert.rejects(downloadFile({ url: `${srv.base}/truncated`, dest, sha256: srv.sha256, progress: 'silent' }));
  assert.ok((await readFile(dest)).equals(srv.payload));
  assert.deepEqual(await readdir(d), ['m.onnx']);
});

test('truncated transfer (Content-Length declared, connection closed half-way) is detected', async () => {
  const d = await freshDir('trunc');
  await assert.rejects(
    // No checksum given on purpose: the byte count alone must catch it.
    downloadFile({ url: `${srv.base}/truncated`, dest: join(d, 'm.onnx'), progress: 'silent' }),
    // The server sends exactly half of the 200000 bytes it announced.
    (e) => assertDownloadFailed(e, `${srv.base}/truncated`, '100000', '200000'),
  );
  assert.deepEqual(await readdir(d), []);
});

test('404 names the status and the URL', async () => {
  const d = await freshDir('404');
  await assert.rejects(
    downloadFile({ url: `${srv.base}/missing.onnx`, dest: join(d, 'm.onnx'), progress: 'silent' }),
    (e) => assertDownloadFailed(e, 'HTTP 404', `${srv.base}/missing.onnx`),
  );
  assert.deepEqual(await readdir(d).catch(() => []), []);
});

test('redirects (302 then 301) are followed', async () => {
  const d = await freshDir('redir');
  const dest = join(d, 'm.onnx');
  await downloadFile({ url: `${srv.base}/redirect`, dest, sha256: srv.sha256, progress: 'silent' });
  assert.ok((await readFile(dest)).equals(srv.payload));
  assert.equal(srv.hits.get('/good-after-redirect'), 1);
});

test('manifest size disagreeing with the server is refused before the transfer', async () => {
  const d = await freshDir('size');
  await assert.rejects(
    downloadFile({ url: `${srv.base}/good`, dest: join(d, 'm.onnx'), size: srv.payload.length + 1, progress: 'silent' }),
    (e) => assertDownloadFailed(e, String(srv.payload.length + 1), String(srv.payload.length)),
  );
  assert.deepEqual(await readdir(d), []);
});

test('connection refused gives DOWNLOAD_FAILED, not a stack trace', async () => {
  const d = await freshDir('refused');
  // A port that was just listened on and closed again: nothing answers there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await assert.rejects(
    downloadFile({ url: `http://127.0.0.1:${port}/x.onnx`, dest: join(d, 'm.onnx'), progress: 'silent' }),
    (e) => assertDownloadFailed(e, `127.0.0.1:${port}`, 'could not connect'),
  );
});

test('plain progress lines are printed when a total is known', async () => {
  const d = await freshDir('bar');
  const lines: string[] = [];
  const fakeStream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  // Progress writes to stderr by default; swap it for the duration of this call only.
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => fakeStream.write(s)) as typeof process.stderr.write;
  try {
    await downloadFile({ url: `${srv.base}/good`, dest: join(d, 'm.onnx'), sha256: srv.sha256, progress: 'plain', label: 'test-model' });
  } finally {
    process.stderr.write = orig;
  }
  const text = lines.join('');
  assert.match(text, /test-model 100% 196\/196 KiB/); // ceil(200000 / 1024) = 196
});

// Issue 21 item 10: a download whose size is not published had no limit (541 MB seen); an interrupted
// one left .animeseg-tmp-* files in the cache that nothing removed.
test('no published size: maxBytes stops a stream that goes on (and refuses an announced size over it up front)', async () => {
  const d = await freshDir('cap');
  await assert.rejects(
    downloadFile({ url: `${srv.base}/endless`, dest: join(d, 'm.onnx'), maxBytes: 1_000_000, progress: 'silent' }),
    (e) => assertDownloadFailed(e, 'more than 1000000 bytes arrived', 'over the limit of 1000000 bytes'),
  );
  assert.deepEqual(await readdir(d), [], 'no temp file left');
  // The server was stopped well before its 256 MiB (it runs ahead of the client by socket buffers only).
  assert.ok((srv.sent.get('/endless') ?? 0) < 64 << 20, `server sent ${srv.sent.get('/endless')} bytes`);
  await assert.rejects(
    downloadFile({ url: `${srv.base}/huge`, dest: join(d, 'm.onnx'), maxBytes: 1_000_000, progress: 'silent' }),
    (e) => assertDownloadFailed(e, `the server announces ${2 ** 31} bytes`, 'over the limit of 1000000 bytes'),
  );
  assert.deepEqual(await readdir(d), []);
});

test("a download start removes abandoned temp files of earlier downloads in its folder, not a live one's", async () => {
  const d = await freshDir('abandoned');
  await mkdir(d, { recursive: true });
  const abandoned = join(d, '.animeseg-tmp-0123456789ab-m.onnx');
  const live = join(d, '.animeseg-tmp-ba9876543210-other.onnx');
  await writeFile(abandoned, 'half a model');
  await writeFile(live, 'being written by another process');
  const hourAgo = new Date(Date.now() - 3600_000);
  await utimes(abandoned, hourAgo, hourAgo);
  await downloadFile({ url: `${srv.base}/good`, dest: join(d, 'm.onnx'), sha256: srv.sha256, progress: 'silent' });
  assert.deepEqual((await readdir(d)).sort(), ['.animeseg-tmp-ba9876543210-other.onnx', 'm.onnx']);
});
