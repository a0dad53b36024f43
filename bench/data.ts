/**
 * Training-data benchmark.
 *
 * 1. `synth --mode enhanced` on ../shared/data/ks (97 sprites, 81 backgrounds of 1000x600): images/s with 1
 *    and 2 workers (median of --runs runs; rendering only, input checks excluded), and the 2-worker speed-up
 *    over 1 worker measured in the same run. Target: >= 15 images/s on 2 cores.
 * 2. `coco2yolo` on a generated COCO file of about --coco-mb MB (written to os.tmpdir()): MB/s, annotations/s
 *    and peak RSS (converter run in a child process so its RSS is its own), against two baselines measured in
 *    the same run: reading the file (I/O floor) and stream-json's tokenizer over the same bytes.
 *
 *   npx tsx bench/data.ts [--count 120] [--runs 3] [--coco-mb 200] [--skip-synth] [--skip-coco]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runSynth } from '../src/data/synth/run.js';
import { Rng } from '../src/data/synth/rng.js';
import { coco2yolo } from '../src/data/coco2yolo.js';
import { scanTopLevelArrays } from '../src/data/coco/json-arrays.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '120' },
    runs: { type: 'string', default: '3' },
    'coco-mb': { type: 'string', default: '200' },
    'skip-synth': { type: 'boolean' },
    'skip-coco': { type: 'boolean' },
    // internal: child-process mode for the converter's own peak RSS
    'coco-child': { type: 'string' },
    out: { type: 'string' },
    // write a generated COCO file of --coco-mb MB to this path and stop (for profiling)
    'generate-only': { type: 'string' },
  },
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function benchSynth(): Promise<void> {
  const count = Number(values.count);
  const runs = Number(values.runs);
  const ks = resolve('../shared/data/ks');
  const rates: Record<number, number[]> = { 1: [], 2: [] };
  const cpuPerImage: number[] = [];
  for (let r = 0; r < runs; r++) {
    for (const workers of [1, 2]) {
      const out = await mkdtemp(join(tmpdir(), 'animeseg-bench-synth-'));
      try {
        const s = await runSynth({
          fg: join(ks, 'sprites_full'),
          bg: join(ks, 'backgrounds'),
          out,
          count,
          val: 0.1,
          workers,
          params: { mode: 'enhanced', seed: r },
          progress: 'silent',
          log: () => {},
        });
        rates[workers].push(s.imagesPerSec);
        cpuPerImage.push(s.renderCpuSeconds / s.written);
        console.log(
          `  run ${r + 1} workers ${workers}: ${s.imagesPerSec.toFixed(2)} img/s (${s.written} images, ${s.rows} rows, render ${s.renderSeconds.toFixed(1)} s, ` +
            `CPU ${((1000 * s.renderCpuSeconds) / s.written).toFixed(0)} ms/img, load ${loadavg()[0].toFixed(1)})`,
        );
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    }
  }
  const m1 = median(rates[1]);
  const m2 = median(rates[2]);
  console.log(`synth enhanced 1000x600, ${count} images x ${runs} runs (median):`);
  console.log(`  1 worker : ${m1.toFixed(2)} img/s`);
  console.log(`  2 workers: ${m2.toFixed(2)} img/s  (x${(m2 / m1).toFixed(2)} vs 1 worker; target >= 15 img/s on 2 cores)`);
  // Wall-clock rates depend on what else runs; CPU time per image does not (much): 2 free cores give at most
  // 2 / cpu-seconds-per-image images/s.
  const c = median(cpuPerImage);
  console.log(`  CPU time : ${(1000 * c).toFixed(0)} ms per image (all threads, incl. cold caches) → ${(2 / c).toFixed(1)} img/s on 2 otherwise idle cores`);
}

/** A COCO-shaped file: 640x480 images, person and other annotations with 40-120-point polygons, some
 * crowd, some multi-part, written streaming so the generator itself stays small. */
async function generateCoco(file: string, targetBytes: number): Promise<{ images: number; annotations: number }> {
  const rng = new Rng(2024, 0);
  const ws = createWriteStream(file);
  let bytes = 0;
  const write = async (s: string) => {
    bytes += s.length;
    if (!ws.write(s)) await new Promise<void>((r) => ws.once('drain', () => r()));
  };
  const nImages = Math.max(100, Math.round(targetBytes / 1500));
  await write('{"info":{"description":"animeseg bench"},"licenses":[],"images":[');
  for (let i = 1; i <= nImages; i++) {
    await write(`${i > 1 ? ',' : ''}{"id":${i},"file_name":"${String(i).padStart(12, '0')}.jpg","width":640,"height":480}`);
  }
  await write('],"annotations":[');
  let a = 0;
  while (bytes < targetBytes) {
    a++;
    const img = rng.int(1, nImages);
    const cx = rng.uniform(60, 580);
    const cy = rng.uniform(60, 420);
    const r = rng.uniform(10, 55);
    const parts = rng.chance(0.1) ? 2 : 1;
    const segs: string[] = [];
    for (let p = 0; p < parts; p++) {
      const n = rng.int(20, 60);
      const pts: string[] = [];
      for (let k = 0; k < n; k++) {
        const t = (2 * Math.PI * k) / n;
        const rr = r * rng.uniform(0.7, 1);
        pts.push((cx + p * 2.5 * r + rr * Math.cos(t)).toFixed(2), (cy + rr * Math.sin(t)).toFixed(2));
      }
      segs.push(`[${pts.join(',')}]`);
    }
    const crowd = rng.chance(0.01) ? 1 : 0;
    const cat = rng.chance(0.4) ? 1 : rng.int(2, 90);
    await write(
      `${a > 1 ? ',' : ''}{"segmentation":[${segs.join(',')}],"area":${(3.14 * r * r).toFixed(1)},"iscrowd":${crowd},"image_id":${img},` +
        `"bbox":[${(cx - r).toFixed(2)},${(cy - r).toFixed(2)},${(2 * r * parts + (parts - 1) * r).toFixed(2)},${(2 * r).toFixed(2)}],"category_id":${cat},"id":${a}}`,
    );
  }
  await write('],"categories":[{"id":1,"name":"person","supercategory":"person"}]}');
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
  return { images: nImages, annotations: a };
}

