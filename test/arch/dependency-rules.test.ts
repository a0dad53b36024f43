/**
 * The layer rules in .dependency-cruiser.cjs (table in docs/ARCHITECTURE.md) must reject what they claim to:
 * a throw-away tree with an upward import (mask → refine) and the cycle it closes must fail the check,
 * naming both rules; the same tree without the upward import must pass. `npm run lint:deps` (in .ci/run)
 * runs the same config over the real src/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'animeseg-deps-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(process.execPath, [depcruise, 'src', '--config', config, '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an upward import and the cycle it makes fail the dependency check, named by rule', () => {
  const r = cruise({
    'src/mask/ops.ts': "import { refineIt } from '../refine/vote.js';\nexport const op = () => refineIt();\n",
    'src/refine/vote.ts': "import { op } from '../mask/ops.js';\nexport const refineIt = (): number => (op ? 1 : 0);\n",
  });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /no-upward-from-mask/);
  assert.match(r.out, /no-circular/);
  assert.doesNotMatch(r.out, /no-upward-from-refine/, 'refine → mask is a downward import and allowed');
});

test('type-only upward imports count too, and downward imports pass', () => {
  const upward = cruise({
    'src/models/sam/index.ts': "import type { Thing } from '../../refine/types.js';\nexport type T = Thing;\n",
    'src/refine/types.ts': 'export interface Thing { a: number }\n',
  });
  assert.notEqual(upward.status, 0, upward.out);
  assert.match(upward.out, /no-upward-from-models/);
  const downward = cruise({
    'src/refine/vote.ts': "import { op } from '../mask/ops.js';\nexport const v = op;\n",
    'src/mask/ops.ts': 'export const op = 1;\n',
  });
  assert.equal(downward.status, 0, downward.out);
});

test('siblings on one layer may not import each other (data ↛ browser)', () => {
  const r = cruise({
    'src/data/a.ts': "import { b } from '../browser/b.js';\nexport const a = b;\n",
    'src/browser/b.ts': 'export const b = 1;\n',
  });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /no-upward-from-data/);
});
