// What a fresh checkout or an installed package needs for the README's library example (issue 11, defect 6):
// `npm install` / `npm ci` build dist/ (the 'prepare' script), and the type packages that the shipped .d.ts
// files use are declared as dependencies (or peers), not only as dev dependencies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  main: string;
  types: string;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

test("'prepare' runs the build, so npm install / npm ci produce dist/ (main and types)", () => {
  assert.match(pkg.scripts.prepare ?? '', /^npm run build$/);
  assert.match(pkg.scripts.build, /tsc -p tsconfig\.build\.json/);
  assert.equal(pkg.main, 'dist/index.js');
  assert.equal(pkg.types, 'dist/index.d.ts');
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

test('the shipped declarations use Node types, so @types/node is a dependency or a peer', () => {
  const out = mkdtempSync(join(tmpdir(), 'animeseg-dts-'));
  try {
    // The declarations exactly as the build emits them (tsconfig.build.json), into a temp folder.
    execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--outDir', out], { stdio: 'pipe' });
    const dts = walk(out).filter((f) => f.endsWith('.d.ts'));
    assert.ok(dts.some((f) => f.endsWith(join(out, 'index.d.ts'))), 'index.d.ts emitted');
    const usesNode = dts.filter((f) => /\bNodeJS\.|from ["']node:|\bBuffer\b/.test(readFileSync(f, 'utf8')));
    if (usesNode.length > 0) {
      const declared = { ...pkg.dependencies, ...pkg.peerDependencies };
      assert.ok('@types/node' in declared, `${usesNode.length} .d.ts files use Node types (e.g. ${usesNode[0].slice(out.length + 1)}) but @types/node is not a dependency`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
