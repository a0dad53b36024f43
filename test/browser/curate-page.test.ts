/**
 * The curation-report page (/curate.html) in Debian's chromium against a real server: a report written by
 * curateDataset on real illustrations (a resized copy, a greyscale copy) is opened through the page's file
 * input; the page must show the report's own totals, one row per drop reason and the group, under the
 * server's Content-Security-Policy. Skips with a reason when /usr/bin/chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { createServer, type AnimesegServer } from '../../src/server/server.js';
import { createPipelineEngine } from '../../src/server/pipeline-engine.js';
import { curateDataset, type CurateReport } from '../../src/curate/curate.js';
import { IMAGES, MODEL_NAME, isolateEnv } from '../server/helpers.js';

const CHROMIUM = process.env.ANIMESEG_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `chromium not installed at ${CHROMIUM} (apt-get install chromium)`;
isolateEnv();
const root = mkdtempSync(join(tmpdir(), 'animeseg-curate-page-'));
let server: AnimesegServer;
let base: string;
let browser: Browser;
let report: CurateReport;

before(async () => {
  if (skip) return;
  const input = join(root, 'in');
  await mkdir(input);
  for (const f of ['miku_1.jpg', 'tewi_1.jpg']) await copyFile(join(IMAGES, f), join(input, f));
  await sharp(join(IMAGES, 'miku_1.jpg')).resize(300).png().toFile(join(input, 'miku_small.png'));
  await sharp(join(IMAGES, 'tewi_1.jpg')).grayscale().toColourspace('srgb').jpeg().toFile(join(input, 'tewi_grey.jpg'));
  report = await curateDataset({ input, out: join(root, 'out'), filters: { minColour: 0.05 }, dedup: { hash: 'phash', distance: 10, keep: 'largest' }, layout: { layout: 'plain' }, progress: 'silent', sheets: false });
  server = await createServer({ engine: await createPipelineEngine({ model: MODEL_NAME }) });
  base = await server.listen(0);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
});
after(async () => {
  await browser?.close();
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

test('the page shows a curation report: totals, reasons, groups; a wrong file gets a message', { skip }, async () => {
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/content security policy|refused to/i.test(m.text())) errors.push(m.text());
  });
  await page.goto(`${base}/curate.html`);
  await page.setInputFiles('#file', join(root, 'out', '.curate', 'report.json'));
  await page.waitForSelector('#report:not([hidden])');
  // Expected from the report itself: 4 items, 2 kept, miku_small a duplicate, tewi_grey monochrome.
  assert.equal(report.kept.length, 2);
  assert.equal(await page.textContent('#totals'), `4 item(s): kept 2, dropped 2; 1 near-duplicate group(s)`);
  const rows = await page.$$eval('#reasons tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent).slice(0, 3)));
  assert.deepEqual(rows.sort(), [['duplicate', '1', '25.0 %'], ['monochrome', '1', '25.0 %']]);
  assert.match((await page.textContent('#groups')) ?? '', /kept miku_1; dropped miku_small \(\d+ bits\)/);
  await page.setInputFiles('#file', join(IMAGES, '..', '..', 'README.md'));
  await page.waitForSelector('#report[hidden]', { state: 'attached' });
  assert.match((await page.textContent('#error')) ?? '', /README\.md: /);
  assert.deepEqual(errors, []);
});
