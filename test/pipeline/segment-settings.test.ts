// One settings path (issue 19 §1): the CLI's flags and the server's fields go through the same readers and
// segmentOptionsOf into one SegmentOptions, and the one resolver (resolveSegmentSettings) turns it into one
// frozen SegmentSettings. Expected values are the raw values given here (hand-chosen), the option table's
// own defaults, and, for the settings hash, hashes computed by the code before this change (see below).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnimesegError } from '../../src/errors.js';
import { command as segment, segmentSettings } from '../../src/cli/commands/segment.js';
import { parseSegmentOptions, SERVER_OPTIONS } from '../../src/server/request-options.js';
import { resolveSegmentSettings, settingsJson } from '../../src/pipeline/settings.js';
import { DETECT_DEFAULTS, OUTPUT_DEFAULTS, RECALL_DEFAULTS, flagOf } from '../../src/pipeline/options.js';
import { DEFAULT_MAX_COVERED } from '../../src/pipeline/instance-filter.js';
import { batchSettings } from '../../src/pipeline/run/batch.js';
import { settingsHash } from '../../src/pipeline/run/run-record.js';

const REFINERS = ['none', 'regions'];
/** A model with two classes that recommends conf 0.45 and keeps class 0 unless told. */
const MODEL = { recommended: { conf: 0.45 }, defaultClasses: [0], classNames: ['person', 'cat'] };
const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof AnimesegError && e.code === 'BAD_OPTION', String(e));
    return e.message;
  }
  return 'no error';
};

test('the CLI and the server given the same raw values resolve to deep-equal SegmentSettings', () => {
  // Every option the two share, each given (names resolve against the model: cat = 1, person = 0).
  const raw: Record<string, string> = { conf: '0.4', iou: '0.5', max_det: '7', classes: '1,person', refine: 'regions', bg_color: '#0f0', format: 'webp' };
  const switches = ['agnostic', 'soft_edge', 'only_mask', 'crop'];
  const argv = ['-o', 'out', 'a.png', ...Object.entries(raw).flatMap(([k, v]) => [`--${flagOf(k)}`, v]), ...switches.map((k) => `--${flagOf(k)}`)];
  const cli = segmentSettings(segment.parse(argv).values).options;
  const server = parseSegmentOptions({ ...raw, ...Object.fromEntries(switches.map((k) => [k, 'true'])) }, REFINERS).options;
  // The CLI's own options (recall aids at their defaults, the run's instance filter, crops) are not the
  // server's: the server filters no instances, so that one part is left out of the CLI's side.
  const fromCli = resolveSegmentSettings({ ...cli, filter: undefined }, MODEL);
  const fromServer = resolveSegmentSettings(server, MODEL);
  assert.deepEqual(fromServer, fromCli);
  // ... and they are what was given, not defaults.
  assert.deepEqual(
    [fromServer.conf, fromServer.iou, fromServer.maxDet, fromServer.classes, fromServer.agnostic, fromServer.refine, fromServer.softEdge !== null],
    [0.4, 0.5, 7, [1, 0], true, 'regions', true],
  );
  assert.deepEqual([fromServer.outputs.onlyMask, fromServer.outputs.crop, fromServer.outputs.bgColor, fromServer.outputs.format], [true, true, [0, 255, 0], 'webp']);
  assert.deepEqual(fromServer.from, { conf: 'option', iou: 'option', maxDet: 'option', agnostic: 'option', classes: 'option' });
  // Nothing given: both sides agree on the model's recommendation and the table's defaults.
  const none = resolveSegmentSettings(parseSegmentOptions({}, REFINERS).options, MODEL);
  assert.deepEqual(none, resolveSegmentSettings({ ...segmentSettings(segment.parse(['-o', 'o', 'a.png']).values).options, filter: undefined }, MODEL));
  assert.deepEqual([none.conf, none.from.conf, none.iou, none.maxDet, none.classes, none.from.classes], [0.45, 'model', DETECT_DEFAULTS.iou, DETECT_DEFAULTS.maxDet, [0], 'model']);
  assert.deepEqual([none.recall, none.outputs, none.filter, none.softEdge, none.refine], [RECALL_DEFAULTS, OUTPUT_DEFAULTS, null, null, 'none']);
});

test('a bad server parameter is worded as the CLI words the same flag (the same readers)', () => {
  const bad: Record<string, string> = { conf: '1.5', iou: '-0.1', max_det: '0', classes: '1,,2', bg_color: '300,0,0' };
  for (const [key, value] of Object.entries(bad)) {
    const flag = `--${flagOf(key)}`;
    const viaCli = message(() => segmentSettings(segment.parse(['-o', 'o', 'a.png', `${flag}=${value}`]).values));
    const viaServer = message(() => parseSegmentOptions({ [key]: value }, REFINERS));
    assert.match(viaCli, new RegExp(`^${flag} must be `), key);
    assert.equal(viaServer, viaCli.replace(flag, key), key);
  }
  // Every number option of the server's table is read by the CLI's number reader.
  for (const o of SERVER_OPTIONS.filter((s) => s.type === 'number' || s.type === 'integer')) {
    assert.equal(message(() => parseSegmentOptions({ [o.key]: 'x' }, REFINERS)), message(() => segment.parse(['-o', 'o', 'a.png', `--${flagOf(o.key)}`, 'x'])).replace(`--${flagOf(o.key)}`, o.key));
  }
});

