/**
 * results.csv parsing. Inputs are written by hand in both formats Ultralytics uses (8.0: fields right-aligned
 * to 23 characters; 8.1+: plain CSV with a `time` column); expected values are read off those inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResultsCsv, bestRow, fitness, plannedEpochsOf } from '../../src/train/results.js';

const PLAIN = `epoch,time,train/box_loss,train/seg_loss,metrics/mAP50(B),metrics/mAP50-95(B),metrics/mAP50(M),metrics/mAP50-95(M)
1,10.5,1.5,3.0,0.40,0.20,0.38,0.18
2,21.0,1.2,2.5,0.60,0.40,0.58,0.36
3,31.4,1.0,2.1,0.55,0.35,0.52,0.30
`;

test('plain CSV: columns by name, one row per epoch', () => {
  const { header, rows } = parseResultsCsv(PLAIN);
  assert.equal(header.length, 8);
  assert.deepEqual(rows.map((r) => r.epoch), [1, 2, 3]);
  assert.equal(rows[1].values['train/seg_loss'], 2.5);
  assert.equal(rows[2].values['metrics/mAP50-95(M)'], 0.3);
});

test('Ultralytics 8.0 padded format parses to the same numbers', () => {
  const pad = (line: string) => line.split(',').map((f) => f.padStart(23)).join(',');
  const padded = PLAIN.trim().split('\n').map(pad).join('\n') + '\n';
  assert.deepEqual(parseResultsCsv(padded).rows, parseResultsCsv(PLAIN).rows);
});

test('a half-written last line (no newline yet) is left for the next read', () => {
  const growing = PLAIN + '4,41.9,0.9';
  assert.equal(parseResultsCsv(growing).rows.length, 3);
  assert.equal(parseResultsCsv(growing + ',2.0,0.6,0.4,0.6,0.38\n').rows.length, 4);
});

test('empty or header-only files give no rows', () => {
  assert.deepEqual(parseResultsCsv('').rows, []);
  assert.deepEqual(parseResultsCsv('epoch,time\n').rows, []);
});

test("best row follows Ultralytics' fitness 0.1*mAP50 + 0.9*mAP50-95 over boxes and masks", () => {
  const { rows } = parseResultsCsv(PLAIN);
  // Hand computation for epoch 2: 0.1*0.60 + 0.9*0.40 + 0.1*0.58 + 0.9*0.36 = 0.06+0.36+0.058+0.324 = 0.802
  assert.ok(Math.abs(fitness(rows[1]) - 0.802) < 1e-12);
  // epoch 3: 0.055+0.315+0.052+0.27 = 0.692 < 0.802, so the best is epoch 2 even though epoch 3 is the last.
  assert.equal(bestRow(rows)?.epoch, 2);
});

test("plannedEpochsOf: the epochs in Ultralytics' progress line, nothing from its other lines", () => {
  // Lines copied from a real Ultralytics 8.2.103 CPU training log (issue 20's recipe run, time=1.6).
  assert.equal(plannedEpochsOf('        2/2         0G      0.756      1.887     0.7618      1.121         76        416:  86%|'), 2);
  assert.equal(plannedEpochsOf('       1/12         0G      1.343      3.149      1.336      1.436         63        416:  25%|'), 12);
  // A GPU run prints its memory with decimals.
  assert.equal(plannedEpochsOf('      3/60      2.31G      1.100      2.000      0.900      1.100         40        640:  10%|'), 60);
  assert.equal(plannedEpochsOf('      Epoch    GPU_mem   box_loss   seg_loss   cls_loss   dfl_loss  Instances       Size'), undefined);
  assert.equal(plannedEpochsOf('                   all        300        382       0.91      0.903      0.937      0.809      0.924      0.856      0.904      0.708'), undefined);
  assert.equal(plannedEpochsOf('1/2 done'), undefined);
});
