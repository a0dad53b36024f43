/**
 * Recall benchmark: does each recall aid find more characters without more false ones, and does the
 * detect-only path (boxes + box prior + regions) cut characters out as well as the segment model's masks?
 *
 *   npx tsx bench/recall.ts [--subset 40] [--composites 16] [--threads 1] [--skip-illustrations] [--skip-recall] [--skip-detect]
 *
 * 1. Real illustrations (../shared/data/illustrations: the expected count is the length of `characters` in
 *    info/NAME.json; there are no masks): per option, characters found / listed (sum of min(found, listed)),
 *    exact-count images, false characters (sum of max(0, found - listed)).
 * 2. Composites made in memory with the project's synth (src/data/synth composeImage, enhanced mode, seed 12)
 *    from ../shared/data/cutouts foregrounds on ../shared/data/ks/backgrounds, truth = synth's owner map (each
 *    character's visible pixels). A character counts when at least 1 % of the image shows it; a prediction
 *    is matched to a truth by mask IoU >= 0.5 (greedy, best pairs first); unmatched predictions that do not
 *    match a too-small character either are false characters. fg IoU = union of predictions vs union of truth.
 * 3. Detect-only + regions vs segment + regions on the same composites: the real yolov8n-seg run once as a
 *    segmenter and once as a detector (its masks discarded: the detect-only code path), each box prior;
 *    mean instance IoU over truth characters (0 when missed) and over matched ones.
 * Options run with the default model (yolov8n-seg-int8) and otherwise default settings (refine none).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSegmenter, type RecallOptions, type SegmenterOptions } from '../src/pipeline/segmenter.js';
import { benchComposites, listFiles, SHARED } from './composites.js';
import { maskIoU, unionMasks } from '../src/mask/ops.js';
import type { Mask } from '../src/mask/types.js';
import type { RawImage } from '../src/image/types.js';
import { BOX_PRIORS, type BoxPriorName } from '../src/pipeline/box-prior.js';

const MODEL = join(SHARED, 'models/yolov8n-seg_int8.onnx');
const { values: args } = parseArgs({
  options: {
    subset: { type: 'string', default: '40' },
    composites: { type: 'string', default: '16' },
    threads: { type: 'string', default: '1' },
    'skip-illustrations': { type: 'boolean', default: false },
    'skip-recall': { type: 'boolean', default: false },
    'skip-detect': { type: 'boolean', default: false },
  },
});
const threads = Number(args.threads);
const t0 = performance.now();

const CONFIGS: { name: string; recall: RecallOptions }[] = [
  { name: 'baseline', recall: {} },
  { name: '--tta flip', recall: { tta: 'flip' } },
  { name: '--tiles', recall: { tiles: true } },
  { name: '--second-pass', recall: { secondPass: true } },
  { name: 'all three', recall: { tta: 'flip', tiles: true, secondPass: true } },
];

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);

// ---- 1. illustrations ----
if (!args['skip-illustrations'] && !args['skip-recall']) {
  const dir = join(SHARED, 'data/illustrations');
  const files = readdirSync(join(dir, 'images')).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort().slice(0, Number(args.subset));
  const listed = files.map((f) => (JSON.parse(readFileSync(join(dir, 'info', f.replace(/\.[^.]+$/, '.json')), 'utf8')).characters as string[]).length);
  const totalListed = listed.reduce((a, b) => a + b, 0);
  console.log(`illustrations: ${files.length} images, ${totalListed} characters listed in info/*.json (default model, refine none)`);
  console.log(`  ${pad('option', 16)}${pad('found/listed', 15)}${pad('exact-count', 14)}${pad('false chars', 13)}${pad('no character', 14)}ms/image`);
  for (const c of CONFIGS) {
    const seg = await createSegmenter({ model: MODEL, threads, recall: c.recall });
    let found = 0;
    let exact = 0;
    let extra = 0;
    let none = 0;
    const t = performance.now();
    for (let i = 0; i < files.length; i++) {
      const n = (await seg.segment(join(dir, 'images', files[i]))).instances.length;
      found += Math.min(n, listed[i]);
      extra += Math.max(0, n - listed[i]);
      if (n === listed[i]) exact++;
      if (n === 0) none++;
    }
    const ms = (performance.now() - t) / files.length;
    await seg.dispose();
    console.log(`  ${pad(c.name, 16)}${pad(`${found}/${totalListed}`, 15)}${pad(`${exact}/${files.length}`, 14)}${pad(extra, 13)}${pad(none, 14)}${ms.toFixed(0)}`);
  }
}

// ---- composites ----
interface Truth {
  image: RawImage;
  masks: Mask[]; // visible mask per pasted character
  counted: boolean[]; // visible area >= 1 % of the image
  fg: Mask;
}

async function buildComposites(n: number): Promise<Truth[]> {
  // miniavatar.webp is a logo, not a character (cutouts/README.md).
  const fgFiles = listFiles(join(SHARED, 'data/cutouts'), /\.(png|webp)$/i).filter((f) => !/miniavatar/.test(f));
  const out: Truth[] = [];
  for (const c of await benchComposites(fgFiles, n)) {
    const W = c.width;
    const H = c.height;
    const masks = c.instances.map((inst) => {
      const data = new Uint8Array(W * H);
      for (let p = 0; p < W * H; p++) if (c.owner[p] === inst.id) data[p] = 1;
      return { data, width: W, height: H };
    });
    const counted = masks.map((m) => m.data.reduce((a, v) => a + v, 0) >= 0.01 * W * H);
    const fg = { data: Uint8Array.from(c.owner, (v) => (v ? 1 : 0)), width: W, height: H };
    out.push({ image: { data: c.rgb, width: W, height: H, channels: 3 }, masks, counted, fg });
  }
  return out;
}

/** Greedy matching by mask IoU >= 0.5, best pairs first: per truth, the matched prediction's IoU (or 0). */
function match(preds: Mask[], t: Truth): { iouPerTruth: number[]; falseChars: number; predCount: number } {
  const pairs: [number, number, number][] = [];
  for (let p = 0; p < preds.length; p++) for (let g = 0; g < t.masks.length; g++) {
    const v = maskIoU(preds[p], t.masks[g]);
    if (v >= 0.5) pairs.push([v, p, g]);
  }
  pairs.sort((a, b) => b[0] - a[0]);
  const pMatch = new Array<number>(preds.length).fill(-1);
  const gIou = new Array<number>(t.masks.length).fill(0);
  const gUsed = new Array<boolean>(t.masks.length).fill(false);
  for (const [v, p, g] of pairs) {
    if (pMatch[p] >= 0 || gUsed[g]) continue;
    pMatch[p] = g;
    gUsed[g] = true;
    gIou[g] = v;
  }
  let falseChars = 0;
  let predCount = 0;
  for (let p = 0; p < preds.length; p++) {
    if (pMatch[p] >= 0 && !t.counted[pMatch[p]]) continue; // a too-small character: neither found nor false
    predCount++;
    if (pMatch[p] < 0) falseChars++;
  }
  return { iouPerTruth: gIou, falseChars, predCount };
}

