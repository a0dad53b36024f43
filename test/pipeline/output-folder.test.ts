// Which files in an output folder are the tool's own (src/pipeline/run/output-folder.ts). Issue 19 §3: the
// ownership pattern and the batch's file names lived in two places and disagreed (NAME.instNN.crop.jpg,
// the crops written with --crops on a background, was not recognised). The expected names here come from
// the batch's own planner (plannedOutputs) with every output switched on, so a name the batch can write and
// the ownership check cannot read fails this test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputFolder } from '../../src/pipeline/run/output-folder.js';
import { outputPaths, plannedOutputs, type OutputOptions } from '../../src/pipeline/run/batch.js';

const root = await mkdtemp(join(tmpdir(), 'animeseg-output-folder-'));
after(() => rm(root, { recursive: true, force: true }));

// Every combination that changes a file name: cutout format, crops transparent (cutout format) or on a
// background (JPEG), instance cutouts or instance masks (--only-mask).
const variants: OutputOptions[] = [];
for (const format of ['png', 'webp'] as const)
  for (const bg of [undefined, [255, 255, 255] as [number, number, number]])
    for (const onlyMask of [false, true]) variants.push({ format, overlay: true, instances: true, onlyMask, crops: { size: 'square', bg } });

test('every file the batch can write beside a NAME.json it wrote is the tool\'s own (older runs, no manifest line)', async () => {
  const out = join(root, 'owned');
  await mkdir(out);
  const folder = await OutputFolder.open(out);
  // A NAME.json in the shape the batch writes (image, settings, instances), with no manifest line: the
  // record of a run by a version that kept no manifest.
  const toolJson = JSON.stringify({ image: 'a.png', settings: {}, instances: [] });
  await writeFile(join(out, 'a.json'), toolJson);
  const names = new Set<string>();
  for (const opts of variants) for (const p of plannedOutputs(outputPaths(out, 'a', opts.format!), opts, 2)) names.add(p);
  // Hand check that the planner does produce the names the bug was about.
  for (const n of ['a.inst01.crop.jpg', 'a.inst00.crop.webp', 'a.inst00.mask.png', 'a.overlay.png']) assert.ok(names.has(join(out, n)), n);
  try {
    for (const p of names) assert.equal(await folder.isOurs(p), true, p);
    assert.deepEqual(await folder.foreign([...names], async () => true), []);
  } finally {
    await folder.close();
  }
});

test('a file of an output kind\'s name beside no tool JSON, or of no kind\'s name, is the user\'s', async () => {
  const out = join(root, 'users');
  await mkdir(out);
  const folder = await OutputFolder.open(out);
  await writeFile(join(out, 'a.json'), JSON.stringify({ image: 'a.png', settings: {}, instances: [] }));
  await writeFile(join(out, 'u.json'), JSON.stringify({ notes: 'mine' }));
  try {
    for (const n of ['u.inst00.crop.jpg', 'u.png', 'c.inst00.crop.jpg', 'a.notes.txt', 'a.inst00.crop.gif']) {
      assert.equal(await folder.isOurs(join(out, n)), false, n);
    }
  } finally {
    await folder.close();
  }
});
