// Issue 21 item 5: a full disk or a read-only folder mid-run ended in "internal error (please report):
// ENOSPC", a stack trace, exit 70 and no summary. Now each failing image says "no space left on device
// writing OUT/NAME.png", the run starts no further image, prints its summary, exits 1, and a rerun with
// space resumes. Two ways to fill the disk:
// - a real one: a small tmpfs mounted for the test, filled so the first image fits and the second does
//   not (skipped, with the reason, where mounting is not allowed: it needs root / CAP_SYS_ADMIN);
// - an injected one (test/fixtures/fail-writes.mjs, loaded with node --import): the opening of the second
//   image's output files fails with ENOSPC or EROFS as the kernel's would; it runs everywhere, and covers
//   the read-only case and the final manifest compaction, which a tmpfs cannot make fail on cue.
// Every CLI run is bounded (spawnSync timeout, SIGKILL); the tmpfs is unmounted in finally.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

const MODEL = resolve('../shared/models/yolov8n-seg_int8.onnx');
const IMAGES = resolve('../shared/data/illustrations/images');
const BIN = resolve('bin/animeseg.js');
const INJECT = resolve('test/fixtures/fail-writes.mjs');
let root = '';
let inDir = '';

function cli(args: string[], inject?: { pattern: string; code?: string }) {
  const env = { ...process.env, ...(inject && { ANIMESEG_TEST_FAIL_WRITES: inject.pattern, ANIMESEG_TEST_FAIL_CODE: inject.code ?? 'ENOSPC' }) };
  const node = inject ? ['--import', INJECT] : [];
  const r = spawnSync(process.execPath, [...node, BIN, 'segment', ...args, '--model', MODEL, '--progress', 'silent', '--concurrency', '1'], { encoding: 'utf8', env, timeout: 120_000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const manifestLines = async (out: string) => (await readFile(join(out, 'manifest.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
/** Each image's latest status, ok and empty both 'done' (a small copy may show no character). */
const latest = async (out: string) => Object.fromEntries((await manifestLines(out)).map((l) => [l.name, l.status === 'ok' || l.status === 'empty' ? 'done' : l.status]));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** What a user must never see. */
function assertClean(stderr: string): void {
  assert.doesNotMatch(stderr, /internal error|\n\s+at |ENOSPC|EROFS/, stderr);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'animeseg-full-'));
  inDir = join(root, 'in');
  await mkdir(inDir);
  // a..d in this order (the batch's order with --concurrency 1).
  const src = ['eren_1.jpg', 'cirno_1.png', 'aladdin_1.jpg', 'antonio_1.jpg'];
  for (const [k, name] of src.entries()) await sharp(join(IMAGES, name)).resize({ width: 256 }).png().toFile(join(inDir, `${'abcd'[k]}.png`));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The summary and the per-image line of a run stopped at image b by `words`. */
function assertStoppedAtB(r: { code: number | null; stderr: string }, out: string, words: string): void {
  assert.equal(r.code, 1, r.stderr);
  assertClean(r.stderr);
  assert.match(r.stderr, new RegExp(`failed: ${esc(join(inDir, 'b.png'))}: ${words} writing ${esc(out)}/b\\.(png|mask\\.png|json)\\n`));
  assert.match(r.stderr, /4 image\(s\): 1 done, 0 skipped \(already done\), 1 failed/);
  assert.match(r.stderr, new RegExp(`stopped early: ${words} writing .*; 2 image\\(s\\) not started`));
}

test('disk full (injected ENOSPC at the second image): per-image message, no more images started, summary, exit 1; a rerun resumes', async () => {
  const out = join(root, 'inject-out');
  const r = cli([inDir, '-o', out], { pattern: '^\\.animeseg-tmp-[0-9a-f]+-b\\.' });
  assertStoppedAtB(r, out, 'no space left on device');
  assert.deepEqual(await latest(out), { a: 'done', b: 'failed' });
  const again = cli([inDir, '-o', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /4 image\(s\): 3 done, 1 skipped/);
  assert.deepEqual(await latest(out), { a: 'done', b: 'done', c: 'done', d: 'done' });
});

test('read-only file system (injected EROFS) stops the run the same way', async () => {
  const out = join(root, 'rofs-out');
  const r = cli([inDir, '-o', out], { pattern: '^\\.animeseg-tmp-[0-9a-f]+-b\\.', code: 'EROFS' });
  assertStoppedAtB(r, out, 'read-only file system');
});

test('a full disk at the final manifest compaction costs no image: the summary comes, with a warning, exit 0', async () => {
  const out = join(root, 'compact-out');
  assert.equal(cli([inDir, '-o', out]).code, 0);
  // Other settings: every line is replaced, so the run ends by rewriting manifest.jsonl (atomically, via a temp file).
  const r = cli([inDir, '-o', out, '--conf', '0.3'], { pattern: '^\\.animeseg-tmp-[0-9a-f]+-manifest\\.jsonl$' });
  assert.equal(r.code, 0, r.stderr);
  assertClean(r.stderr);
  assert.match(r.stderr, /4 image\(s\): 4 done/);
  assert.match(r.stderr, new RegExp(`warning: run manifest not compacted \\(it stays valid\\): no space left on device writing ${esc(out)}/manifest\\.jsonl`));
  // Still valid: the latest line per image is this run's.
  assert.deepEqual(await latest(out), { a: 'done', b: 'done', c: 'done', d: 'done' });
  assert.equal(cli([inDir, '-o', out, '--conf', '0.3']).stderr.match(/4 skipped/)?.length, 1);
});

test('disk full on a real tmpfs: the first image fits, the second does not; a rerun with space resumes', async (t) => {
  const mnt = join(root, 'tmpfs');
  await mkdir(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8', timeout: 30_000 });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim() || 'needs root'}); the injected-failure tests cover this`);
    return;
  }
  try {
    // What image a alone takes (outputs, manifest, in 4 KiB pages), from a run on the normal disk.
    const ref = join(root, 'ref-out');
    await mkdir(join(root, 'ref-in'));
    await writeFile(join(root, 'ref-in', 'a.png'), await readFile(join(inDir, 'a.png')));
    assert.equal(cli([join(root, 'ref-in'), '-o', ref]).code, 0);
    let need = 0;
    for (const f of await readdir(ref)) need += Math.ceil((await stat(join(ref, f))).size / 4096) * 4096;
    // Room for image a, the lock file and a few pages of slack (a JSON a few bytes longer crosses a page),
    // far less than image b's cutout alone.
    const room = need + 4 * 4096;
    const fs = await statfs(mnt);
    await writeFile(join(mnt, 'filler'), Buffer.alloc(fs.bavail * fs.bsize - room));
    const out = join(mnt, 'out');
    const r = cli([inDir, '-o', out]);
    assertStoppedAtB(r, out, 'no space left on device');
    assert.deepEqual(await latest(out), { a: 'done', b: 'failed' });
    // No temp file left behind by the failed writes.
    assert.deepEqual((await readdir(out)).filter((f) => f.startsWith('.')), []);
    await rm(join(mnt, 'filler'));
    const again = cli([inDir, '-o', out]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /4 image\(s\): 3 done, 1 skipped/);
    assert.deepEqual(await latest(out), { a: 'done', b: 'done', c: 'done', d: 'done' });
  } finally {
    spawnSync('umount', ['-l', mnt], { timeout: 30_000 });
  }
});
