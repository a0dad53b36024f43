/**
 * The refiner registry is the one list of refiners: every reader (CLI choices and help, eval, serve, the
 * worker plan, the browser bundle, segment's refiner flags) follows REFINERS. Expected capabilities are the
 * ones the code decided by hand before the registry (refine/worker-pool.ts: regions and none in workers;
 * browser/segment-browser.ts and web/app.js: none and regions in the page; SAM for vote and box).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { REFINERS, REFINER_NAMES, refinerRunsInWorkers, refinersTaking } from '../../src/refine/registry.js';
import { SEGMENT_OPTIONS, type OptionSpec } from '../../src/pipeline/options.js';
import { command as segment, segmentSettings } from '../../src/cli/commands/segment.js';
import { command as serve } from '../../src/cli/commands/serve.js';
import { command as evalCommand } from '../../src/cli/commands/eval.js';
import { planRefine } from '../../src/pipeline/run/batch.js';
import { BROWSER_REFINERS } from '../../src/browser/segment-browser.js';

const choicesOf = (options: readonly OptionSpec[]): readonly string[] => {
  const o = options.find((x) => x.key === 'refine');
  return o?.type === 'enum' ? o.choices : [];
};

test('the capabilities each descriptor states are the ones the code used to decide by hand', () => {
  assert.deepEqual([...REFINER_NAMES], ['none', 'regions', 'vote', 'box']);
  const by = (f: (r: (typeof REFINERS)[number]) => boolean) => REFINERS.filter(f).map((r) => r.name);
  assert.deepEqual(by((r) => r.inWorkers), ['none', 'regions']);
  assert.deepEqual(by((r) => r.inBrowser), ['none', 'regions']);
  assert.deepEqual(by((r) => r.needs === 'sam'), ['vote', 'box']);
  assert.deepEqual([...BROWSER_REFINERS], ['none', 'regions']);
  for (const n of REFINER_NAMES) assert.equal(refinerRunsInWorkers(n), n === 'none' || n === 'regions', n);
  assert.equal(refinerRunsInWorkers('magic'), false);
});

test('segment, serve and eval offer exactly the registry, in its order; segment --help has a line per refiner', () => {
  for (const options of [SEGMENT_OPTIONS, serve.options, evalCommand.options]) assert.deepEqual([...choicesOf(options)], [...REFINER_NAMES]);
  const lines = segment.usage.split('\n').map((l) => l.trim());
  for (const r of REFINERS.filter((x) => x.name !== 'none')) assert.ok(lines.some((l) => l.startsWith(`${r.name} `) && l.endsWith(` ${r.description}`)), r.name);
});

test('the batch plans refine workers from the descriptors (none only with a soft edge)', () => {
  // 4 images in flight on 8 cores: half the cores, capped by the images in flight (planRefine's rule).
  assert.equal(planRefine('regions', false, 4, 40, 8), 4);
  assert.equal(planRefine('none', true, 4, 40, 8), 4);
  assert.equal(planRefine('none', false, 4, 40, 8), 0);
  assert.equal(planRefine('vote', true, 4, 40, 8), 0);
  assert.equal(planRefine('box', false, 4, 40, 8), 0);
});

test("segment's refiner flags are checked against the refiner's descriptor", () => {
  const settings = (...flags: string[]) => segmentSettings(segment.parse(['-o', 'o', 'a.png', ...flags]).values);
  const refused = (message: string) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && e.message === message;
  assert.deepEqual(refinersTaking('sam_model'), ['vote', 'box']);
  assert.throws(() => settings('--sam-model', 'sam-vit-l'), refused('--sam-model needs --refine vote or --refine box'));
  assert.throws(() => settings('--refine', 'box', '--sam-preset', 'sam'), refused('--sam-preset needs --refine vote'));
  assert.throws(() => settings('--refine', 'vote', '--box-points', '2'), refused('--box-points needs --refine box'));
  // What each refiner is given: the same objects the CLI built before the registry.
  assert.deepEqual(settings('--refine', 'vote', '--sam-preset', 'sam').options.refineOptions, { sam: { model: undefined, encoder: undefined, decoder: undefined, preset: 'sam', progress: true } });
  assert.deepEqual(settings('--refine', 'box', '--box-points', '2').options.refineOptions, { box: { model: undefined, encoder: undefined, decoder: undefined, points: 2 } });
  assert.deepEqual(settings('--refine', 'regions').options.refineOptions, {});
});