const needComposites = !args['skip-recall'] || !args['skip-detect'];
const comps = needComposites ? await buildComposites(Number(args.composites)) : [];
const totalGt = comps.reduce((a, c) => a + c.counted.filter(Boolean).length, 0);

async function runComposites(opts: SegmenterOptions): Promise<{ found: number; exact: number; falseChars: number; fgIou: number; instIou: number; instIouMatched: number; bestIou: number; ms: number }> {
  const seg = await createSegmenter({ model: MODEL, threads, ...opts });
  let found = 0;
  let exact = 0;
  let falseChars = 0;
  const fgIous: number[] = [];
  const inst: number[] = [];
  const best: number[] = [];
  const t = performance.now();
  for (const c of comps) {
    const r = await seg.segment(c.image);
    const preds = r.instances.map((i) => i.mask);
    const m = match(preds, c);
    const gts = m.iouPerTruth.filter((_, g) => c.counted[g]);
    found += gts.filter((v) => v > 0).length;
    inst.push(...gts);
    // Mask quality without the match threshold: each counted character's best IoU with any prediction.
    c.masks.forEach((g, k) => c.counted[k] && best.push(Math.max(0, ...preds.map((p) => maskIoU(p, g)))));
    falseChars += m.falseChars;
    if (m.predCount === c.counted.filter(Boolean).length) exact++;
    const W = c.image.width;
    const H = c.image.height;
    fgIous.push(maskIoU(preds.length ? unionMasks(preds, W, H) : { data: new Uint8Array(W * H), width: W, height: H }, c.fg));
  }
  const ms = (performance.now() - t) / comps.length;
  await seg.dispose();
  const matched = inst.filter((v) => v > 0);
  return { found, exact, falseChars, fgIou: mean(fgIous), instIou: mean(inst), instIouMatched: mean(matched), bestIou: mean(best), ms };
}

// ---- 2. recall aids on composites ----
if (!args['skip-recall']) {
  console.log(`\ncomposites: ${comps.length} synth images (cutouts on KS backgrounds, seed 12, 1-4 characters), ${totalGt} characters showing >= 1 % of the image (default model, refine none)`);
  console.log(`  ${pad('option', 16)}${pad('found/listed', 15)}${pad('exact-count', 14)}${pad('false chars', 13)}${pad('fg IoU', 9)}ms/image`);
  for (const c of CONFIGS) {
    const r = await runComposites({ recall: c.recall });
    console.log(`  ${pad(c.name, 16)}${pad(`${r.found}/${totalGt}`, 15)}${pad(`${r.exact}/${comps.length}`, 14)}${pad(r.falseChars, 13)}${pad(r.fgIou.toFixed(4), 9)}${r.ms.toFixed(0)}`);
  }
}

// ---- 3. detect-only + regions vs segment + regions ----
if (!args['skip-detect']) {
  console.log(`\ndetect-only vs segment model, refine regions, same ${comps.length} composites. best IoU = mean over characters of the best mask IoU of any prediction (the comparison: same boxes, masks differ); inst IoU = matched at IoU >= 0.5, 0 when missed | over matched ones`);
  const seg = await runComposites({ refine: 'regions' });
  const row = (name: string, r: typeof seg) =>
    console.log(`  ${pad(name, 40)}best IoU ${r.bestIou.toFixed(4)}  found ${pad(`${r.found}/${totalGt}`, 8)} inst IoU ${r.instIou.toFixed(4)} | matched ${r.instIouMatched.toFixed(4)}  fg IoU ${r.fgIou.toFixed(4)}  false ${pad(r.falseChars, 4)} ${r.ms.toFixed(0)} ms/image`);
  row('segment + regions', seg);
  for (const prior of BOX_PRIORS as readonly BoxPriorName[]) {
    const det = await runComposites({ refine: 'regions', detectOnly: true, boxPrior: prior });
    row(`detect-only + prior ${prior} + regions`, det);
    console.log(`    difference vs segment + regions: best IoU ${(det.bestIou - seg.bestIou).toFixed(4)}, inst IoU ${(det.instIou - seg.instIou).toFixed(4)}, matched ${(det.instIouMatched - seg.instIouMatched).toFixed(4)}`);
  }
  const none = await runComposites({ refine: 'none', detectOnly: true });
  row('detect-only + default prior, none', none);
}
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
