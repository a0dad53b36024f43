/**
 * Load script for `animeseg serve` (not a test): starts the server as its own process on 127.0.0.1,
 * measures the same work done in-process (baseline: the library's segmenter + cutout encoding, no HTTP),
 * then sends N requests with C clients and prints p50/p95 latency, throughput, and the server process's
 * RSS before and after (read from /proc: must not grow by more than 50 MB once warm), sampled every
 * 100 requests. Then a burst of --burst parallel uploads at once (default 50) against the server's queue
 * (--queue, default 16): how many are accepted, how many refused with 503 BUSY (+ Retry-After, answered
 * before the body is read), and the latency of each group.
 *
 *   npx tsx bench/load.ts [--requests 1000] [--clients 4] [--server-concurrency 1] [--queue 16] [--burst 50] [--image PATH] [--format png|json]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Progress } from '../src/util/progress.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    queue: { type: 'string', default: '16' },
    burst: { type: 'string', default: '50' },
    clients: { type: 'string', default: '4' },
    'server-concurrency': { type: 'string', default: '1' },
    image: { type: 'string', default: resolve('../shared/data/illustrations/images/eren_1.jpg') },
    format: { type: 'string', default: 'png' },
    warmup: { type: 'string', default: '40' },
  },
});
const N = Number(values.requests);
const CLIENTS = Number(values.clients);
const WARMUP = Number(values.warmup);
const body = readFileSync(values.image!);
process.env.ANIMESEG_MODELS ??= resolve('../shared/models');

function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 50);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function startServer(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join('bin', 'animeseg.js'), 'serve', '--port', '0', '--quiet', '--concurrency', values['server-concurrency']!, '--queue', values.queue!], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((res, rej) => {
    child.stderr!.on('data', (d: Buffer) => {
      log += d;
      const m = /serving .* at (http:\/\/\S+)/.exec(log);
      if (m) res(m[1]!);
    });
    child.on('exit', (c) => rej(new Error(`server exited ${c}\n${log}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((res) => {
        child.on('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

async function request(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/segment?format=${values.format}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
  return performance.now() - t0;
}

async function run(url: string, n: number, clients: number, label?: string): Promise<{ lat: number[]; wallMs: number; errors: number }> {
  const progress = new Progress({ total: n, label: label ?? 'requests', unit: 'req', mode: label ? 'auto' : 'silent' });
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        next++;
        try {
          lat.push(await request(url));
          progress.tick();
        } catch {
          errors++;
          progress.tick(1, false);
        }
      }
    }),
  );
  progress.finish();
  return { lat, wallMs: performance.now() - t0, errors };
}

/**
 * Baseline: the same work in this process (library segmenter + cutout encoding, no HTTP), alternated call
 * by call with one HTTP request, so both see the same machine load (CI machines are shared and noisy).
 */
async function pairedBaseline(url: string, pairs: number): Promise<{ direct: number; http: number }> {
  const { createSegmenter } = await import('../src/pipeline/segmenter.js');
  const { combinedAlpha, cutout } = await import('../src/pipeline/outputs.js');
  const { encodeImage } = await import('../src/image/encode.js');
  const seg = await createSegmenter({ download: false });
  const direct: number[] = [];
  const http: number[] = [];
  for (let i = 0; i < pairs + 2; i++) {
    const t0 = performance.now();
    const r = await seg.segment(body);
    if (values.format !== 'json') await encodeImage(cutout(r.image, combinedAlpha(r.instances, r.width, r.height)), 'png');
    const d = performance.now() - t0;
    const h = await request(url);
    if (i >= 2) {
      direct.push(d);
      http.push(h);
    }
  }
  await seg.dispose();
  return { direct: median(direct), http: median(http) };
}

/** `n` uploads started at the same instant: status, latency and Retry-After of each. */
async function burst(url: string, n: number): Promise<{ status: number; ms: number; retryAfter: string | null }[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const t0 = performance.now();
      try {
        const r = await fetch(`${url}/v1/segment?format=${values.format}`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
        await r.arrayBuffer();
        return { status: r.status, ms: performance.now() - t0, retryAfter: r.headers.get('retry-after') };
      } catch {
        return { status: 0, ms: performance.now() - t0, retryAfter: null };
      }
    }),
  );
}

function latencyLine(xs: number[]): string {
  if (xs.length === 0) return 'none';
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(1)} ms  p95 ${pct(s, 95).toFixed(1)} ms  max ${s[s.length - 1]!.toFixed(1)} ms`;
}

const server = await startServer();
try {
  await run(server.url, WARMUP, CLIENTS);
  const base = await pairedBaseline(server.url, 15);
  const rssBefore = rssMb(server.pid);
  const series = [rssBefore];
  const lat: number[] = [];
  let errors = 0;
  let wallMs = 0;
  for (let done = 0; done < N; done += 100) {
    const r = await run(server.url, Math.min(100, N - done), CLIENTS);
    lat.push(...r.lat);
    errors += r.errors;
    wallMs += r.wallMs;
    series.push(rssMb(server.pid));
    process.stderr.write(`load ${Math.min(N, done + 100)}/${N}  RSS ${series[series.length - 1]!.toFixed(1)} MB\n`);
  }
  const rssAfter = series[series.length - 1]!;
  const sorted = [...lat].sort((a, b) => a - b);
  console.log(`image ${values.image} (${body.length} B), format ${values.format}, ${N} requests, ${CLIENTS} clients, server concurrency ${values['server-concurrency']}`);
  console.log(`baseline in-process (segment + encode, no HTTP): median ${base.direct.toFixed(1)} ms; same work over HTTP, one client: median ${base.http.toFixed(1)} ms → ratio ${(base.http / base.direct).toFixed(2)}x`);
  console.log(`${CLIENTS} clients: p50 ${pct(sorted, 50).toFixed(1)} ms  p95 ${pct(sorted, 95).toFixed(1)} ms  max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
  console.log(`throughput ${((lat.length / wallMs) * 1000).toFixed(2)} req/s (${lat.length} ok, ${errors} failed, ${(wallMs / 1000).toFixed(1)} s)`);
  const growth = rssAfter - rssBefore;
  console.log(`server RSS (warm) before ${rssBefore.toFixed(1)} MB, after ${rssAfter.toFixed(1)} MB, growth ${growth.toFixed(1)} MB (limit 50 MB: ${growth <= 50 ? 'ok' : 'EXCEEDED'})`);
  console.log(`RSS every 100 requests (MB): ${series.map((x) => x.toFixed(0)).join(' ')}; max ${Math.max(...series).toFixed(1)}`);

  const B = Number(values.burst);
  const rssBurst0 = rssMb(server.pid);
  const res = await burst(server.url, B);
  const ok = res.filter((r) => r.status === 200);
  const busy = res.filter((r) => r.status === 503);
  const other = res.filter((r) => r.status !== 200 && r.status !== 503);
  console.log(`burst of ${B} parallel uploads (server concurrency ${values['server-concurrency']}, queue ${values.queue}): ${ok.length} accepted (200), ${busy.length} refused 503 (${busy.filter((r) => r.retryAfter !== null).length} with Retry-After), ${other.length} other${other.length ? ` (${other.map((r) => r.status).join(',')})` : ''}`);
  console.log(`  accepted: ${latencyLine(ok.map((r) => r.ms))}`);
  console.log(`  refused:  ${latencyLine(busy.map((r) => r.ms))}`);
  console.log(`  server RSS before the burst ${rssBurst0.toFixed(1)} MB, after ${rssMb(server.pid).toFixed(1)} MB`);
} finally {
  await server.stop();
}
