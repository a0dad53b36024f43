// Input expansion over a temporary folder tree built here; expected lists are written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs, globToRegExp } from '../../src/pipeline/run/inputs.js';
import { AnimesegError } from '../../src/errors.js';

test('glob patterns', () => {
  assert.ok(globToRegExp('*.jpg').test('a.jpg'));
  assert.ok(!globToRegExp('*.jpg').test('d/a.jpg'));
  assert.ok(globToRegExp('**/*.jpg').test('a.jpg'));
  assert.ok(globToRegExp('**/*.jpg').test('d/e/a.jpg'));
  assert.ok(globToRegExp('img?.{png,webp}').test('img1.webp'));
  assert.ok(!globToRegExp('img?.{png,webp}').test('img12.png'));
  assert.ok(globToRegExp('[ab]*.png').test('b1.png'));
});

test('files, folders (recursive, output folder excluded), globs, names and duplicates', async () => {
  const root = await mkdtemp(join(tmpdir(), 'animeseg-inputs-'));
  try {
    for (const p of ['a.jpg', 'b.PNG', 'notes.txt', 'sub/c.webp', 'sub/deep/a.jpg', 'out/a.png', '.hidden/x.jpg']) {
      await mkdir(join(root, p, '..'), { recursive: true });
      await writeFile(join(root, p), 'x');
    }
    const folder = await expandInputs([root], [join(root, 'out')]);
    assert.deepEqual(folder.map((i) => i.name), ['a', 'b', 'sub/c', 'sub/deep/a']);
    const glob = await expandInputs([join(root, '**/*.jpg')]);
    assert.deepEqual(glob.map((i) => i.name), ['a', 'sub/deep/a']);
    // Explicit files keep their stem; two inputs with the same stem get numbered names; repeats are dropped.
    const files = await expandInputs([join(root, 'a.jpg'), join(root, 'sub/deep/a.jpg'), join(root, 'a.jpg')]);
    assert.deepEqual(files.map((i) => i.name), ['a', 'a-2']);
    await assert.rejects(expandInputs([join(root, 'missing.jpg')]), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT' && /no such file/.test(e.message));
    await assert.rejects(expandInputs([join(root, '*.gif')]), (e: unknown) => e instanceof AnimesegError && /no image matches/.test(e.message));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('symbolic links: images and folders are followed, loops and broken links reported, not skipped silently (issue 14 item 8)', async () => {
  const { symlink } = await import('node:fs/promises');
  const root = await mkdtemp(join(tmpdir(), 'animeseg-inputs-links-'));
  try {
    for (const p of ['in/a.jpg', 'elsewhere/b.png', 'elsewhere/deep/c.jpg']) {
      await mkdir(join(root, p, '..'), { recursive: true });
      await writeFile(join(root, p), 'x');
    }
    await symlink(join(root, 'elsewhere/b.png'), join(root, 'in/link.png'));
    await symlink(join(root, 'elsewhere/deep'), join(root, 'in/linked-dir'));
    await symlink(join(root, 'in'), join(root, 'in/loop')); // points back at its own parent
    await symlink(join(root, 'missing.jpg'), join(root, 'in/broken.jpg'));
    const warnings: string[] = [];
    const items = await expandInputs([join(root, 'in')], [], { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(items.map((i) => i.name), ['a', 'link', 'linked-dir/c']);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings.join('\n'), /broken\.jpg: broken symbolic link/);
    assert.match(warnings.join('\n'), /loop: symbolic link to a folder already searched/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('excludeFile leaves single files out of a folder walk', async () => {
  const root = await mkdtemp(join(tmpdir(), 'animeseg-inputs-ex-'));
  try {
    for (const p of ['a.jpg', 'a.png', 'a.mask.png']) await writeFile(join(root, p), 'x');
    const items = await expandInputs([root], [], { excludeFile: (p) => p.endsWith('.png') });
    assert.deepEqual(items.map((i) => i.name), ['a']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

// Issue 21 item 4: x.jpg, x.png and x-2.jpg in one folder gave x.png the name x-2 without checking that
// x-2.jpg has it; two images wrote x-2.*. Expected by hand: the walk sorts 'x-2.jpg' < 'x.jpg' < 'x.png'
// ('-' is 0x2d, '.' 0x2e); every natural name (file name without extension) is kept by its first image,
// and a repeat gets the first free '-N' from 2 up: x-2 is x-2.jpg's own, so x.png is x-3. Case-insensitive
// (X.PNG collides with x.jpg on case-insensitive file systems), and the same on every expansion.
test('output names are unique per run (a numbered name never takes another image\'s name) and stable', async () => {
  const root = await mkdtemp(join(tmpdir(), 'animeseg-names-'));
  try {
    for (const f of ['x.jpg', 'x.png', 'x-2.jpg', 'X.webp', 'y.png']) await writeFile(join(root, f), f);
    const items = await expandInputs([root]);
    const byFile = Object.fromEntries(items.map((i) => [i.path.slice(root.length + 1), i.name]));
    // Sorted walk: X.webp < x-2.jpg < x.jpg < x.png < y.png (uppercase first).
    assert.deepEqual(byFile, { 'X.webp': 'X', 'x-2.jpg': 'x-2', 'x.jpg': 'x-3', 'x.png': 'x-4', 'y.png': 'y' });
    const lower = items.map((i) => i.name.toLowerCase());
    assert.equal(new Set(lower).size, lower.length);
    assert.deepEqual(await expandInputs([root]), items);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
