/**
 * The one option table (src/pipeline/options.ts) reaches every front end: the CLI's parser config and usage,
 * the server's parser and its OpenAPI document. Expected values: the table itself for names, and for the
 * defaults Ultralytics' predict defaults (conf 0.25, iou 0.7, max_det 300, docs.ultralytics.com/modes/predict).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DETECT_DEFAULTS, flagOf, SEGMENT_OPTIONS, type OptionSpec } from '../../src/pipeline/options.js';
import { usage } from '../../src/cli/commands/segment.js';
import { cliConfig, usageLine } from '../../src/cli/schema-args.js';
import { buildOpenApi } from '../../src/server/openapi.js';
import { parseSegmentOptions, SEGMENT_OPTION_NAMES } from '../../src/server/request-options.js';

const specs: readonly OptionSpec[] = SEGMENT_OPTIONS;

test('library defaults are Ultralytics predict defaults', () => {
  assert.deepEqual({ ...DETECT_DEFAULTS }, { conf: 0.25, iou: 0.7, maxDet: 300, agnostic: false });
});

test('every CLI option of the table is in segment --help and in the parser config, with its default', () => {
  const config = cliConfig(SEGMENT_OPTIONS) as Record<string, { type: string }>;
  for (const o of specs.filter((s) => s.cli !== false)) {
    const flag = flagOf(o.key);
    assert.equal(config[flag]?.type, o.type === 'boolean' ? 'boolean' : 'string', flag);
    assert.match(usage, new RegExp(`^  --${flag}[ \\n]`, 'm'), `--${flag} in the usage`);
  }
  assert.equal('select' in config, false, 'select is the server\'s');
  assert.match(usage, /--max-det N +most detections per image \(default 300\)/);
  // conf's default is the model's recommendation first (settings.ts), and the help says so.
  assert.equal(usageLine(specs.find((s) => s.key === 'conf')!), "  --conf X               confidence threshold (default the model's recommended conf, else 0.25)");
});

test('the server accepts exactly the table\'s server options and documents each with the table\'s range', () => {
  const doc = buildOpenApi({ refiners: ['none', 'regions'], limits: { maxUploadBytes: 1, maxPixels: 1, timeoutMs: 1, concurrency: 1, queue: 1 } });
  const params = doc.paths['/v1/segment'].post.parameters as { name: string; schema: Record<string, unknown> }[];
  const serverKeys = specs.filter((s) => s.server !== false).map((s) => s.key);
  assert.deepEqual(params.map((p) => p.name), serverKeys);
  assert.deepEqual([...SEGMENT_OPTION_NAMES], serverKeys);
  for (const o of specs.filter((s) => s.type === 'number' || s.type === 'integer')) {
    if (o.type !== 'number' && o.type !== 'integer') continue;
    const p = params.find((q) => q.name === o.key)!;
    assert.deepEqual([p.schema.minimum, p.schema.maximum, p.schema.default], [o.min, o.max, o.default], o.key);
    // The parser takes the table's bounds and refuses just past them.
    assert.equal(parseSegmentOptions({ [o.key]: String(o.max) }, ['none']).options[o.key === 'max_det' ? 'maxDet' : (o.key as 'conf' | 'iou')], o.max);
    assert.throws(() => parseSegmentOptions({ [o.key]: String(o.max! + 1) }, ['none']), new RegExp(o.key));
  }
  assert.deepEqual(params.find((p) => p.name === 'refine')!.schema.enum, ['none', 'regions'], 'refine lists what this server offers');
  assert.deepEqual(params.find((p) => p.name === 'format')!.schema.enum, ['png', 'webp', 'json']);
});
