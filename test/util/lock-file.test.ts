// The exclusive lock file (issue 21 item 6): holder recorded, a second taker refused with the holder named,
// a stale lock (its process gone) taken over, another host's lock refused (it cannot be checked from here).
// The "dead" pid is that of a child this test ran to its end (spawnSync), so no process has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockFile, processAlive, type LockHolder } from '../../src/util/lock-file.js';
import { AnimesegError } from '../../src/errors.js';

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-lock-'));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const refused = (re: RegExp) => (e: unknown) => (e instanceof AnimesegError && e.code === 'IO' && re.test(e.describe()) ? true : assert.fail(`wrong error: ${String(e)}`));

test('the lock names its holder; a second taker is refused with pid, host and the file; release frees it', () =>
  withDir(async (dir) => {
    const path = join(dir, '.lock');
    const lock = await LockFile.acquire(path, { what: 'the folder X' });
    const holder = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    assert.deepEqual([holder.pid, holder.host], [process.pid, hostname()]);
    await assert.rejects(LockFile.acquire(path, { what: 'the folder X' }), refused(new RegExp(`the folder X is in use by another animeseg run \\(pid ${process.pid} on ${hostname()}`)));
    await lock.release();
    assert.equal(existsSync(path), false);
    await (await LockFile.acquire(path, { what: 'X' })).release();
  }));

test('a stale lock (same host, its process gone) is taken over and reported; another host\'s lock is refused', () =>
  withDir(async (dir) => {
    const path = join(dir, '.lock');
    const dead = spawnSync(process.execPath, ['-e', ''], { timeout: 30_000 }).pid!;
    assert.equal(processAlive(dead), false);
    await writeFile(path, JSON.stringify({ pid: dead, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const stale: (LockHolder | null)[] = [];
    const lock = await LockFile.acquire(path, { what: 'X', onStale: (h) => stale.push(h) });
    assert.deepEqual(stale.map((h) => h?.pid), [dead]);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).pid, process.pid);
    await lock.release();

    await writeFile(path, JSON.stringify({ pid: dead, host: 'other-machine', started: '2026-01-01T00:00:00.000Z' }));
    await assert.rejects(LockFile.acquire(path, { what: 'X' }), refused(new RegExp(`pid ${dead} on other-machine.*\\n.*if no animeseg run is going on on other-machine, remove ${path.replace(/[.]/g, '\\.')}`)));
  }));

test('a lock file that names no holder is refused while fresh (being written) and taken over once old', () =>
  withDir(async (dir) => {
    const path = join(dir, '.lock');
    await writeFile(path, '');
    await assert.rejects(LockFile.acquire(path, { what: 'X' }), refused(/in use by another animeseg run/));
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await (await LockFile.acquire(path, { what: 'X' })).release();
  }));