test("the server reads numbers as the CLI does: '0x10' and 'Infinity' are refused, not taken as 16 and no limit", () => {
  // Before, the server used Number(), which takes hex and exponent forms the CLI refuses.
  for (const v of ['0x10', '1e1000']) {
    assert.match(message(() => parseSegmentOptions({ max_det: v }, REFINERS)), /^max_det must be a whole number in \[1, 1000\]/);
    assert.match(message(() => segment.parse(['-o', 'o', 'a.png', '--max-det', v])), /^--max-det must be a whole number in \[1, 1000\]/);
  }
});

test('SegmentSettings: frozen, and a call changes only what it gives (sources kept from the base)', () => {
  const base = resolveSegmentSettings({ iou: 0.5, softEdge: true, recall: { tiles: true }, filter: {} }, MODEL);
  assert.ok(Object.isFrozen(base) && Object.isFrozen(base.recall) && Object.isFrozen(base.outputs) && Object.isFrozen(base.filter));
  assert.deepEqual(base.filter, { minArea: 0, maxCovered: DEFAULT_MAX_COVERED });
  const call = resolveSegmentSettings({ conf: 0.3 }, MODEL, base);
  assert.deepEqual([call.conf, call.from.conf, call.iou, call.from.iou, call.classes, call.from.classes], [0.3, 'option', 0.5, 'option', [0], 'model']);
  assert.deepEqual([call.recall.tiles, call.softEdge, call.filter], [true, base.softEdge, base.filter]);
  // Values are checked in the resolver, with the one wording.
  assert.equal(message(() => resolveSegmentSettings({ conf: 2 }, MODEL)), 'conf must be a number in [0, 1], got 2');
  assert.equal(message(() => resolveSegmentSettings({ classes: ['dog'] }, MODEL)), "classes: this model has no class 'dog'");
});

test('NAME.json settings and the settings hash are what the code before one settings path wrote', async () => {
  // A model info as a segmenter gives it (no file: no size in the hash) and a batch with many settings.
  const info = {
    model: 'm',
    path: '/nonexistent/m.onnx',
    defaultClasses: [0],
    classNames: ['person', 'cat', 'dog'],
    imgsz: [416, 416] as [number, number],
    recommended: { conf: 0.45 },
    refine: 'vote' as const,
    softEdge: true,
    recall: { tta: 'flip' as const, tiles: false, secondPass: true, addConf: 0.7 },
    models: [{ name: 'm', path: '/nonexistent/m.onnx', task: 'detect' as const, classNames: ['person', 'cat', 'dog'], imgsz: [416, 416] as [number, number], licence: 'test', defaultClasses: [0], recommended: {} }],
    boxPrior: 'ellipse' as const,
  };
  const opts = {
    outDir: '/out',
    detect: { iou: 0.5, classes: [2, 0] },
    filter: { minArea: 0.01, maxCovered: 0.8 }, // 0.8 was the default in 4ad5ace (0.7 since issue 20)
    refineOptions: { sam: { preset: 'sam' as const, progress: true } },
    format: 'webp' as const,
    overlay: true,
    crops: { size: 512, margin: 0.1 },
    bgColor: [1, 2, 3] as [number, number, number],
  };
  // Computed with batch.ts batchSettings of commit 4ad5ace (before this change) on the same two objects
  // (a checkout of that commit, run through tsx), not by the code under test.
  assert.equal(settingsHash(await batchSettings({ info }, opts)), 'e9456ace8135fe2d');
  assert.equal(settingsHash(await batchSettings({ info: { ...info, models: [], recall: { ...RECALL_DEFAULTS } } }, { outDir: '/out', filter: { maxCovered: 0.8 } })), 'f580f1d6dc1f84f4');
  // processOne of 4ad5ace wrote this record for these settings (its inline object, same order).
  const s = resolveSegmentSettings({ ...opts.detect, refine: 'vote', softEdge: true, filter: opts.filter }, info);
  assert.equal(
    JSON.stringify(settingsJson(s, info)),
    JSON.stringify({
      default_classes: [0],
      conf: 0.45,
      iou: 0.5,
      max_det: 300,
      agnostic: false,
      classes: [2, 0],
      from: { conf: 'model', iou: 'option', max_det: 'default', agnostic: 'default', classes: 'option' },
      refine: 'vote',
      soft_edge: true,
      min_area: 0.01,
      max_covered: 0.8,
      imgsz: [416, 416],
    }),
  );
});
