/** Shared set-up for the server tests: the real model from ../shared, a temp config dir, no downloads. */
import { mkdtempSync } from 'node:fs';
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
