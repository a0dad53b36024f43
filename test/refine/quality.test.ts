/**
 * Refined-mask quality on KS composites built at test time (sprites with exact alpha mattes pasted on
 * backgrounds; truth = pasted alpha > 127, see support/composites.ts) with the real YOLO model.
 * Prints per image and mean: foreground IoU and boundary F (2 px) for `none`, `regions`, `regions` with soft
 * edges, and `vote` fed by the fake SAM (a disc decoder: it measures that the SAM path runs end to end, not
 * SAM's quality). The truth comes from the sprites' own mattes, never from our code.
 * Asserted: `regions` raises the mean IoU over YOLO-only (the requirement), and soft edges lower the
 * alpha error near the true outline (against the sprites' anti-aliased mattes) compared with the hard mask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildComposites, KS, type Composite } from './support/composites.js';
import { loadYolo, YOLO_MODEL } from './support/yolo.js';
import { createRegionsRefiner } from '../../src/refine/regions/refiner.js';
import { createRefiner, resolveSoftEdge, runRefineStage } from '../../src/refine/index.js';
import { maskIoU, unionMasks } from '../../src/mask/ops.js';
import { boundaryFScore } from '../../src/mask/boundary.js';
import type { Instance, Refiner } from '../../src/pipeline/types.js';
import type { Mask } from '../../src/mask/types.js';

const COUNT = 6;

function unionOf(insts: Instance[], c: Composite): Mask {
  return unionMasks(
    insts.map((i) => i.mask),
    c.image.width,
    c.image.height,
  );
}

/** Mean |alpha - true alpha| / 255 over the pixels within 3 px of the true outline (where soft edges matter). */
function bandAlphaError(alpha: Uint8Array, c: Composite, band: Uint8Array): number {
  let s = 0;
  let n = 0;
  for (let p = 0; p < band.length; p++) {
    if (!band[p]) continue;
    s += Math.abs(alpha[p] - c.alpha[p]);
    n++;
  }
  return n ? s / n / 255 : 0;
}

function outlineBand(truth: Mask, r: number): Uint8Array {
  const { width: W, height: H, data } = truth;
  const band = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = data[y * W + x];
      if (x + 1 < W && data[y * W + x + 1] !== v) mark(x, y);
      if (y + 1 < H && data[(y + 1) * W + x] !== v) mark(x, y);
    }
  function mark(cx: number, cy: number) {
    for (let y = Math.max(0, cy - r); y <= Math.min(H - 1, cy + r); y++) for (let x = Math.max(0, cx - r); x <= Math.min(W - 1, cx + r); x++) band[y * W + x] = 1;
  }
  return band;
}

test('refined-mask quality on KS composites: regions beats YOLO-only', { skip: (!existsSync(YOLO_MODEL) && 'shared YOLO model missing') || (!existsSync(KS) && 'shared KS sprites missing') }, async () => {
  const comps = await buildComposites(COUNT, 0);
  const yolo = await loadYolo();
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-quality-'));
  const rows: string[] = [];
  const sums: Record<string, { iou: number; f: number }> = {};
  const ms: Record<string, number> = {};
  let softErr = 0;
  let hardErr = 0;
  try {
    const { writeFakeSamPair } = await import('../../testing/sam/fake-sam.js');
    const pair = await writeFakeSamPair(dir);
    // The registry's 'vote' (seed preset) over the fake SAM pair; a small AMG (4x4 points, no crop layer)
    // keeps the run short.
    const vote = await createRefiner('vote', { sam: { encoder: pair.encoderPath, decoder: pair.decoderPath, amg: { pointsPerSide: 4, cropNLayers: 0 } } });
    const refiners: [string, Refiner][] = [
      ['none', await createRefiner('none')],
      ['regions', createRegionsRefiner()],
      ['vote(fake SAM)', vote],
    ];
    const soft = createRegionsRefiner();
    for (const c of comps) {
      const dets = await yolo.detect(c.image);
      const cells: string[] = [];
      for (const [name, r] of refiners) {
        const t0 = performance.now();
        const out = dets.length ? await r.refine(c.image, dets) : [];
        ms[name] = (ms[name] ?? 0) + performance.now() - t0;
        const m = unionOf(out, c);
        const iou = maskIoU(m, c.truth);
        const f = boundaryFScore(m, c.truth, 2).f;
        sums[name] ??= { iou: 0, f: 0 };
        sums[name].iou += iou / comps.length;
        sums[name].f += f / comps.length;
        cells.push(`${name} IoU ${iou.toFixed(3)} F ${f.toFixed(3)}`);
      }
      // Soft edges: alpha error near the true outline, soft alpha vs the hard mask of the same refiner.
      const softOut = dets.length ? (await runRefineStage(soft, c.image, dets, resolveSoftEdge(true))).instances : [];
      const band = outlineBand(c.truth, 3);
      const alphaSoft = new Uint8Array(c.alpha.length);
      const alphaHard = new Uint8Array(c.alpha.length);
      for (const inst of softOut)
        for (let p = 0; p < alphaSoft.length; p++) {
          alphaSoft[p] = Math.max(alphaSoft[p], inst.alpha![p]);
          alphaHard[p] = Math.max(alphaHard[p], inst.mask.data[p] * 255);
        }
      const es = bandAlphaError(alphaSoft, c, band);
      const eh = bandAlphaError(alphaHard, c, band);
      softErr += es / comps.length;
      hardErr += eh / comps.length;
      rows.push(`${c.name} (${dets.length} det): ${cells.join(' | ')} | alpha err soft ${es.toFixed(3)} hard ${eh.toFixed(3)}`);
    }
    await vote.dispose?.();
  } finally {
    await yolo.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  const mean = Object.entries(sums).map(([k, v]) => `${k} IoU ${v.iou.toFixed(4)} F ${v.f.toFixed(4)}`);
  console.log(['per image:', ...rows, `mean: ${mean.join(' | ')} | band alpha error soft ${softErr.toFixed(4)} hard ${hardErr.toFixed(4)}`, `refine ms total: ${JSON.stringify(ms)}`].join('\n'));
  assert.ok(sums.regions.iou > sums.none.iou, `regions mean IoU ${sums.regions.iou} must beat YOLO-only ${sums.none.iou}`);
  // Soft edges must bring the alpha closer to the true matte near the outline than the hard mask does.
  assert.ok(softErr < hardErr, `soft-edge alpha error ${softErr} should be below the hard mask's ${hardErr}`);
});
