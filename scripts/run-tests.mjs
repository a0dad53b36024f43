#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner through tsx.
// Node 20's --test does not expand globs itself, so the file list is built here.
// Usage: node scripts/run-tests.mjs [--quick] [substring-filter ...]
//   --quick (npm run test:quick): the inner-loop subset, see STARTS_SOMETHING below. `npm test` runs all.
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
/**
 * The rule for the quick subset (--quick): leave out every test file that starts something outside its own
 * process, because those are what take the suite's minutes: a child process (spawn / exec / fork: the CLI,
 * dependency-cruiser, fake Ultralytics, npm), an HTTP server (createServer: ours with a model, or a local
 * download source; createPipelineEngine), Redis or a browser. It is read from each file's text, so a new test is sorted by
 * what it does, with no list to keep. `npm test` still runs every file.
 */
const STARTS_SOMETHING = /\b(spawn|spawnSync|execSync|execFile|execFileSync|fork)\s*\(|\bcreateServer\s*\(|\bcreatePipelineEngine\s*\(|\bstartRedis\b|playwright/;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => a !== '--quick');
const isSlow = (f) => STARTS_SOMETHING.test(readFileSync(f, 'utf8'));
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .filter((f) => !quick || !isSlow(f))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Tests never reach the internet (downloads are tested against 127.0.0.1 with explicit settings), and
// never see the user's model cache or registered models: both point into a fresh temp folder.
const home = mkdtempSync(join(tmpdir(), 'animeseg-tests-'));
const env = {
  ...process.env,
  ANIMESEG_OFFLINE: '1',
  ANIMESEG_CACHE: join(home, 'cache'),
  ANIMESEG_CONFIG_DIR: join(home, 'config'),
};
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
rmSync(home, { recursive: true, force: true });
process.exit(r.status ?? 1);
