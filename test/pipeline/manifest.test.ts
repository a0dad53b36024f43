// OUT/manifest.jsonl (src/pipeline/run/manifest.ts): appends are whole lines, a torn tail (what SIGKILL in the
// middle of a write leaves) is cut off on open, repeats are compacted to the latest line per image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manifest, MANIFEST_NAME } from '../../src/pipeline/run/manifest.js';
import type { RunRecord } from '../../src/pipeline/run/run-record.js';

const rec = (name: string, status: RunRecord['status'] = 'ok'): RunRecord => ({ input: `/in/${name}.jpg`, name, status, outputs: [`${name}.png`, `${name}.json`], instances: 1, scores: [0.5], areas: [3], settings_hash: 'h', finished: 't' });

test('append, reopen, torn tail repaired, repeats compacted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-manifest-'));
  try {
    const m = await Manifest.open(dir);
    assert.equal(m.records().length, 0);
    await m.append(rec('a'));
    await m.append(rec('b', 'empty'));
    await m.append(rec('a', 'failed'));
    const path = join(dir, MANIFEST_NAME);
    const full = await readFile(path, 'utf8');
    assert.equal(full.split('\n').filter(Boolean).length, 3);
    // A kill in the middle of the next append: half a line, no newline.
    const torn = JSON.stringify(rec('c')).slice(0, 40);
    await writeFile(path, full + torn);
    const m2 = await Manifest.open(dir);
    assert.equal(m2.repair.tornBytes, Buffer.byteLength(torn));
    assert.equal(m2.repair.superseded, 1);
    assert.deepEqual(m2.records().map((r) => [r.name, r.status]), [['b', 'empty'], ['a', 'failed']]);
    // Rewritten: every line parses, one per image.
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((l) => JSON.parse(l).name), ['b', 'a']);
    assert.ok(m2.lists('a.png') && !m2.lists('c.png'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
