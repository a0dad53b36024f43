/**
 * The synthesis options that bring composites closer to real illustrations: overlapping pairs (--overlap),
 * light/colour casts (--cast) and generated plain/gradient/colour-block/pattern/busy backgrounds.
 * Expected values are hand computations from the option definitions (see each test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { composePlan, planImage, type ImagePlan, type PastePlan, type ComposeSources } from '../../src/data/synth/compose.js';
import { DEFAULT_PARAMS, type SynthParams } from '../../src/data/synth/params.js';
import { prepareForeground, type Background } from '../../src/data/synth/sources.js';
import { validateParams } from '../../src/data/synth/run.js';
import { BACKGROUND_KINDS, generateBackground, writeGeneratedBackgrounds } from '../../src/data/synth/backgrounds.js';
import { Rng } from '../../src/data/synth/rng.js';
import { AnimesegError } from '../../src/errors.js';

/** A 10x10 opaque white square foreground on a 100x100 black background (as in synth.test.ts). */
function squareSources(): ComposeSources {
  const rgba = new Uint8Array(10 * 10 * 4).fill(255);
  const bg: Background = { rgb: new Uint8Array(100 * 100 * 3), width: 100, height: 100, bytes: 30000 };
  return { fgCount: 1, bgCount: 1, foreground: async () => prepareForeground(rgba, 10, 10)!, background: async () => bg };
}

function paste(scale: number, x: number, y: number, anchor?: PastePlan['anchor']): PastePlan {
  return { fg: 0, crop: [0, 0, 1, 1], flip: false, angleDeg: 0, scale, pos: [x, y], color: 1, brightness: 1, contrast: 1, sharpness: 1, ...(anchor ? { anchor } : {}) };
}

function plan(pastes: PastePlan[], extra: Partial<ImagePlan> = {}): ImagePlan {
  return { bg: 0, pastes, noiseSigma: 0, grayscale: false, resample: 0, jpegQuality: 95, noiseSeed: 1, ...extra };
}

test('--overlap: an anchored paste is centred from its partner box, whatever its own pos', async () => {
  // Paste 1: 40x40 square (fit scale 10 x 0.4) centred at (30, 50): box x 10..50, y 30..70.
  // Paste 2 anchored with dx = 0.5, dy = 0.25: centre x = 30 + 0.5 x 40 = 50, y = 50 + 0.25 x 40 = 60, so its
  // box is x 30..70, y 40..80 (its own pos (0.9, 0.1) is ignored).
  const img = await composePlan(plan([paste(0.4, 0.3, 0.5), paste(0.4, 0.9, 0.1, { paste: 0, dx: 0.5, dy: 0.25 })]), 'enhanced', squareSources());
  assert.deepEqual(img.instances.map((i) => i.box), [
    [10, 30, 50, 70],
    [30, 40, 70, 80],
  ]);
  // Paste 1 keeps x 10..29 over y 30..69 plus x 30..49 over y 30..39 (above paste 2): 800 + 200 px, less
  // three of its corner pixels (10,30), (10,69), (49,30) (bilinear coverage 0.625² < 0.5, see synth.test.ts),
  // plus paste 2's corner pixel (30,40), too transparent to occlude: 1000 - 3 + 1 = 998 px.
  let visible1 = 0;
  for (const v of img.owner) if (v === 1) visible1++;
  assert.equal(visible1, 998);
});

test('--overlap: planned anchors point to an earlier paste, offsets and scales stay in range; 0 draws nothing', () => {
  const p: SynthParams = { ...DEFAULT_PARAMS, maxForegrounds: 3, overlapProb: 1, overlapOffset: [0.25, 0.6] };
  let anchored = 0;
  for (let i = 0; i < 200; i++) {
    const pl = planImage(p, i, 5, 3);
    pl.pastes.forEach((t, k) => {
      if (k === 0) return assert.equal(t.anchor, undefined);
      assert.ok(t.anchor, `image ${i} paste ${k} has no anchor with --overlap 1`);
      anchored++;
      assert.ok(t.anchor.paste >= 0 && t.anchor.paste < k);
      assert.ok(Math.abs(t.anchor.dx) >= 0.25 && Math.abs(t.anchor.dx) <= 0.6);
      assert.ok(Math.abs(t.anchor.dy) <= 0.15);
      const ratio = t.scale / pl.pastes[t.anchor.paste].scale;
      assert.ok(ratio >= 0.85 - 1e-9 && ratio <= 1.15 + 1e-9, `scale ratio ${ratio}`);
    });
  }
  assert.ok(anchored > 100);
  // Off (the default): plans carry no anchor and no cast, so older runs keep their exact images.
  for (let i = 0; i < 50; i++) {
    const pl = planImage(DEFAULT_PARAMS, i, 5, 3);
    assert.ok(pl.pastes.every((t) => t.anchor === undefined));
    assert.equal(pl.cast, undefined);
  }
});

