/**
 * The synth composites the quality benchmarks score against (bench/quality.ts, bench/recall.ts): cut-outs
 * pasted on ../shared/data/ks/backgrounds with one fixed seed and parameter set, so both scripts see the same
 * kind of scene. Files that are not cut-outs (no alpha, or an empty one) are skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { composeImage } from '../src/data/synth/compose.js';
import { DEFAULT_PARAMS, type SynthParams } from '../src/data/synth/params.js';
import { loadBackground, loadForeground, type Background, type Foreground } from '../src/data/synth/sources.js';

export const SHARED = new URL('../../shared/', import.meta.url).pathname;

/** Files under root whose name matches re, recursively, sorted. */
export function listFiles(root: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root)) {
    const p = join(root, e);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, re));
    else if (re.test(e)) out.push(p);
  }
  return out.sort();
}

export type Composite = Awaited<ReturnType<typeof composeImage>>;

/** n composites (seed 12, up to 4 characters, scale 0.3-1.0, rotate 15, noise 8, jitter 0.8-1.2) of fgFiles. */
export async function benchComposites(fgFiles: string[], n: number): Promise<Composite[]> {
  const bgFiles = listFiles(join(SHARED, 'data/ks/backgrounds'), /\.jpg$/i);
  const fgs: Foreground[] = [];
  for (const f of fgFiles) {
    try {
      fgs.push(await loadForeground(f));
    } catch {
      // no alpha or an empty one: not a cut-out
    }
  }
  const bgs = new Map<number, Background>();
  const params: SynthParams = { ...DEFAULT_PARAMS, seed: 12, maxForegrounds: 4, scale: [0.3, 1.0], rotate: 15, noise: 8, jitter: [0.8, 1.2] };
  const sources = {
    fgCount: fgs.length,
    bgCount: bgFiles.length,
    foreground: async (i: number) => fgs[i],
    background: async (i: number) => {
      if (!bgs.has(i)) bgs.set(i, await loadBackground(bgFiles[i]));
      return bgs.get(i)!;
    },
  };
  const out: Composite[] = [];
  for (let k = 0; k < n; k++) out.push(await composeImage(params, k, sources));
  return out;
}
