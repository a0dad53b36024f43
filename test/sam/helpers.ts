// Shared fixtures for the SAM tests: fake models in a temp folder, lattice-disc counting by brute force.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFakeSamPair, type FakeDecoderOptions, type FakeEncoderOptions } from '../../testing/sam/fake-sam.js';
import type { RawImage } from '../../src/image/types.js';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-sam-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function fakePair(dir: string, dec: FakeDecoderOptions = {}, enc: FakeEncoderOptions = {}) {
  return writeFakeSamPair(dir, dec, enc);
}

/** Number of integer pixels (x, y) of a w x h image with (x-cx)^2 + (y-cy)^2 < r^2, by enumeration. */
export function discArea(cx: number, cy: number, r: number, w: number, h: number): number {
  let n = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) n++;
  return n;
}

/** The disc as a row-major 0/1 mask. */
export function discMask(cx: number, cy: number, r: number, w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) m[y * w + x] = 1;
  return m;
}

export function grayImage(w: number, h: number, v = 128): RawImage {
  return { data: new Uint8Array(w * h * 3).fill(v), width: w, height: h, channels: 3 };
}
