/**
 * The card's suggested threshold: most characters found minus extra ones, ties to the higher threshold.
 * Expected values worked out by hand from the rows below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestConfByCount, type CountRow } from '../../src/train/recipe/illustrations.js';

const row = (conf: number, found: number, extra: number): CountRow => ({ conf, exact: 0, found, extra });

test('the most found minus extra wins; a tie goes to the higher threshold', () => {
  // found - extra: 47-12=35, 45-4=41, 43-1=42, 40-0=40  ->  0.5
  assert.equal(bestConfByCount([row(0.25, 47, 12), row(0.45, 45, 4), row(0.5, 43, 1), row(0.55, 40, 0)]), 0.5);
  // 44-2=42 at 0.4 and 43-1=42 at 0.5 tie  ->  the higher, 0.5 (order of rows does not matter)
  assert.equal(bestConfByCount([row(0.5, 43, 1), row(0.4, 44, 2), row(0.3, 45, 6)]), 0.5);
  // one row: itself
  assert.equal(bestConfByCount([row(0.3, 2, 5)]), 0.3);
});
