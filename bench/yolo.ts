/**
 * YOLO benchmark: the 40 illustrations of ../shared/data/illustrations/images through `animeseg segment`'s
 * batch runner (decode, preprocess, inference, postprocess, encode/write), against raw model inference
 * measured in the same run on the same images. Prints median ms per image per stage, images/s, and the
 * ratio of end-to-end time to raw inference time.
 *
 * Raw inference = the bare model on pre-made tensors, one image at a time, same session settings.
 *
 *   npx tsx bench/yolo.ts [--model PATH] [--conf 0.45] [--runs 3] [--concurrency 4] [--threads N] [--spin] [--images DIR]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSegmenter } from '../src/pipeline/segmenter.js';
import { expandInputs } from '../src/pipeline/run/inputs.js';
import { planInference, runBatch } from '../src/pipeline/run/batch.js';
import { decodeImageFile } from '../src/image/decode.js';
import { letterboxTensor } from '../src/models/yolo/letterbox.js';
import { loadYoloModel } from '../src/models/yolo/model.js';

const { values } = parseArgs({
  options: {
    // The product's default model (bundled; its recommended conf 0.45 applies unless --conf is given).
    model: { type: 'string', default: 'models/animeseg-char-n416.onnx' },
    // The model's recommended threshold (e.g. 0.45 for animeseg-char-n416); the library default otherwise.
    conf: { type: 'string' },
    images: { type: 'string', default: '../shared/data/illustrations/images' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    threads: { type: 'string' },
    spin: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
const threads = values.threads ? Number(values.threads) : undefined;
const spin = values.spin;
const conf = values.conf !== undefined ? Number(values.conf) : undefined;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const items = await expandInputs([values.images]);
  console.log(`animeseg YOLO benchmark: ${items.length} images, model ${values.model}, conf ${conf ?? 'default'}, ${cpus().length} CPUs, threads ${threads ?? 'default'}, spin ${spin}, concurrency ${concurrency}, ${runs} runs`);
  // Other work on the machine skews both measurements; the load average tells how quiet it was.
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // Baseline: raw model inference on pre-made tensors, one image at a time (same session settings).
  const model = await loadYoloModel(values.model, { threads, spin });
  const [ih, iw] = model.contract.imgsz;
  const tensors: Float32Array[] = [];
  for (const it of items) tensors.push(letterboxTensor((await decodeImageFile(it.path)).image, iw, ih).tensor);
  // The end-to-end run uses the CLI's settings for this concurrency (inference workers, threads each).
  const plan = planInference(concurrency, items.length, threads);
  console.log(`pipeline: ${plan.workers} inference worker(s) x ${plan.threads ?? 'default'} thread(s)`);
  const seg = await createSegmenter({ model: values.model, threads: plan.threads, inferenceWorkers: plan.workers, spin });
  const out = await mkdtemp(join(tmpdir(), 'animeseg-bench-'));
  const stages: Record<string, number[]> = {};
  const rawTotals: number[] = [];
  const rawPer: number[] = [];
  const walls: number[] = [];
  // Process CPU time (all threads: onnxruntime's, libvips', ours) per image: unlike wall time it hardly
  // depends on what else the machine is doing, so it shows the work the pipeline adds even on a busy box.
  const rawCpu: number[] = [];
  const e2eCpu: number[] = [];
  const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
  try {
    await model.run(tensors[0]); // warm-up
    await seg.segment(items[0].path);
    // Rounds alternate the two measurements so that changes in machine load hit both alike.
    for (let r = 0; r < runs; r++) {
      let t0 = performance.now();
      let c0 = process.cpuUsage();
      for (const t of tensors) {
        const s = performance.now();
        await model.run(t);
        rawPer.push(performance.now() - s);
      }
      rawTotals.push(performance.now() - t0);
      rawCpu.push(cpuMs(process.cpuUsage(c0)) / items.length);
      c0 = process.cpuUsage();
      // End to end: the CLI's batch runner writing every default output (cutout, mask, JSON).
      t0 = performance.now();
      const s = await runBatch(seg, items, {
        outDir: out,
        overwrite: true,
        concurrency,
        progress: 'silent',
        detect: conf !== undefined ? { conf } : undefined,
        onImage: (_it, t) => {
          for (const [k, v] of Object.entries(t)) (stages[k] ??= []).push(v);
        },
      });
      walls.push(performance.now() - t0);
      e2eCpu.push(cpuMs(process.cpuUsage(c0)) / items.length);
      if (s.failed.length) throw new Error(`failures: ${s.failed.map((f) => f.message).join('; ')}`);
      console.log(`round ${r + 1}: raw ${(rawTotals[r] / items.length).toFixed(1)} ms/img, end-to-end ${(walls[r] / items.length).toFixed(1)} ms/img, ratio ${(walls[r] / rawTotals[r]).toFixed(2)}x`);
    }
  } finally {
    await model.dispose();
    await seg.dispose();
    await rm(out, { recursive: true, force: true });
  }

  const n = items.length;
  const rawMs = median(rawTotals) / n;
  const e2eMs = median(walls) / n;
  console.log('\nmedian ms per image by stage (end-to-end runs; stages of concurrent images overlap):');
  for (const k of ['decode', 'preprocess', 'queue', 'inference', 'postprocess', 'refine', 'encode_write']) {
    if (stages[k]) console.log(`  ${k.padEnd(13)} ${median(stages[k]).toFixed(1).padStart(7)} ms`);
  }
  console.log(`\nraw inference (sequential, pre-made tensors): ${rawMs.toFixed(1)} ms/image (median per call ${median(rawPer).toFixed(1)} ms), ${(1000 / rawMs).toFixed(2)} img/s`);
  console.log(`end to end (files in, outputs written):       ${e2eMs.toFixed(1)} ms/image, ${(1000 / e2eMs).toFixed(2)} img/s`);
  const ratios = walls.map((w, i) => w / rawTotals[i]);
  console.log(`ratio end-to-end / raw inference: ${(e2eMs / rawMs).toFixed(2)}x (median of rounds ${median(ratios).toFixed(2)}x; target <= 1.3x)`);
  console.log(`CPU time per image (all threads): raw inference ${median(rawCpu).toFixed(1)} ms, end to end ${median(e2eCpu).toFixed(1)} ms, ratio ${(median(e2eCpu) / median(rawCpu)).toFixed(2)}x`);
  console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
