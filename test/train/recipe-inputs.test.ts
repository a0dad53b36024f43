/**
 * The recipe's input listing (--fg/--bg with --exclude). Folders are built here with known files; the expected
 * lists are read off the layout by hand. The regression: the documented `--fg data/ks --exclude /backgrounds/`
 * also emptied `--bg data/ks/backgrounds` (the whole path matched), and a recipe run trained on generated
 * backgrounds only without a word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { listRecipeInputs } from '../../src/train/recipe/recipe.js';
import { AnimesegError } from '../../src/errors.js';

async function layout(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'recipe-inputs-'));
  // Only names matter to the listing (it reads no pixels).
  for (const f of ['ks/sprites/hanako.png', 'ks/sprites/lilly.png', 'ks/backgrounds/school.jpg', 'ks/backgrounds/hall.jpg', 'ks/notes.txt']) {
    await mkdir(join(root, f, '..'), { recursive: true });
    await writeFile(join(root, f), 'x');
  }
  return root;
}

test('--exclude matches below each folder: the sprites folder loses its backgrounds, --bg on them keeps all', async () => {
  const root = await layout();
  try {
    const fg = await listRecipeInputs([join(root, 'ks')], 'foreground (--fg)', ['/backgrounds/']);
    assert.deepEqual(fg.map((x) => relative(root, x.file)).sort(), ['ks/sprites/hanako.png', 'ks/sprites/lilly.png']);
    assert.ok(fg.every((x) => x.root === join(root, 'ks')));
    const bg = await listRecipeInputs([join(root, 'ks', 'backgrounds')], 'background (--bg)', ['/backgrounds/']);
    assert.deepEqual(bg.map((x) => relative(root, x.file)).sort(), ['ks/backgrounds/hall.jpg', 'ks/backgrounds/school.jpg']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a folder that --exclude empties is a clear error naming it, not a silent empty input', async () => {
  const root = await layout();
  try {
    await assert.rejects(
      listRecipeInputs([join(root, 'ks', 'backgrounds')], 'background (--bg)', ['.jpg']),
      (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && /leaves none of the 2 images/.test(e.message) && e.file === join(root, 'ks', 'backgrounds'),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
