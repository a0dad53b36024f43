// The settings hash and the resume rule (src/pipeline/run/run-record.ts). Expected values are written by hand
// from the rule in the issue (issue 11 defect 2, issue 14 item 3): same source + same settings + outputs
// present = done; anything else is redone with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalJson, isDone, parseRecord, resumeDecision, settingsHash, type RunRecord, type RunSettings } from '../../src/pipeline/run/run-record.js';

const base: RunSettings = { model: 'yolov8n-seg-int8', conf: 0.25, iou: 0.7, classes: [0], refine: 'none', softEdge: false, outputs: { format: 'png', overlay: false } };

test('the settings hash is stable under key order and changes with every setting the issue names', () => {
  const reordered = { outputs: { overlay: false, format: 'png' }, softEdge: false, refine: 'none', classes: [0], iou: 0.7, conf: 0.25, model: 'yolov8n-seg-int8' } as RunSettings;
  assert.equal(settingsHash(reordered), settingsHash(base));
  // Hand-written canonical text: keys sorted at every level.
  const text = '{"classes":[0],"conf":0.25,"iou":0.7,"model":"yolov8n-seg-int8","outputs":{"format":"png","overlay":false},"refine":"none","softEdge":false}';
  assert.equal(canonicalJson(base), text);
  assert.equal(settingsHash(base), createHash('sha256').update(text).digest('hex').slice(0, 16));
  const variants: Partial<RunSettings>[] = [{ model: 'other' }, { conf: 0.1 }, { iou: 0.5 }, { classes: null }, { refine: 'regions' }, { softEdge: true }, { outputs: { format: 'png', overlay: true } }];
  const hashes = new Set(variants.map((v) => settingsHash({ ...base, ...v })));
  assert.equal(hashes.size, variants.length);
  assert.ok(!hashes.has(settingsHash(base)));
});

test('resume decision: skip only for the same source, settings and present outputs', async () => {
  const h = settingsHash(base);
  const rec: RunRecord = { input: '/d1/a.jpg', name: 'a', status: 'ok', outputs: ['a.png', 'a.json'], instances: 1, scores: [0.9], areas: [10], settings_hash: h, finished: '' };
  const all = () => true;
  assert.deepEqual(await resumeDecision(undefined, { input: '/d1/a.jpg', settingsHash: h }, all), { action: 'redo', reason: 'new' });
  assert.deepEqual(await resumeDecision(rec, { input: '/d1/a.jpg', settingsHash: h }, all), { action: 'skip' });
  assert.deepEqual(await resumeDecision(rec, { input: '/d2/a.jpg', settingsHash: h }, all), { action: 'redo', reason: 'source' });
  assert.deepEqual(await resumeDecision(rec, { input: '/d1/a.jpg', settingsHash: settingsHash({ ...base, conf: 0.1 }) }, all), { action: 'redo', reason: 'settings' });
  assert.deepEqual(await resumeDecision(rec, { input: '/d1/a.jpg', settingsHash: h }, (o) => o !== 'a.png'), { action: 'redo', reason: 'missing-output' });
  assert.deepEqual(await resumeDecision({ ...rec, status: 'failed' }, { input: '/d1/a.jpg', settingsHash: h }, all), { action: 'redo', reason: 'failed' });
  assert.equal(await isDone({ ...rec, status: 'empty' }, { input: '/d1/a.jpg', settingsHash: h }, all), true);
});

test('parseRecord rejects torn and foreign lines', () => {
  const line = JSON.stringify({ input: '/a.jpg', name: 'a', status: 'ok', outputs: ['a.json'], instances: 0, scores: [], areas: [], settings_hash: 'x', finished: '' });
  assert.ok(parseRecord(line));
  assert.equal(parseRecord(line.slice(0, -5)), null);
  assert.equal(parseRecord('{"hello":1}'), null);
  assert.equal(parseRecord(line.replace('"ok"', '"done"')), null);
});
