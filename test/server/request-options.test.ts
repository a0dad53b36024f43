/** Option parsing for POST /v1/segment: accepted forms and refusals (hand-written cases). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { parseSegmentOptions, resolveClassIds } from '../../src/server/request-options.js';
import { resolveSegmentSettings } from '../../src/pipeline/settings.js';

const REFINERS = ['none', 'regions'];
const isBadOption = (name: RegExp) => (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_OPTION' && name.test(e.message);

test('defaults: png, no crop, no mask, no soft edge, every instance', () => {
  // Nothing given: nothing set (no select, no JSON); the one resolver then gives the table's defaults.
  const r = parseSegmentOptions({}, REFINERS);
  assert.deepEqual([r.select, r.json, r.options.conf, r.options.iou], [undefined, false, undefined, undefined]);
  const s = resolveSegmentSettings(r.options, { defaultClasses: null });
  assert.deepEqual([s.outputs.onlyMask, s.outputs.crop, s.softEdge, s.outputs.format], [false, false, null, 'png']);
});

test('values are parsed: booleans, numbers, colours, lists', () => {
  const r = parseSegmentOptions({ refine: 'regions', conf: '0.4', iou: '0.5', classes: '0,person', select: '2, 0', only_mask: 'yes', crop: '', bg_color: '#0f0', format: 'WEBP' }, REFINERS);
  const o = r.options;
  assert.equal(o.refine, 'regions');
  assert.equal(o.conf, 0.4);
  assert.equal(o.iou, 0.5);
  assert.deepEqual(o.classes, [0, 'person']);
  assert.deepEqual(r.select, [2, 0]);
  assert.equal(o.outputs?.onlyMask, true);
  assert.equal(o.outputs?.crop, true, 'a bare flag means true');
  assert.deepEqual(o.outputs?.bgColor, [0, 255, 0]); // '#0f0' = #00ff00
  assert.equal(o.outputs?.format, 'webp');
  const d = parseSegmentOptions({ max_det: '1', agnostic: 'true' }, REFINERS).options;
  assert.equal(d.maxDet, 1);
  assert.equal(d.agnostic, true);
  assert.equal(parseSegmentOptions({ classes: 'ALL', select: 'all' }, REFINERS).options.classes, 'all');
});

test('refusals name the option', () => {
  assert.throws(() => parseSegmentOptions({ colour: 'x' }, REFINERS), isBadOption(/colour/));
  assert.throws(() => parseSegmentOptions({ conf: '-0.1' }, REFINERS), isBadOption(/conf/));
  assert.throws(() => parseSegmentOptions({ iou: 'abc' }, REFINERS), isBadOption(/iou/));
  assert.throws(() => parseSegmentOptions({ refine: 'vote' }, REFINERS), isBadOption(/refine/));
  assert.throws(() => parseSegmentOptions({ select: '1-3' }, REFINERS), isBadOption(/select/));
  assert.throws(() => parseSegmentOptions({ only_mask: 'perhaps' }, REFINERS), isBadOption(/only_mask/));
  assert.throws(() => parseSegmentOptions({ bg_color: '300,0,0' }, REFINERS), isBadOption(/bg_color/));
  assert.throws(() => parseSegmentOptions({ format: 'gif' }, REFINERS), isBadOption(/format/));
  assert.throws(() => parseSegmentOptions({ max_det: '2.5' }, REFINERS), isBadOption(/max_det/));
});

test('class names resolve against the model; unknown ones are refused', () => {
  const names = ['person', 'bicycle', 'car'];
  assert.deepEqual(resolveClassIds([2, 'person'], names), [2, 0]);
  assert.throws(() => resolveClassIds(['cat'], names), isBadOption(/cat/));
  assert.throws(() => resolveClassIds([3], names), isBadOption(/3/));
});

// Issue 10 defects, each failing on the old code.
test("'instances' is the CLI's per-character files; the server's pick is 'select', and 'instances' says so", () => {
  assert.throws(() => parseSegmentOptions({ instances: '0' }, REFINERS), isBadOption(/instances.*renamed to 'select'/));
  assert.deepEqual(parseSegmentOptions({ select: '1' }, REFINERS).select, [1]);
});

test('max_det has the one limit of the option table, the same as the CLI (1000)', async () => {
  const { MAX_DET_LIMIT } = await import('../../src/pipeline/options.js');
  assert.equal(MAX_DET_LIMIT, 1000);
  assert.equal(parseSegmentOptions({ max_det: '1000' }, REFINERS).options.maxDet, 1000);
  assert.throws(() => parseSegmentOptions({ max_det: '1001' }, REFINERS), isBadOption(/max_det.*\[1, 1000\]/));
});

test('class names ignore case on the server as on the CLI (one resolver)', () => {
  // COCO's class 0 is 'person' (../shared/models/README.md); 'Person' and 'PERSON' name it too.
  assert.deepEqual(resolveClassIds(['Person', 'CAR'], ['person', 'bicycle', 'car']), [0, 2]);
});

test('a bad value is worded as the CLI words it: NAME must be EXPECTED, got ACTUAL (invalidParameterError)', async () => {
  const { command } = await import('../../src/cli/commands/segment.js');
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  // Same concept, same words; only the name differs (the HTTP field and the CLI flag).
  assert.equal(message(() => parseSegmentOptions({ conf: '1.5' }, REFINERS)), "conf must be a number in [0, 1], got '1.5'");
  assert.equal(message(() => command.parse(['-o', 'o', 'a.png', '--conf', '1.5'])), "--conf must be a number in [0, 1], got '1.5'");
  assert.equal(message(() => parseSegmentOptions({ classes: '0,,1' }, REFINERS)), "classes must be a comma-separated list like 0,1 or person (or 'all'), got '0,,1'");
  assert.equal(message(() => parseSegmentOptions({ soft_edge: 'maybe' }, REFINERS)), "soft_edge must be true or false, got 'maybe'");
  assert.equal(message(() => parseSegmentOptions({ refine: 'vote' }, REFINERS)), "refine must be a refiner this server offers (none or regions), got 'vote'");
});
