/**
 * SAM pipeline cost on real illustrations, with the generated fake SAM models (testing/sam):
 * the fake encoder/decoder are cheap closed forms, so these figures measure OUR code (preprocessing,
 * prompt batching, the AMG's post-processing, the box refiner's selection), not Segment Anything itself.
 * The fake decoder used here builds its masks as the real export does (SamOnnxModel.mask_postprocessing:
 * bilinear 256 -> 1024, crop, bilinear -> original size), so its time is a LOWER BOUND of a real SAM decoder's
 * (which also runs the prompt encoder and the two-way transformer): post/decoder here is an upper bound.
 *
 * Prints per image the median over runs of: encoder ms (incl. resize/normalise), decoder ms (session runs),
 * AMG post-processing ms (stability, thresholds, boxes, RLE, uncrop, NMS, mask decode) and post/decoder,
 * plus post-processing ms per candidate mask (independent of the decoder, comparable to real SAM decoder cost),
 * then the box refiner's ms per instance.
 *
 * Usage: npx tsx bench/sam.ts [images=3] [runs=3] [pointsPerSide=16] [cropNLayers=0]
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImageFile } from '../src/image/decode.js';
import { SamDecoder } from '../src/models/sam/decoder.js';
import { SamEncoder } from '../src/models/sam/encoder.js';
import { AutomaticMaskGenerator } from '../src/models/sam/amg/generator.js';
import { writeFakeSamPair } from '../testing/sam/fake-sam.js';
import { createSamBoxRefiner } from '../src/refine/sam-box.js';
import { binaryStride, binaryToCropRle, scoreAndBinarize } from '../src/models/sam/amg/rle.js';
import { loadavg, cpus } from 'node:os';
import type { Instance } from '../src/pipeline/types.js';
import type { RawImage } from '../src/image/types.js';

const nImages = Number(process.argv[2] ?? 3);
const runs = Number(process.argv[3] ?? 3);
const pointsPerSide = Number(process.argv[4] ?? 16); // SAM uses 32; 16 keeps a run short, cost per prompt is the same
const cropNLayers = Number(process.argv[5] ?? 0);

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (v: number) => v.toFixed(1).padStart(8);

const dir = await mkdtemp(join(tmpdir(), 'animeseg-bench-sam-'));
try {
  const imgDir = new URL('../../shared/data/illustrations/images/', import.meta.url).pathname;
  const files = (await readdir(imgDir)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, nImages);
  const images: { name: string; image: RawImage }[] = [];
  for (const f of files) images.push({ name: f, image: (await decodeImageFile(join(imgDir, f))).image });

  const batched = await writeFakeSamPair(dir, { batched: true, realisticUpsampling: true });
  const single = await writeFakeSamPair(dir, { batched: false, realisticUpsampling: true });
  const encoder = await SamEncoder.load(batched.encoderPath, { cacheSize: 0 });
  const decB = await SamDecoder.load(batched.decoderPath);
  const decS = await SamDecoder.load(single.decoderPath);

  console.log(`# AMG with fake SAM models: points_per_side ${pointsPerSide}, crop_n_layers ${cropNLayers}, median of ${runs} runs`);
  console.log(`# (fake models: the figures measure animeseg's code, not Segment Anything)`);
  console.log(`# machine: ${cpus().length} cores, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} at start`);

  // The per-candidate kernels alone on one plane of the first image's size (min and median of 30 runs):
  // insensitive to the decoder, comparable with any decoder's cost per output mask.
  {
    const { width: W, height: H } = images[0].image;
    const logits = new Float32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) logits[y * W + x] = 10 * (H / 4 - Math.hypot(x - W / 2, y - H / 2));
    const bin = new Uint8Array(binaryStride(W) * H);
    const kernel = (f: () => unknown) => {
      for (let i = 0; i < 5; i++) f();
      const ts: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        f();
        ts.push(performance.now() - t0);
      }
      return `min ${Math.min(...ts).toFixed(2)} ms, median ${median(ts).toFixed(2)} ms`;
    };
    console.log(`\n## per-candidate kernels on a ${W}x${H} mask`);
    console.log(`stability counts + binarise (every candidate past the IoU filter): ${kernel(() => scoreAndBinarize(logits, W, H, 0, 1, bin))}`);
    console.log(`box + full-image RLE (candidates past stability):                  ${kernel(() => binaryToCropRle(bin, [0, 0, W, H], W, H))}`);
  }
  for (const [label, decoder] of [
    ['batched export', decB],
    ['one prompt per call', decS],
  ] as const) {
    console.log(`\n## decoder: ${label}`);
    console.log('image                      size        encoder  decoder   calls     post  post/dec  post us/mask  segments');
    const ratios: number[] = [];
    for (const { name, image } of images) {
      // pred_iou_thresh 0: every multimask output goes through stability, so post-processing does its full work
      const amg = new AutomaticMaskGenerator(encoder, decoder, { pointsPerSide, cropNLayers, predIouThresh: 0 });
      const t = { enc: [] as number[], dec: [] as number[], post: [] as number[], perMask: [] as number[] };
      let calls = 0;
      let segs = 0;
      for (let r = 0; r < runs; r++) {
        const res = await amg.generate(image);
        t.enc.push(res.timings.encoder);
        t.dec.push(res.timings.decoder);
        t.post.push(res.timings.post);
        t.perMask.push((1000 * res.timings.post) / Math.max(1, res.timings.candidates));
        calls = res.timings.decoderCalls;
        segs = res.timings.segments;
      }
      const ratio = median(t.post) / median(t.dec);
      ratios.push(ratio);
      console.log(
        `${name.padEnd(24)} ${`${image.width}x${image.height}`.padStart(9)} ${fmt(median(t.enc))} ${fmt(median(t.dec))} ${String(calls).padStart(7)} ${fmt(median(t.post))} ${ratio.toFixed(3).padStart(9)} ${fmt(median(t.perMask)).padStart(13)} ${String(segs).padStart(9)}`,
      );
    }
    console.log(`median post/decoder ratio: ${median(ratios).toFixed(3)} (target < 0.2; the decoder here is a lower bound of SAM's)`);
  }

  // Box refiner: ms per instance (encoder excluded: it runs once per image and is the model's cost).
  console.log(`\n## box refiner, ms per instance (median of ${runs} runs; encoder once per image, excluded)`);
  console.log('image                      instances   batched/inst  single/inst');
  for (const { name, image } of images.slice(0, 2)) {
    const { width: W, height: H } = image;
    for (const n of [1, 4, 8]) {
      // n elliptical "characters" side by side
      const instances: Instance[] = [];
      for (let i = 0; i < n; i++) {
        const cx = ((i + 0.5) * W) / n;
        const cy = H / 2;
        const rx = W / (2.5 * n);
        const ry = H / 3;
        const data = new Uint8Array(W * H);
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1) data[y * W + x] = 1;
        instances.push({ classId: 0, className: 'person', score: 0.9, box: [cx - rx, cy - ry, cx + rx, cy + ry], mask: { data, width: W, height: H } });
      }
      const per: number[][] = [[], []];
      for (const [k, decoder] of [decB, decS].entries()) {
        const enc = await SamEncoder.load(batched.encoderPath);
        const refiner = await createSamBoxRefiner({ encoder: enc, decoder, points: 3 });
        await refiner.refine(image, instances); // warm the embedding cache
        for (let r = 0; r < runs; r++) {
          const t0 = performance.now();
          await refiner.refine(image, instances);
          per[k].push((performance.now() - t0) / n);
        }
        await enc.dispose();
      }
      console.log(`${name.padEnd(24)} ${String(n).padStart(11)} ${fmt(median(per[0])).padStart(14)} ${fmt(median(per[1])).padStart(12)}`);
    }
  }
  await Promise.all([encoder.dispose(), decB.dispose(), decS.dispose()]);
} finally {
  await rm(dir, { recursive: true, force: true });
}
