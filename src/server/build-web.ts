/**
 * Builds the in-browser inference bundle web/dist/animeseg-browser.js from src/browser/index.ts (and the pure
 * TypeScript YOLO code it imports) with esbuild. `animeseg serve` calls ensureWebBundle() so a checkout
 * works without a separate step; `npm run build:web` (node --import tsx src/server/build-web.ts) builds it
 * ahead of time for packages, where esbuild (a dev dependency) may be absent.
 */
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './static-files.js';

export const BUNDLE_NAME = 'animeseg-browser.js';

export function bundlePath(): string {
  return join(projectRoot(), 'web', 'dist', BUNDLE_NAME);
}

/** Newest mtime of the .ts files the bundle is made from (0 when the sources are not shipped). */
function newestSource(root: string): number {
  let newest = 0;
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.ts') && st.mtimeMs > newest) newest = st.mtimeMs;
    }
  };
  // What the bundle imports: the browser entry, the predictor core with its ONNX reader, the pure refiners.
  for (const d of ['src/browser', 'src/models/yolo', 'src/models/onnx', 'src/image', 'src/mask', 'src/refine', 'src/pipeline']) walk(join(root, d));
  return newest;
}

/** Build the bundle into `outFile` (default web/dist/animeseg-browser.js). */
export async function buildWebBundle(outFile?: string): Promise<string> {
  const root = projectRoot();
  const esbuild = await import('esbuild');
  const out = outFile ?? bundlePath();
  await esbuild.build({
    entryPoints: [join(root, 'src', 'browser', 'index.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: true,
    // onnxruntime-web is loaded from /ort/ at run time (only its types are imported here).
    external: ['onnxruntime-web'],
    // Modules imported lazily are the SAM refiners' (refine/refiners/*.ts): the page never creates a refiner
    // whose descriptor says it does not run in the browser, so they stay out of the bundle.
    plugins: [{ name: 'lazy-imports-stay-out', setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined)) }],
    logLevel: 'silent',
    legalComments: 'none',
  });
  return out;
}

export type BundleState = { ok: true; path: string; built: boolean } | { ok: false; reason: string };

/** Build the bundle when it is missing or older than its sources; never throws (in-browser mode is optional). */
export async function ensureWebBundle(): Promise<BundleState> {
  const out = bundlePath();
  const src = newestSource(projectRoot());
  const have = existsSync(out) ? statSync(out).mtimeMs : 0;
  if (have > 0 && (src === 0 || have >= src)) return { ok: true, path: out, built: false };
  if (src === 0) return { ok: false, reason: 'the in-browser bundle is missing and the sources to build it are not installed' };
  try {
    await buildWebBundle();
    return { ok: true, path: out, built: true };
  } catch (e) {
    return { ok: false, reason: `building the in-browser bundle failed: ${(e as Error).message}` };
  }
}

// `node --import tsx src/server/build-web.ts` builds it and says where.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildWebBundle().then(
    (p) => console.log(`built ${p}`),
    (e) => {
      console.error(`build-web: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
