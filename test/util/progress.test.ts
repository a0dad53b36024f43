// Plain-mode progress: the expected lines are worked out by hand from the format in progress.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, fmtSec } from '../../src/util/progress.js';

function capture() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  return { lines, stream };
}

test('plain progress prints the completion line once, with counts and failures', () => {
  const { lines, stream } = capture();
  const p = new Progress({ total: 2, unit: 'img', stream, mode: 'plain', plainEverySec: 3600 });
  p.tick(); // the first tick prints (nothing printed yet): 50 %
  p.tick(1, false); // complete: the 100 % line
  p.finish(); // must not repeat it
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^50% 1\/2 img /);
  assert.match(lines[1], /^100% 2\/2 img .* failed 1\n$/);
});

test('fmtSec formats minutes and hours', () => {
  assert.equal(fmtSec(65), '1:05');
  assert.equal(fmtSec(3725), '1:02:05');
  assert.equal(fmtSec(NaN), '--:--');
});
