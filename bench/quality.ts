/**
 * Quality benchmark: the default model (animeseg-char-n416, shipped) against the COCO int8 model, in the
 * same run, each at its own default settings (the anime model's recommended conf 0.45 from its ONNX
 * metadata, COCO's 0.25 and its `person` class), through `segment`'s processing (segmenter, then the
 * instance filter with its default --max-covered 0.8).
 *
 *   npx tsx bench/quality.ts [--composites 16] [--threads 2] [--skip-illustrations] [--skip-composites]
 *
 * 1. Real illustrations (../shared/data/illustrations, 40 images, never trained on): the expected count is
 *    the length of `characters` in info/NAME.json (there are no masks). Characters found / listed = sum of
 *    min(found, listed); exact = images whose count is right; extra = sum of max(0, found - listed).
 * 2. Composites made in memory by the project's synth (src/data/synth composeImage, enhanced mode, seed 12,
 *    1-4 characters) from ../shared/data/cutouts2 foregrounds on ../shared/data/ks/backgrounds; the truth is
 *    synth's owner map. Mean foreground IoU (union of kept masks vs union of pasted characters) with
 *    --refine none and --refine regions. Two sets: every cutouts2 folder (the anime model trained on
 *    composites of most of them and on these backgrounds: optimistic for it), and the three non-commercial
 *    folders alone, which no shipped model was trained on.
 * Seconds per image: wall time of segment() + filter per image, this machine, same run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSegmenter, type SegmenterOptions } from '../src/pipeline/segmenter.js';
import { filterInstances } from '../src/pipeline/instance-filter.js';
import { DEFAULT_MODEL } from '../src/models/resolver/index.js';
import { benchComposites, listFiles, SHARED } from './composites.js';
import { maskIoU, unionMasks } from '../src/mask/ops.js';
import type { Mask } from '../src/mask/types.js';
import type { RawImage } from '../src/image/types.js';
import type { ImageInput } from '../src/pipeline/decode-input.js';

const { values: args } = parseArgs({
  options: {
    composites: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
    'skip-illustrations': { type: 'boolean', default: false },
    'skip-composites': { type: 'boolean', default: false },
  },
});
const threads = Number(args.threads);
const MODELS: { label: string; model: string }[] = [
  { label: `${DEFAULT_MODEL} (default)`, model: DEFAULT_MODEL },
  { label: 'yolov8n-seg-int8 (COCO)', model: join(SHARED, 'models/yolov8n-seg_int8.onnx') },
];
/** The folders of ../shared/data/cutouts2 marked non-commercial: kept out of every shipped model's training. */
const HELD_OUT = ['osu_resources', 'essaygames_inkvn', 'ukagaka_cafe_adapt'];

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);

/** One image through `segment`'s steps: the segmenter, then the default instance filter. */
async function segmentKept(seg: Awaited<ReturnType<typeof createSegmenter>>, input: ImageInput) {
  const r = await seg.segment(input);
  return { r, kept: filterInstances(r.instances, r.width, r.height).kept };
}

async function withSegmenter<T>(opts: SegmenterOptions, f: (seg: Awaited<ReturnType<typeof createSegmenter>>) => Promise<T>): Promise<T> {
  const seg = await createSegmenter({ threads, ...opts });
  try {
    return await f(seg);
  } finally {
    await seg.dispose();
  }
}

// ---- 1. illustrations ----
if (!args['skip-illustrations']) {
  const dir = join(SHARED, 'data/illustrations');
  const files = readdirSync(join(dir, 'images')).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  const listed = files.map((f) => (JSON.parse(readFileSync(join(dir, 'info', f.replace(/\.[^.]+$/, '.json')), 'utf8')).characters as string[]).length);
  const totalListed = listed.reduce((a, b) => a + b, 0);
  console.log(`illustrations: ${files.length} images, ${totalListed} characters listed in info/*.json; refine none, --max-covered 0.8`);
  console.log(`  ${pad('model', 32)}${pad('conf', 16)}${pad('found/listed', 15)}${pad('exact-count', 14)}${pad('extra', 8)}${pad('none found', 12)}s/image`);
  for (const m of MODELS) {
    await withSegmenter({ model: m.model }, async (seg) => {
      let found = 0;
      let exact = 0;
      let extra = 0;
      let none = 0;
      let conf = '';
      const t = performance.now();
      for (let i = 0; i < files.length; i++) {
        const { r, kept } = await segmentKept(seg, join(dir, 'images', files[i]));
        conf = `${r.settings.conf} (${r.settings.from.conf})`;
        const n = kept.length;
        found += Math.min(n, listed[i]);
        extra += Math.max(0, n - listed[i]);
        if (n === listed[i]) exact++;
        if (n === 0) none++;
      }
      const s = (performance.now() - t) / 1000 / files.length;
      console.log(`  ${pad(m.label, 32)}${pad(conf, 16)}${pad(`${found}/${totalListed}`, 15)}${pad(`${exact}/${files.length}`, 14)}${pad(extra, 8)}${pad(none, 12)}${s.toFixed(3)}`);
    });
  }
}

// ---- 2. composites ----
interface Truth {
  image: RawImage;
  fg: Mask;
  characters: number;
}

async function buildComposites(fgFiles: string[], n: number): Promise<Truth[]> {
  return (await benchComposites(fgFiles, n)).map((c) => ({
    image: { data: c.rgb, width: c.width, height: c.height, channels: 3 },
    fg: { data: Uint8Array.from(c.owner, (v) => (v ? 1 : 0)), width: c.width, height: c.height },
    characters: c.instances.length,
  }));
}

if (!args['skip-composites']) {
  const n = Number(args.composites);
  const all = listFiles(join(SHARED, 'data/cutouts2'), /\.(png|webp)$/i);
  const sets = [
    { name: 'cutouts2, every folder', comps: await buildComposites(all, n) },
    { name: `cutouts2, held-out folders (${HELD_OUT.join(', ')})`, comps: await buildComposites(all.filter((f) => HELD_OUT.some((h) => f.includes(`/${h}/`))), n) },
  ];
  for (const set of sets) {
    const chars = set.comps.reduce((a, c) => a + c.characters, 0);
    console.log(`\ncomposites: ${set.comps.length} synth images (${set.name}) on ../shared/data/ks/backgrounds, seed 12, ${chars} characters pasted`);
    console.log(`  ${pad('model', 32)}${pad('refine', 9)}${pad('fg IoU', 9)}s/image`);
    for (const m of MODELS) {
      for (const refine of ['none', 'regions'] as const) {
        await withSegmenter({ model: m.model, refine }, async (seg) => {
          const ious: number[] = [];
          const t = performance.now();
          for (const c of set.comps) {
            const { kept } = await segmentKept(seg, c.image);
            const W = c.image.width;
            const H = c.image.height;
            const pred = kept.length ? unionMasks(kept.map((i) => i.mask), W, H) : { data: new Uint8Array(W * H), width: W, height: H };
            ious.push(maskIoU(pred, c.fg));
          }
          const s = (performance.now() - t) / 1000 / set.comps.length;
          console.log(`  ${pad(m.label, 32)}${pad(refine, 9)}${pad(mean(ious).toFixed(4), 9)}${s.toFixed(3)}`);
        });
      }
    }
  }
}
