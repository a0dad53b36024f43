/**
 * Serving the page's files. @fastify/static is not a dependency, so this is a small hand-written server
 * for a FIXED set of files: the name→path table is built once at start-up from directory listings, and a
 * request can only ever hit a name in that table (no path joining with user input, so no traversal).
 */
import { readdirSync, statSync, existsSync, createReadStream } from 'node:fs';
import { join, extname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  // application/wasm is required for WebAssembly.instantiateStreaming.
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticFile {
  path: string;
  size: number;
  mtimeMs: number;
  contentType: string;
}

/** The project root (two levels above src/server or dist/server). */
export function projectRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function webDir(): string {
  return join(projectRoot(), 'web');
}

/** onnxruntime-web's dist folder (wasm binaries + the ESM builds the page imports). */
export function ortDistDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    // The package's "require" export is dist/ort.min.js; its folder holds the wasm files too.
    const main = require.resolve('onnxruntime-web');
    const dir = dirname(main);
    return existsSync(join(dir, 'ort-wasm-simd-threaded.wasm')) ? dir : null;
  } catch {
    return null;
  }
}

/** Walk `dir` (recursively, skipping dot files) into a table of url-path → file. */
export function tableFromDir(dir: string, urlPrefix: string, accept: (name: string) => boolean = () => true): Map<string, StaticFile> {
  const table = new Map<string, StaticFile>();
  if (!existsSync(dir)) return table;
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d)) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, `${prefix}${name}/`);
      else if (st.isFile() && accept(name)) table.set(`${prefix}${name}`, { path: p, size: st.size, mtimeMs: st.mtimeMs, contentType: contentTypeFor(name) });
    }
  };
  walk(dir, urlPrefix);
  return table;
}

export function fileEntry(path: string): StaticFile {
  const st = statSync(path);
  return { path, size: st.size, mtimeMs: st.mtimeMs, contentType: contentTypeFor(path) };
}

export function openStatic(f: StaticFile) {
  return createReadStream(f.path);
}

/** A weak ETag from size and mtime: cheap, and changes when the file is rebuilt. */
export function etagOf(f: StaticFile): string {
  return `W/"${f.size.toString(16)}-${Math.floor(f.mtimeMs).toString(16)}"`;
}