async function readThroughput(file: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) n += c.length;
  return n / (1 << 20) / ((performance.now() - t0) / 1000);
}

/** stream-json's tokenizer over the first `limitMB` of the file (the obvious streaming approach). */
async function streamJsonThroughput(file: string, limitMB: number): Promise<number> {
  const { parser } = (await import('stream-json')) as unknown as { parser: { asStream(): NodeJS.ReadWriteStream } };
  const t0 = performance.now();
  let tokens = 0;
  const p = parser.asStream();
  const src = createReadStream(file, { highWaterMark: 1 << 20, end: limitMB * (1 << 20) - 1 });
  await new Promise<void>((res) => {
    p.on('data', () => tokens++);
    p.on('error', () => res()); // the slice ends mid-JSON: that error is expected
    p.on('end', () => res());
    src.pipe(p);
  });
  void tokens;
  return limitMB / ((performance.now() - t0) / 1000);
}

async function benchCoco(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-bench-coco-'));
  try {
    const file = join(dir, 'instances_train2017.json');
    const mb = Number(values['coco-mb']);
    const g = await generateCoco(file, mb * 1e6);
    const size = (await stat(file)).size / (1 << 20);
    console.log(`coco2yolo on a generated ${size.toFixed(0)} MB file (${g.images} images, ${g.annotations} annotations):`);
    const runs = Number(values.runs);
    const secs: number[] = [];
    const rss: number[] = [];
    let last: Record<string, unknown> = {};
    for (let r = 0; r < runs; r++) {
      const out = join(dir, `out${r}`);
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--coco-child', file, '--out', out], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(child.stderr);
      last = JSON.parse(child.stdout.trim().split('\n').pop()!);
      secs.push(last.seconds as number);
      rss.push(last.maxRssMB as number);
      await rm(out, { recursive: true, force: true });
    }
    const s = median(secs);
    const read = await readThroughput(file);
    const sj = await streamJsonThroughput(file, Math.min(40, size));
    // The parsing stage alone: our element splitter + JSON.parse of every element, whole file.
    const t0 = performance.now();
    let elements = 0;
    await scanTopLevelArrays(file, new Set(['images', 'annotations']), { element: () => void elements++ });
    const scan = size / ((performance.now() - t0) / 1000);
    console.log(`  converter : ${(size / s).toFixed(1)} MB/s, ${(g.annotations / s / 1000).toFixed(0)}k annotations/s, ${s.toFixed(1)} s (median of ${runs})`);
    console.log(`  peak RSS  : ${rss.join(' / ')} MB per run (whole converter process, sampled RSS), ${last.rows} rows in ${last.labelFiles} label files`);
    console.log(`  parsing   : splitter + JSON.parse ${scan.toFixed(0)} MB/s (${elements} elements) vs stream-json tokens only ${sj.toFixed(1)} MB/s (x${(scan / sj).toFixed(1)})`);
    console.log(`  baselines : file read ${read.toFixed(0)} MB/s; whole converter vs stream-json tokenizer x${(size / s / sj).toFixed(1)} (the rest is formatting rows and writing label files)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (values['generate-only']) {
    console.log(await generateCoco(values['generate-only'], Number(values['coco-mb']) * 1e6));
    return;
  }
  if (values['coco-child']) {
    const s = await coco2yolo({ annotations: values['coco-child'], out: values.out!, classes: ['person'], link: 'none', progress: 'silent' });
    // The converter's own sampled peak (after each 1 MB chunk and every 1024 label files). getrusage's maxRSS
    // is no good here: Linux carries it over fork/exec, so it would report the parent's size.
    console.log(JSON.stringify({ seconds: s.seconds, rows: s.rows, labelFiles: s.labelFiles, maxRssMB: s.peakRssMB }));
    return;
  }
  console.log(`machine: ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on the machine lowers every figure)`);
  if (!values['skip-synth']) await benchSynth();
  if (!values['skip-coco']) await benchCoco();
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

await main();
