// The curation-report page's counting (web/curate-lib.js), in Node, on a hand-made report: 6 items, 4 kept,
// 2 dropped (1 monochrome, 1 duplicate), so each reason is 1/6 of the items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReport, summarizeReport } from '../../web/curate-lib.js';

const report = {
  tool: 'animeseg dataset curate',
  kept: ['a', 'b', 'c', 'd'].map((key) => ({ key, file: `${key}.png`, source: `/in/${key}.jpg`, caption: null })),
  dropped: [
    { key: 'e', source: '/in/e.jpg', reason: 'monochrome', detail: 'coloured 0.01 < 0.05' },
    { key: 'a2', source: '/in/a2.jpg', reason: 'duplicate', detail: 'phash 3 bits from a (kept: largest)', duplicateOf: 'a' },
  ],
  groups: [{ kept: 'a', members: [{ key: 'a', distance: 0 }, { key: 'a2', distance: 3 }] }],
  sheets: { kept: 'sheets/kept.png' },
};

test('summary: totals, reasons with their share and examples, groups', () => {
  const s = summarizeReport(report);
  assert.equal(s.totals, '6 item(s): kept 4, dropped 2; 1 near-duplicate group(s)');
  assert.deepEqual(s.reasons, [
    { reason: 'duplicate', count: 1, share: 1 / 6, examples: ['a2: phash 3 bits from a (kept: largest)'] },
    { reason: 'monochrome', count: 1, share: 1 / 6, examples: ['e: coloured 0.01 < 0.05'] },
  ]);
  assert.deepEqual(s.groups, [{ kept: 'a', others: ['a2 (3 bits)'] }]);
  assert.deepEqual(s.sheets, { kept: 'sheets/kept.png' });
});

test('anything but a curate report is refused with a message', () => {
  assert.throws(() => checkReport({ image: 'x.png', instances: [] }), /not a curation report/);
  assert.throws(() => checkReport({ tool: 'animeseg dataset curate', kept: [] }), /no 'dropped' list/);
});
