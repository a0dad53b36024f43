/**
 * In-browser inference speed (not a test): the page's WASM path in Debian's chromium vs the server's
 * onnxruntime-node path on the same image, measured in the same run. Prints medians of per-stage ms and the
 * ratio browser/server for inference and end-to-end.
 *
 *   npx tsx bench/browser.ts [--image PATH] [--runs 10]
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    image: { type: 'string', default: resolve('../shared/data/illustrations/images/eren_1.jpg') },
    runs: { type: 'string', default: '10' },
  },
});
const RUNS = Number(values.runs);
const CHROMIUM = process.env.ANIMESEG_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.error(`chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  process.exit(2);
}
process.env.ANIMESEG_MODELS ??= resolve('../shared/models');
process.env.ANIMESEG_OFFLINE ??= '1';

const { createServer } = await import('../src/server/server.js');
const { createPipelineEngine } = await import('../src/server/pipeline-engine.js');
const { ensureWebBundle } = await import('../src/server/build-web.js');
const { chromium } = await import('playwright-core');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const bundle = await ensureWebBundle();
if (!bundle.ok) throw new Error(bundle.reason);
const server = await createServer({ engine: await createPipelineEngine({}) });
const base = await server.listen(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
try {
  const page = await browser.newPage();
  await page.goto(`${base}/?ep=wasm`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.check('input[name=mode][value=browser]');
  await page.setInputFiles('#file', values.image!);
  await page.waitForSelector('body[data-done="1"]', { timeout: 120_000 });
  const body = readFileSync(values.image!);
  const b: Record<string, number[]> = { preprocess: [], inference: [], postprocess: [], total: [] };
  const s: Record<string, number[]> = { inference: [], total: [] };
  for (let i = 0; i < RUNS; i++) {
    // Alternate browser and server runs so both see the same machine load.
    const t = (await page.evaluate(`(async () => {
      const st = window.animeseg.state;
      const t0 = performance.now();
      const out = await st.browserSeg.segment({ data: st.rgba, width: st.width, height: st.height, channels: 4 }, {});
      return { ...out.timings, total: performance.now() - t0 };
    })()`)) as Record<string, number>;
    for (const k of Object.keys(b)) b[k]!.push(t[k]!);
    const t0 = performance.now();
    const r = await fetch(`${base}/v1/segment?format=json`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    const j = (await r.json()) as { timings_ms: Record<string, number> };
    s.inference!.push(j.timings_ms.inference!);
    s.total!.push(performance.now() - t0);
  }
  const fmt = (o: Record<string, number[]>) => Object.entries(o).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join('  ');
  console.log(`image ${values.image}, ${RUNS} runs each (medians, ms)`);
  console.log(`browser (onnxruntime-web WASM, crossOriginIsolated threads): ${fmt(b)}`);
  console.log(`server  (onnxruntime-node CPU, JSON over HTTP):            ${fmt(s)}`);
  console.log(`ratio browser/server: inference ${(median(b.inference!) / median(s.inference!)).toFixed(2)}x, end-to-end ${(median(b.total!) / median(s.total!)).toFixed(2)}x`);
} finally {
  await browser.close();
  await server.close();
}