test('--cast: out = gain x in + offset per channel, clamped to 0..255 (not wrapped)', async () => {
  // White square (255) at x 10..50 over black (0). Gains (0.5, 1, 2), offsets (10, 0, -300):
  //   square: R 0.5 x 255 + 10 = 137.5 → 138 (round half up), G 255, B 2 x 255 - 300 = 210;
  //   background: R 10, G 0, B -300 → 0 (a byte wrap would give 212).
  const cast = { gain: [0.5, 1, 2] as [number, number, number], offset: [10, 0, -300] as [number, number, number] };
  const img = await composePlan(plan([paste(0.4, 0.3, 0.5)], { cast }), 'enhanced', squareSources());
  const at = (x: number, y: number) => Array.from(img.rgb.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3));
  assert.deepEqual(at(20, 50), [138, 255, 210]);
  assert.deepEqual(at(80, 50), [10, 0, 0]);
  // Planned casts stay within the documented ranges: light x tint gains in [(1-s)(1-s/2), (1+s)(1+s/2)].
  const s = 0.25;
  for (let i = 0; i < 100; i++) {
    const c = planImage({ ...DEFAULT_PARAMS, castProb: 1, castStrength: s }, i, 2, 2).cast!;
    for (const g of c.gain) assert.ok(g >= (1 - s) * (1 - s / 2) - 1e-9 && g <= (1 + s) * (1 + s / 2) + 1e-9);
    for (const o of c.offset) assert.ok(Math.abs(o) <= 64 * s + 16 * s + 1e-9);
  }
});

test('the new options are checked: probabilities in [0, 1], a strength in [0, 1]', () => {
  assert.throws(() => validateParams({ ...DEFAULT_PARAMS, overlapProb: 1.5 }), (e: unknown) => e instanceof AnimesegError && /--overlap/.test(e.message));
  assert.throws(() => validateParams({ ...DEFAULT_PARAMS, castProb: -0.1 }), (e: unknown) => e instanceof AnimesegError && /--cast/.test(e.message));
  assert.throws(() => validateParams({ ...DEFAULT_PARAMS, castStrength: 2 }), (e: unknown) => e instanceof AnimesegError && /--cast-strength/.test(e.message));
  assert.throws(() => validateParams({ ...DEFAULT_PARAMS, overlapOffset: [0.6, 0.2] }), (e: unknown) => e instanceof AnimesegError && /--overlap-offset/.test(e.message));
});

/** Distinct RGB colours of an image. */
function colours(rgb: Uint8Array): Set<number> {
  const s = new Set<number>();
  for (let i = 0; i < rgb.length; i += 3) s.add((rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2]);
  return s;
}

test('generated backgrounds: each kind looks as named and depends only on its seed', () => {
  const W = 120;
  const H = 80;
  for (const kind of BACKGROUND_KINDS) {
    const a = generateBackground(kind, new Rng(7, 1), W, H);
    assert.deepEqual(a, generateBackground(kind, new Rng(7, 1), W, H), `${kind} is not deterministic`);
    assert.equal(a.length, W * H * 3);
    const n = colours(a).size;
    if (kind === 'white') {
      assert.equal(n, 1);
      assert.ok(Math.min(a[0], a[1], a[2]) >= 225);
    } else if (kind === 'flat') assert.equal(n, 1);
    else if (kind === 'pattern') assert.ok(n <= 2, `pattern has ${n} colours`); // ground + ink (same colour → 1)
    else if (kind === 'gradient') {
      // A linear ramp between two colours: each channel is monotonic along every row and column.
      for (let ch = 0; ch < 3; ch++) {
        const row = Array.from({ length: W }, (_, x) => a[(40 * W + x) * 3 + ch]);
        const up = row.every((v, i) => i === 0 || v >= row[i - 1]);
        const down = row.every((v, i) => i === 0 || v <= row[i - 1]);
        assert.ok(up || down, `gradient channel ${ch} is not monotonic along a row`);
      }
    } else if (kind === 'busy') assert.ok(n >= 10, `busy has only ${n} colours`);
    else if (kind === 'blocks') assert.ok(n >= 2 && n <= 7, `blocks has ${n} colours`); // ground + 2..6 blocks
  }
});

test('writeGeneratedBackgrounds writes count PNGs cycling through the kinds; a rerun keeps existing files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'animeseg-bg-'));
  try {
    const out = join(dir, 'bg');
    const files = await writeGeneratedBackgrounds({ out, count: 7, seed: 3, sizes: [[64, 48]] });
    assert.equal(files.length, 7);
    assert.deepEqual((await readdir(out)).sort(), files.map((f) => f.slice(out.length + 1)).sort());
    assert.match(files[0], /bg_white_0000\.png$/);
    assert.match(files[6], /bg_white_0006\.png$/); // 6 kinds, then round again
    const meta = await sharp(files[3]).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [64, 48, 3]);
    const before = (await stat(files[2])).mtimeMs;
    await writeGeneratedBackgrounds({ out, count: 7, seed: 3, sizes: [[64, 48]] });
    assert.equal((await stat(files[2])).mtimeMs, before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
