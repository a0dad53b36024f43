/**
 * The synthesis options that bring composites closer to real illustrations: overlapping pairs (--overlap),
 * light/colour casts (--cast) and generated plain/gradient/colour-block/pattern/busy backgrounds.
 * --closeup (bust/face crops), --lineart and --bubbles (speech balloons), --harmonize (scene colour).
 * Expected values are hand computations from the option definitions (see each test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { composePlan, drawBubble, planImage, toLineArt, type ImagePlan, type PastePlan, type ComposeSources } from '../../src/data/synth/compose.js';
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

test("--harmonize: the character's mean colour moves a fraction t toward the background's under it", async () => {
  // White square (mean 255, alpha-weighted: every layer pixel is premultiplied white) pasted into the box
  // x 10..50, y 30..70. On black (mean 0 there) with t = 0.4 the shift is 0.4 x (0 - 255) = -102: inside
  // 255 - 102 = 153; the background stays 0.
  const dark = await composePlan(plan([{ ...paste(0.4, 0.3, 0.5), harmonize: 0.4 }]), 'enhanced', squareSources());
  const px = (img: { rgb: Uint8Array }, x: number, y: number) => Array.from(img.rgb.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3));
  assert.deepEqual(px(dark, 30, 50), [153, 153, 153]);
  assert.deepEqual(px(dark, 80, 50), [0, 0, 0]);
  // On a background of (100, 20, 240) with t = 0.5: 255 + 0.5 x (c - 255) = (177.5, 137.5, 247.5), rounded half
  // up to (178, 138, 248). The labels do not change: the owner map is the same as without the option.
  const tinted: Background = { rgb: new Uint8Array(100 * 100 * 3).map((_, i) => [100, 20, 240][i % 3]), width: 100, height: 100, bytes: 30000 };
  const src = { ...squareSources(), background: async () => tinted };
  const lit = await composePlan(plan([{ ...paste(0.4, 0.3, 0.5), harmonize: 0.5 }]), 'enhanced', src);
  assert.deepEqual(px(lit, 30, 50), [178, 138, 248]);
  assert.deepEqual(lit.owner, (await composePlan(plan([paste(0.4, 0.3, 0.5)]), 'enhanced', src)).owner);
  // Planned: with P = 1 every paste gets t within the strength range; with 0 (the default) none, so runs
  // without the option keep their exact images.
  for (let i = 0; i < 50; i++) {
    for (const t of planImage({ ...DEFAULT_PARAMS, harmonizeProb: 1, harmonizeStrength: [0.2, 0.3] }, i, 4, 2).pastes) assert.ok(t.harmonize! >= 0.2 && t.harmonize! <= 0.3);
    assert.ok(planImage(DEFAULT_PARAMS, i, 4, 2).pastes.every((t) => t.harmonize === undefined));
  }
  assert.throws(() => validateParams({ ...DEFAULT_PARAMS, harmonizeProb: 2 }), (e: unknown) => e instanceof AnimesegError && /--harmonize/.test(e.message));
  assert.throws(() => validateParams({ ...DEFAULT_PARAMS, harmonizeStrength: [0.5, 1.5] }), (e: unknown) => e instanceof AnimesegError && /--harmonize-strength/.test(e.message));
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

test('--closeup: the top part of a character, scaled up, low in the frame', () => {
  const p: SynthParams = { ...DEFAULT_PARAMS, maxForegrounds: 2, closeupProb: 1, closeupKeep: [0.25, 0.6], closeupScale: [1.3, 2.2] };
  for (let i = 0; i < 100; i++) {
    for (const t of planImage(p, i, 4, 2).pastes) {
      const [x, y, w, h] = t.crop;
      assert.equal(y, 0, 'a close-up keeps the top (head and shoulders)');
      assert.ok(h >= 0.25 && h <= 0.6 && w >= 0.6 && w <= 1 && x >= 0 && x + w <= 1 + 1e-9);
      assert.ok(t.scale >= 1.3 && t.scale <= 2.2);
      assert.ok(Math.abs(t.angleDeg) <= 10);
      assert.ok(t.pos[0] >= 0.3 && t.pos[0] <= 0.7 && t.pos[1] >= 0.5 && t.pos[1] <= 0.8);
    }
  }
  // Off: crops come only from --crop (default 0.1), so most pastes are whole characters.
  const whole = planImage({ ...DEFAULT_PARAMS, maxForegrounds: 8 }, 3, 4, 2).pastes.filter((t) => t.crop[3] === 1).length;
  assert.ok(whole >= 1);
});

test('--bubbles: a balloon hides what is under it (owner 0) over about pi (r + outline)^2 pixels, with text strokes', () => {
  const W = 100;
  const H = 100;
  const canvas = new Float32Array(W * H * 3).fill(128);
  const owner = new Uint8Array(W * H).fill(1);
  // r = 0.2 x 100 = 20 px, outline t = max(1, 0.006 x 100) = 1 px: outer radius 21 → pi x 21^2 = 1385 px.
  drawBubble(canvas, owner, W, H, { cx: 0.5, cy: 0.5, rx: 0.2, ry: 0.2, lines: 2 });
  const hidden = owner.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
  assert.ok(Math.abs(hidden - Math.PI * 21 * 21) < 30, `hidden ${hidden}`);
  assert.equal(owner[28 * W + 50], 1); // 21.5 px above the centre: outside
  assert.equal(owner[29 * W + 50], 0); // 20.5 px: on the outline
  assert.equal(canvas[(29 * W + 50) * 3], 20); // outline colour
  assert.equal(canvas[(50 * W + 50) * 3 + 1] === 255 || canvas[(50 * W + 50) * 3 + 1] === 30, true);
  // Text strokes (30) and paper (255) both inside; the outside keeps its 128.
  let text = 0;
  let paper = 0;
  for (let i = 0; i < W * H; i++) {
    if (canvas[i * 3] === 30) text++;
    if (canvas[i * 3] === 255) paper++;
  }
  assert.ok(text > 20 && paper > text, `text ${text}, paper ${paper}`);
  assert.equal(canvas[0], 128);
});

test('--bubbles in a composite: a character under a balloon loses those pixels from its label', async () => {
  // The 40x40 square (1600 px, less 4 corner pixels) centred at (50, 50) under a balloon of radius 10 + 1
  // px at its centre: it keeps 1596 - pi x 11^2 (~380) px.
  const bubbles = [{ cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.1, lines: 1 }];
  const img = await composePlan(plan([paste(0.4, 0.5, 0.5)], { bubbles }), 'enhanced', squareSources());
  const visible = img.owner.reduce((s, v) => s + (v === 1 ? 1 : 0), 0);
  assert.ok(Math.abs(visible - (1596 - Math.PI * 121)) < 15, `visible ${visible}`);
});

test('--lineart: flat areas turn white, a black/white step becomes a black line', () => {
  const W = 20;
  const H = 10;
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 10; x < W; x++) rgb.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
  toLineArt(rgb, W, H);
  // Sobel at x = 9 and 10: |gx| = (1 + 2 + 1) x 255 = 1020 → 0 (black); elsewhere gx = gy = 0 → 255.
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const want = x === 9 || x === 10 ? 0 : 255;
      assert.equal(rgb[(y * W + x) * 3], want, `(${x}, ${y})`);
      assert.equal(rgb[(y * W + x) * 3 + 2], want);
    }
  }
  // The options are planned only when on, and then as asked.
  assert.equal(planImage({ ...DEFAULT_PARAMS, lineartProb: 1 }, 0, 2, 2).lineart, true);
  assert.equal(planImage(DEFAULT_PARAMS, 0, 2, 2).lineart, undefined);
  const b = planImage({ ...DEFAULT_PARAMS, bubbleProb: 1 }, 0, 2, 2).bubbles!;
  assert.ok(b.length >= 1 && b.length <= 3);
});
