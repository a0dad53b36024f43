#!/usr/bin/env node
// CLI entry. In a source checkout (src/ present and tsx installed) run the TypeScript sources through tsx,
// so the CLI never runs a stale build; in an installed package (no src/) run the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
let useSource = existsSync(source) && process.env.ANIMESEG_USE_DIST !== '1';
if (useSource) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    useSource = false; // tsx is a dev dependency: fall back to the build
  }
}
await import(pathToFileURL(useSource ? source : join(root, 'dist', 'cli', 'main.js')).href);
