/**
 * Downloader overhead: time to fetch a file from a local HTTP server with `downloadFile` (stream to a temp
 * file, sha256 [+ md5], fsync, rename) against a baseline measured in the same run: the same fetch with the
 * body read and thrown away. The ratio is what verification and safe writing cost on top of the transfer.
 *   npx tsx bench/download.ts [MiB=64] [runs=5]
 */
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { downloadFile } from '../src/models/resolver/download.js';

const mib = Number(process.argv[2] ?? 64);
const runs = Number(process.argv[3] ?? 5);
const payload = randomBytes(mib * 1024 * 1024);
const sha256 = createHash('sha256').update(payload).digest('hex');
const md5 = createHash('md5').update(payload).digest('hex');

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-length': String(payload.length) });
  res.end(payload);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`;
const dir = await mkdtemp(join(tmpdir(), 'animeseg-bench-dl-'));

async function baseline(): Promise<number> {
  const t = performance.now();
  const res = await fetch(url);
  for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>) {
    /* discard */
  }
  return performance.now() - t;
}

async function verified(withMd5: boolean, i: number): Promise<number> {
  const t = performance.now();
  await downloadFile({ url, dest: join(dir, `m${i}.onnx`), sha256, md5: withMd5 ? md5 : undefined, size: payload.length, progress: 'silent' });
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const b: number[] = [];
const v: number[] = [];
const v2: number[] = [];
await baseline(); // warm-up
for (let i = 0; i < runs; i++) {
  b.push(await baseline());
  v.push(await verified(false, i));
  v2.push(await verified(true, i));
}
const rate = (ms: number) => ((mib / ms) * 1000).toFixed(0);
console.log(`payload ${mib} MiB, ${runs} runs, medians:`);
console.log(`  baseline fetch, body discarded        ${median(b).toFixed(1)} ms  ${rate(median(b))} MiB/s`);
console.log(`  downloadFile sha256 + size + fsync    ${median(v).toFixed(1)} ms  ${rate(median(v))} MiB/s  ratio ${(median(v) / median(b)).toFixed(2)}x`);
console.log(`  downloadFile sha256 + md5 + fsync     ${median(v2).toFixed(1)} ms  ${rate(median(v2))} MiB/s  ratio ${(median(v2) / median(b)).toFixed(2)}x`);
server.close();
await rm(dir, { recursive: true, force: true });
