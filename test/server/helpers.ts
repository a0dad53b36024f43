/** Shared set-up for the server tests: the real model from ../shared, a temp config dir, no downloads. */
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeRle } from '../../src/mask/rle.js';
import type { Rle } from '../../src/mask/types.js';
import type { SegmentEngine } from '../../src/server/segment-engine.js';

export const SHARED = resolve('../shared');
export const IMAGES = join(SHARED, 'data/illustrations/images');
export const MODEL_NAME = 'yolov8n-seg-int8';

/** Point the resolver at ../shared/models, keep the user's config out, never download. */
export function isolateEnv(): void {
  process.env.ANIMESEG_MODELS = join(SHARED, 'models');
  process.env.ANIMESEG_OFFLINE = '1';
  process.env.ANIMESEG_CONFIG_DIR = mkdtempSync(join(tmpdir(), 'animeseg-cfg-'));
  process.env.ANIMESEG_CACHE = mkdtempSync(join(tmpdir(), 'animeseg-cache-'));
}

/**
 * Wraps an engine so each segment() waits until the test calls release(): lets a test hold requests
 * "in flight" for queue-limit, timeout and shutdown checks while the real model does the work.
 */
export function gatedEngine(inner: SegmentEngine) {
  const waiting: (() => void)[] = [];
  const entered: (() => void)[] = [];
  let started = 0;
  let disposed = false;
  let opened = false;
  const engine: SegmentEngine = {
    info: inner.info,
    defaultRefine: inner.defaultRefine,
    refiners: () => inner.refiners(),
    probe: (b, m) => inner.probe(b, m),
    async segment(bytes, p, maxPixels) {
      started++;
      entered.splice(0).forEach((f) => f());
      if (!opened) await new Promise<void>((r) => waiting.push(r));
      return inner.segment(bytes, p, maxPixels);
    },
    async dispose() {
      disposed = true;
      await inner.dispose();
    },
  };
  return {
    engine,
    /** Let every held request go on, and every later one pass without waiting. */
    open: () => {
      opened = true;
      waiting.splice(0).forEach((f) => f());
    },
    get started() {
      return started;
    },
    get disposed() {
      return disposed;
    },
    /** Resolves once `n` segment() calls have started. */
    async untilStarted(n: number) {
      while (started < n) await new Promise<void>((r) => entered.push(r));
    },
  };
}

/** Union of instance RLEs as a row-major 0/1 array (decoded with the mask helper's decodeRle). */
export function unionOfRles(rles: Rle[], width: number, height: number): Uint8Array {
  const u = new Uint8Array(width * height);
  for (const r of rles) {
    const m = decodeRle(r);
    for (let i = 0; i < u.length; i++) if (m.data[i]) u[i] = 1;
  }
  return u;
}

export function boxIoU(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const ih = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = iw * ih;
  const ua = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return ua > 0 ? inter / ua : 0;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from the first byte written until the server closed the connection (or the answer was complete). */
  ms: number;
  closed: boolean;
}

/** Write `head` (then `chunks` one every `everyMs`) on a raw socket; resolve with the answer or the close. */
export function raw(p: number, head: string | Buffer, opts: { chunks?: string[]; everyMs?: number; waitMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(p, '127.0.0.1');
    let data = '';
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      const [h = '', ...rest] = data.split('\r\n\r\n');
      const lines = h.split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status, headers, body: rest.join('\r\n\r\n'), ms: Date.now() - t0, closed });
      s.destroy();
    };
    const guard = setTimeout(() => finish(false), opts.waitMs ?? 10_000);
    s.on('data', (d) => {
      data += d.toString('latin1');
      // A complete answer with Content-Length: stop there (keep-alive would leave the socket open).
      const m = /content-length: (\d+)/i.exec(data);
      const sep = data.indexOf('\r\n\r\n');
      if (m && sep >= 0 && data.length - sep - 4 >= Number(m[1])) {
        clearTimeout(guard);
        finish(false);
      }
    });
    s.on('close', () => {
      clearTimeout(guard);
      finish(true);
    });
    s.on('error', () => undefined);
    s.on('connect', () => {
      s.write(head);
      const chunks = [...(opts.chunks ?? [])];
      if (chunks.length) {
        timer = setInterval(() => {
          const c = chunks.shift();
          if (c === undefined) return clearInterval(timer);
          if (!s.destroyed) s.write(c);
        }, opts.everyMs ?? 100);
      }
    });
    s.on('timeout', () => reject(new Error('socket timeout')));
  });
}
