/**
 * The pixel work of one synthetic image, on typed arrays: paste foregrounds on a background (later ones
 * occlude earlier ones) and keep, for every pixel, which instance owns it. An instance owns a pixel where
 * its alpha is >= 0.5 at the moment it is pasted; the owner map at the end gives each instance's exact
 * VISIBLE mask, from which labels are traced (labels.ts).
 */
import sharp from 'sharp';
import type { SynthParams } from './params.js';
import { imageRng, Rng } from './rng.js';
import { foregroundLevel, type Background, type Foreground } from './sources.js';

export interface ComposeSources {
  fgCount: number;
  bgCount: number;
  foreground(i: number): Promise<Foreground>;
  background(i: number): Promise<Background>;
}

/** Where and how one foreground is pasted. Drawn before any pixel work, so the plan is cheap to test. */
export interface PastePlan {
  fg: number;
  /** Kept part of the (alpha-cropped) foreground, as fractions of its size: x, y, w, h. */
  crop: [number, number, number, number];
  flip: boolean;
  angleDeg: number;
  /** Multiplier on the fit-to-canvas scale. */
  scale: number;
  /** Centre of the pasted foreground as fractions of the canvas (simple mode: position of the fit box). */
  pos: [number, number];
  /** colour (saturation), brightness, contrast, sharpness factors. */
  color: number;
  brightness: number;
  contrast: number;
  sharpness: number;
  /** Placed next to an earlier paste (index into pastes): centre offset as fractions of that paste's
   * destination box width and height; replaces pos. */
  anchor?: { paste: number; dx: number; dy: number };
  /** Fraction by which the character's mean colour moves toward the mean of the background under it. */
  harmonize?: number;
}

/** Light/colour cast over the whole image: out = gain * in + offset, per channel (8-bit units). */
export interface ColourCast {
  gain: [number, number, number];
  offset: [number, number, number];
}

/** A speech balloon: an ellipse (centre and radii, fractions of the canvas) with `lines` text-like strokes. */
export interface Bubble {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  lines: number;
}

export interface ImagePlan {
  bg: number;
  pastes: PastePlan[];
  noiseSigma: number;
  grayscale: boolean;
  resample: number; // 0 = off, else the down factor
  cast?: ColourCast;
  lineart?: boolean;
  bubbles?: Bubble[];
  jpegQuality: number;
  noiseSeed: number;
}

export function planImage(p: SynthParams, index: number, fgCount: number, bgCount: number): ImagePlan {
  const rng: Rng = imageRng(p.seed, index);
  const bg = rng.int(0, bgCount - 1);
  const enhanced = p.mode === 'enhanced';
  const n = enhanced ? rng.int(1, p.maxForegrounds) : 1;
  const pastes: PastePlan[] = [];
  for (let k = 0; k < n; k++) {
    const fg = rng.int(0, fgCount - 1);
    let crop: [number, number, number, number] = [0, 0, 1, 1];
    if (enhanced && rng.chance(p.cropProb)) {
      const kw = rng.uniform(p.cropKeep[0], p.cropKeep[1]);
      const kh = rng.uniform(p.cropKeep[0], p.cropKeep[1]);
      crop = [rng.uniform(0, 1 - kw), rng.uniform(0, 1 - kh), kw, kh];
    }
    const flip = enhanced && rng.chance(p.flipProb);
    let angleDeg = enhanced ? rng.uniform(-p.rotate, p.rotate) : 0;
    let scale = enhanced ? rng.uniform(p.scale[0], p.scale[1]) : 1;
    let pos: [number, number] = [rng.next(), rng.next()];
    // Close-up (drawn only when the option is on): the top of the character, centred-ish, scaled up, low in
    // the frame as a bust portrait sits.
    if (enhanced && p.closeupProb > 0 && rng.chance(p.closeupProb)) {
      const kh = rng.uniform(p.closeupKeep[0], p.closeupKeep[1]);
      const kw = rng.uniform(0.6, 1);
      crop = [(1 - kw) / 2 + rng.uniform(-0.1, 0.1) * (1 - kw), 0, kw, kh];
      crop[0] = Math.min(1 - kw, Math.max(0, crop[0]));
      scale = rng.uniform(p.closeupScale[0], p.closeupScale[1]);
      angleDeg = rng.uniform(-Math.min(10, p.rotate), Math.min(10, p.rotate));
      pos = [rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.8)];
    }
    const j = enhanced ? p.jitter : ([1, 1] as [number, number]);
    // Drawn only when the option is on, so runs without it keep their exact images.
    let anchor: PastePlan['anchor'];
    let anchoredScale = scale;
    if (enhanced && k > 0 && p.overlapProb > 0 && rng.chance(p.overlapProb)) {
      const to = rng.int(0, k - 1);
      const side = rng.chance(0.5) ? -1 : 1;
      anchor = { paste: to, dx: side * rng.uniform(p.overlapOffset[0], p.overlapOffset[1]), dy: rng.uniform(-0.15, 0.15) };
      anchoredScale = pastes[to].scale * rng.uniform(0.85, 1.15); // partners drawn at about the same size
    }
    // Drawn only when the option is on (as above).
    const harmonize = enhanced && p.harmonizeProb > 0 && rng.chance(p.harmonizeProb) ? rng.uniform(p.harmonizeStrength[0], p.harmonizeStrength[1]) : undefined;
    pastes.push({
      fg,
      crop,
      flip,
      angleDeg,
      scale: anchoredScale,
      pos,
      color: rng.uniform(j[0], j[1]),
      brightness: rng.uniform(j[0], j[1]),
      contrast: rng.uniform(j[0], j[1]),
      sharpness: rng.uniform(j[0], j[1]),
      ...(anchor ? { anchor } : {}),
      ...(harmonize !== undefined ? { harmonize } : {}),
    });
  }
  const noiseSigma = enhanced ? rng.uniform(0, p.noise) : 0;
  const grayscale = rng.chance(p.grayscaleProb);
  const resample = rng.chance(p.resampleProb) ? rng.uniform(p.resampleRange[0], p.resampleRange[1]) : 0;
  const jpegQuality = rng.int(p.jpegQuality[0], p.jpegQuality[1]);
  const noiseSeed = rng.u32();
  let cast: ColourCast | undefined;
  if (p.castProb > 0 && rng.chance(p.castProb)) {
    const s = p.castStrength;
    // One shared light change plus a per-channel tint: warm/cool/coloured light as in real illustrations.
    const light = rng.uniform(1 - s, 1 + s);
    const tint = (): number => light * rng.uniform(1 - s / 2, 1 + s / 2);
    const lift = rng.uniform(-64 * s, 64 * s);
    cast = { gain: [tint(), tint(), tint()], offset: [lift + rng.uniform(-16 * s, 16 * s), lift + rng.uniform(-16 * s, 16 * s), lift + rng.uniform(-16 * s, 16 * s)] };
  }
  const lineart = p.lineartProb > 0 && rng.chance(p.lineartProb);
  let bubbles: Bubble[] | undefined;
  if (p.bubbleProb > 0 && rng.chance(p.bubbleProb)) {
    bubbles = [];
    for (let k = rng.int(1, 3); k > 0; k--) {
      const rx = rng.uniform(0.06, 0.16);
      bubbles.push({ cx: rng.next(), cy: rng.uniform(0.05, 0.6), rx, ry: rx * rng.uniform(0.5, 1.2), lines: rng.int(1, 4) });
    }
  }
  return { bg, pastes, noiseSigma, grayscale, resample, jpegQuality, noiseSeed, ...(cast ? { cast } : {}), ...(lineart ? { lineart } : {}), ...(bubbles ? { bubbles } : {}) };
}

export interface PlacedInstance {
  /** 1-based id used in the owner map. */
  id: number;
  fg: number;
  /** Clipped destination box [x0, y0, x1, y1) of the pasted layer. */
  box: [number, number, number, number];
}

export interface ComposedImage {
  width: number;
  height: number;
  rgb: Uint8Array;
  /** Per pixel: id of the instance visible there (0 = background). */
  owner: Uint8Array;
  instances: PlacedInstance[];
  plan: ImagePlan;
}

/** Reused scratch buffers (one set per worker): no per-image allocation of large arrays. */
class Scratch {
  layer = new Float32Array(0);
  canvas = new Float32Array(0);
  ensureLayer(n: number): Float32Array {
    if (this.layer.length < n) this.layer = new Float32Array(n);
    return this.layer;
  }
  ensureCanvas(n: number): Float32Array {
    if (this.canvas.length < n) this.canvas = new Float32Array(n);
    return this.canvas;
  }
}
const scratch = new Scratch();

/** 64 Ki standard normal values from a fixed seed: noise indexes it with a fast per-image generator. */
let normalTable: Float32Array | null = null;
function normals(): Float32Array {
  if (!normalTable) {
    const r = new Rng(0x5eed, 0);
    normalTable = new Float32Array(65536);
    for (let i = 0; i < normalTable.length; i++) normalTable[i] = r.normal();
  }
  return normalTable;
}

export async function composeImage(p: SynthParams, index: number, src: ComposeSources): Promise<ComposedImage> {
  return composePlan(planImage(p, index, src.fgCount, src.bgCount), p.mode, src);
}

/** Execute a plan (tests build plans by hand to check occlusion exactly). */
export async function composePlan(plan: ImagePlan, mode: SynthParams['mode'], src: ComposeSources): Promise<ComposedImage> {
  // Load everything first: the pixel work below never awaits, so two images composed concurrently in one
  // worker (one encoding while the next composes) cannot interleave on the shared scratch buffers.
  const bg = await src.background(plan.bg);
  const fgs: Foreground[] = [];
  for (const paste of plan.pastes) fgs.push(await src.foreground(paste.fg));
  const W = bg.width;
  const H = bg.height;
  const canvas = scratch.ensureCanvas(W * H * 3);
  canvas.set(bg.rgb); // u8 → f32 conversion in native code
  const owner = new Uint8Array(W * H);
  const instances: PlacedInstance[] = [];
  const boxes: ([number, number, number, number] | null)[] = [];
  for (let k = 0; k < plan.pastes.length; k++) {
    const paste = anchoredPaste(plan.pastes[k], boxes, W, H);
    const fg = fgs[k];
    const box = pasteForeground(canvas, owner, W, H, fg, paste, k + 1, mode);
    boxes.push(box);
    if (box) instances.push({ id: k + 1, fg: paste.fg, box });
  }
  if (plan.bubbles) for (const b of plan.bubbles) drawBubble(canvas, owner, W, H, b);
  let rgb = finish(canvas, W, H, plan);
  if (plan.resample > 0) rgb = await resample(rgb, W, H, plan.resample);
  return { width: W, height: H, rgb, owner, instances, plan };
}

/** A paste anchored to an earlier one gets its centre from that one's destination box (unchanged when the
 * earlier paste landed nowhere). */
function anchoredPaste(t: PastePlan, boxes: readonly ([number, number, number, number] | null)[], W: number, H: number): PastePlan {
  const box = t.anchor ? boxes[t.anchor.paste] : null;
  if (!t.anchor || !box) return t;
  const cx = (box[0] + box[2]) / 2 + t.anchor.dx * (box[2] - box[0]);
  const cy = (box[1] + box[3]) / 2 + t.anchor.dy * (box[3] - box[1]);
  return { ...t, pos: [Math.min(1, Math.max(0, cx / W)), Math.min(1, Math.max(0, cy / H))] };
}

/** Where one foreground lands: its kept source rectangle, scale, rotation and the clipped destination box. */
interface Placement {
  /** Kept source rectangle, level-0 pixels. */
  sx0: number;
  sy0: number;
  sw: number;
  sh: number;
  /** Source → destination scale. */
  s: number;
  cos: number;
  sin: number;
  /** Destination centre. */
  px: number;
  py: number;
  /** -1 when flipped. */
  fx: number;
  /** Clipped destination box [x0, y0, x1, y1). */
  box: [number, number, number, number];
}

/**
 * Warp one foreground into the canvas: inverse-mapped bilinear sampling of premultiplied RGBA (from the
 * pyramid level nearest above the target scale), PIL-style colour/brightness/contrast/sharpness, then
 * "over" compositing and the owner update. Returns the clipped destination box, or null when off-canvas
 * or when it owns no pixel.
 */
function pasteForeground(
  canvas: Float32Array,
  owner: Uint8Array,
  W: number,
  H: number,
  fg: Foreground,
  t: PastePlan,
  id: number,
  mode: SynthParams['mode'],
): [number, number, number, number] | null {
  const at = placeForeground(fg, t, W, H, mode);
  if (!at) return null;
  const layer = sampleLayer(fg, at);
  return compositeLayer(canvas, owner, W, layer, at.box, t, fg.meanGray, id) ? at.box : null;
}

function placeForeground(fg: Foreground, t: PastePlan, W: number, H: number, mode: SynthParams['mode']): Placement | null {
  const base = fg.levels[0];
  // Kept source rectangle, level-0 pixels (continuous coordinates: pixel i covers [i, i+1)).
  const sx0 = Math.floor(t.crop[0] * base.width);
  const sy0 = Math.floor(t.crop[1] * base.height);
  const sw = Math.max(1, Math.round(t.crop[2] * base.width));
  const sh = Math.max(1, Math.round(t.crop[3] * base.height));
  const fit = Math.min(W / sw, H / sh);
  const s = fit * t.scale;
  const theta = (t.angleDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // Destination centre: enhanced → anywhere on the canvas (may run past the border); simple → fully inside.
  let px: number;
  let py: number;
  if (mode === 'simple') {
    px = (sw * s) / 2 + t.pos[0] * (W - sw * s);
    py = (sh * s) / 2 + t.pos[1] * (H - sh * s);
  } else {
    px = t.pos[0] * W;
    py = t.pos[1] * H;
  }
  const fx = t.flip ? -1 : 1;
  // Destination box from the transformed corners of the source rectangle.
  const hw = (sw * s) / 2;
  const hh = (sh * s) / 2;
  const ex = Math.abs(cos) * hw + Math.abs(sin) * hh;
  const ey = Math.abs(sin) * hw + Math.abs(cos) * hh;
  const bx0 = Math.max(0, Math.floor(px - ex));
  const by0 = Math.max(0, Math.floor(py - ey));
  const bx1 = Math.min(W, Math.ceil(px + ex));
  const by1 = Math.min(H, Math.ceil(py + ey));
  if (bx1 <= bx0 || by1 <= by0) return null;
  return { sx0, sy0, sw, sh, s, cos, sin, px, py, fx, box: [bx0, by0, bx1, by1] };
}

/** The foreground resampled into its destination box (premultiplied RGBA, bw x bh, scratch memory). */
function sampleLayer(fg: Foreground, at: Placement): Float32Array {
  const { sx0, sy0, sw, sh, s, cos, sin, px, py, fx } = at;
  const [bx0, by0, bx1, by1] = at.box;
  // Pyramid level: sample where one destination pixel spans 1..2 source pixels (no aliasing to speak of).
  let level = 0;
  while (s * (1 << (level + 1)) <= 1 && level < 8) level++;
  const L = foregroundLevel(fg, level);
  // Level k texel i covers level-0 pixels [2^k i, 2^k (i + 1)) (an odd last row/column is dropped).
  const f = 1 << fg.levels.indexOf(L);
  const fy = f;
  const src = L.data;
  const lw = L.width;
  // Crop rectangle in level pixels (inclusive index bounds).
  const cx0 = Math.floor(sx0 / f);
  const cy0 = Math.floor(sy0 / fy);
  const cx1 = Math.min(lw - 1, Math.ceil((sx0 + sw) / f) - 1);
  const cy1 = Math.min(L.height - 1, Math.ceil((sy0 + sh) / fy) - 1);
  const csx = (sx0 + sw / 2) / f;
  const csy = (sy0 + sh / 2) / fy;
  // Inverse map: u = c_s + F R(-θ) (d - P) / s, in level pixels.
  const ix = (fx * cos) / (s * f);
  const iy = (-sin) / (s * fy);
  const jx = (fx * sin) / (s * f);
  const jy = cos / (s * fy);

  const bw = bx1 - bx0;
  const bh = by1 - by0;
  const layer = scratch.ensureLayer(bw * bh * 4);
  layer.fill(0, 0, bw * bh * 4);
  for (let y = 0; y < bh; y++) {
    const dy = by0 + y + 0.5 - py;
    const dx0 = bx0 + 0.5 - px;
    // Sample position (pixel-centre convention: subtract 0.5 to get the bilinear base index).
    let u = csx + ix * dx0 + jx * dy - 0.5;
    let v = csy + iy * dx0 + jy * dy - 0.5;
    let o = y * bw * 4;
    for (let x = 0; x < bw; x++, u += ix, v += iy, o += 4) {
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      if (u0 < cx0 - 1 || u0 > cx1 || v0 < cy0 - 1 || v0 > cy1) continue;
      const au = u - u0;
      const av = v - v0;
      const okx0 = u0 >= cx0;
      const okx1 = u0 + 1 <= cx1;
      const oky0 = v0 >= cy0;
      const oky1 = v0 + 1 <= cy1;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      if (oky0) {
        const row = (v0 * lw + u0) * 4;
        if (okx0) {
          const wgt = (1 - au) * (1 - av);
          r += src[row] * wgt;
          g += src[row + 1] * wgt;
          b += src[row + 2] * wgt;
          a += src[row + 3] * wgt;
        }
        if (okx1) {
          const wgt = au * (1 - av);
          r += src[row + 4] * wgt;
          g += src[row + 5] * wgt;
          b += src[row + 6] * wgt;
          a += src[row + 7] * wgt;
        }
      }
      if (oky1) {
        const row = ((v0 + 1) * lw + u0) * 4;
        if (okx0) {
          const wgt = (1 - au) * av;
          r += src[row] * wgt;
          g += src[row + 1] * wgt;
          b += src[row + 2] * wgt;
          a += src[row + 3] * wgt;
        }
        if (okx1) {
          const wgt = au * av;
          r += src[row + 4] * wgt;
          g += src[row + 5] * wgt;
          b += src[row + 6] * wgt;
          a += src[row + 7] * wgt;
        }
      }
      layer[o] = r;
      layer[o + 1] = g;
      layer[o + 2] = b;
      layer[o + 3] = a;
    }
  }

  return layer;
}

/** Colour-adjust the layer, composite it "over" the canvas, and give the instance the pixels it covers. True when it owns any. */
function compositeLayer(canvas: Float32Array, owner: Uint8Array, W: number, layer: Float32Array, box: readonly number[], t: PastePlan, meanGray: number, id: number): boolean {
  const [bx0, by0, bx1, by1] = box;
  const bw = bx1 - bx0;
  const bh = by1 - by0;
  // Colour ops are linear, so they fold into c' = A c + B gray + C (PIL ImageEnhance.Color, then Brightness,
  // then Contrast around the mean gray); on premultiplied values the constant is scaled by alpha.
  const A = t.contrast * t.brightness * t.color;
  const B = t.contrast * t.brightness * (1 - t.color);
  const C = (1 - t.contrast) * t.brightness * meanGray; // per unit alpha
  const sharp = t.sharpness;
  const doSharp = Math.abs(sharp - 1) > 1e-3;
  const shift = t.harmonize ? harmonizeShift(canvas, W, layer, box, t.harmonize, A, B, C) : null;
  let any = false;
  for (let y = 0; y < bh; y++) {
    let o = y * bw * 4;
    let ci = ((by0 + y) * W + bx0) * 3;
    let pi = (by0 + y) * W + bx0;
    for (let x = 0; x < bw; x++, o += 4, ci += 3, pi++) {
      const a = layer[o + 3];
      if (a <= 0.5) continue;
      let r = layer[o];
      let g = layer[o + 1];
      let b = layer[o + 2];
      if (doSharp && x > 0 && y > 0 && x < bw - 1 && y < bh - 1) {
        // PIL SMOOTH kernel [1 1 1; 1 5 1; 1 1 1] / 13, alpha-aware so transparent neighbours do not darken
        // edges; sharpness f blends: out = blur + f (in - blur).
        const up = o - bw * 4;
        const dn = o + bw * 4;
        const sr = layer[up - 4] + layer[up] + layer[up + 4] + layer[o - 4] + 5 * r + layer[o + 4] + layer[dn - 4] + layer[dn] + layer[dn + 4];
        const sg = layer[up - 3] + layer[up + 1] + layer[up + 5] + layer[o - 3] + 5 * g + layer[o + 5] + layer[dn - 3] + layer[dn + 1] + layer[dn + 5];
        const sb = layer[up - 2] + layer[up + 2] + layer[up + 6] + layer[o - 2] + 5 * b + layer[o + 6] + layer[dn - 2] + layer[dn + 2] + layer[dn + 6];
        const sa = layer[up - 1] + layer[up + 3] + layer[up + 7] + layer[o - 1] + 5 * a + layer[o + 7] + layer[dn - 1] + layer[dn + 3] + layer[dn + 7];
        const k = a / sa;
        const br = sr * k;
        const bgc = sg * k;
        const bb = sb * k;
        r = br + sharp * (r - br);
        g = bgc + sharp * (g - bgc);
        b = bb + sharp * (b - bb);
      }
      const gray = 0.299 * r + 0.587 * g + 0.114 * b;
      const ca = (C * a) / 255;
      r = A * r + B * gray + ca;
      g = A * g + B * gray + ca;
      b = A * b + B * gray + ca;
      if (shift) {
        // Premultiplied: the shift scales with alpha like the colour itself.
        r += (shift[0] * a) / 255;
        g += (shift[1] * a) / 255;
        b += (shift[2] * a) / 255;
      }
      r = r < 0 ? 0 : r > a ? a : r;
      g = g < 0 ? 0 : g > a ? a : g;
      b = b < 0 ? 0 : b > a ? a : b;
      const keep = 1 - a / 255;
      canvas[ci] = r + keep * canvas[ci];
      canvas[ci + 1] = g + keep * canvas[ci + 1];
      canvas[ci + 2] = b + keep * canvas[ci + 2];
      if (a >= 127.5) {
        owner[pi] = id;
        any = true;
      }
    }
  }
  return any;
}

/**
 * --harmonize: the per-channel shift that moves the layer's mean colour (alpha-weighted, after the colour
 * jitter, which is linear and so maps the mean exactly; sharpening leaves a mean nearly unchanged) a fraction
 * `t` of the way to the mean of the background in the destination box, read before the paste. A mean shift,
 * not a full colour transfer: the character keeps its own contrast and palette, as a lit drawing does.
 */
function harmonizeShift(canvas: Float32Array, W: number, layer: Float32Array, box: readonly number[], t: number, A: number, B: number, C: number): [number, number, number] | null {
  const [bx0, by0, bx1, by1] = box;
  const bw = bx1 - bx0;
  const bh = by1 - by0;
  // Sums over the box: the layer's premultiplied RGB and alpha, the background's RGB.
  let fr = 0;
  let fg = 0;
  let fb = 0;
  let fa = 0;
  let gr = 0;
  let gg = 0;
  let gb = 0;
  for (let y = 0; y < bh; y++) {
    let ci = ((by0 + y) * W + bx0) * 3;
    let o = y * bw * 4;
    for (let x = 0; x < bw; x++, o += 4, ci += 3) {
      fr += layer[o];
      fg += layer[o + 1];
      fb += layer[o + 2];
      fa += layer[o + 3];
      gr += canvas[ci];
      gg += canvas[ci + 1];
      gb += canvas[ci + 2];
    }
  }
  if (fa <= 0) return null;
  // Premultiplied sums / alpha sum = the alpha-weighted mean colour (8-bit units).
  const mr = (fr * 255) / fa;
  const mg = (fg * 255) / fa;
  const mb = (fb * 255) / fa;
  const gray = 0.299 * mr + 0.587 * mg + 0.114 * mb;
  const n = bw * bh;
  return [t * (gr / n - (A * mr + B * gray + C)), t * (gg / n - (A * mg + B * gray + C)), t * (gb / n - (A * mb + B * gray + C))];
}

/** Colour cast, noise, grayscale, rounding to bytes. */
function finish(canvas: Float32Array, W: number, H: number, plan: ImagePlan): Uint8Array {
  const n = W * H * 3;
  if (plan.cast) applyCast(canvas, n, plan.cast);
  if (plan.lineart) {
    // Edges of the clean picture, before noise (noise would turn into grey speckle).
    const clean = new Uint8Array(n);
    for (let i = 0; i < n; i++) clean[i] = Math.min(255, Math.max(0, canvas[i] + 0.5));
    toLineArt(clean, W, H);
    canvas.set(clean);
  }
  const out = new Uint8Array(n);
  const sigma = plan.noiseSigma;
  if (sigma > 0) {
    const table = normals();
    let st = plan.noiseSeed | 1; // xorshift32: one cheap draw per value
    for (let i = 0; i < n; i++) {
      st ^= st << 13;
      st ^= st >>> 17;
      st ^= st << 5;
      const v = canvas[i] + sigma * table[st & 0xffff] + 0.5;
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = canvas[i] + 0.5;
      out[i] = v < 0 ? 0 : v > 255 ? 255 : v; // a colour cast can push values below 0
    }
  }
  if (plan.grayscale) {
    for (let i = 0; i < n; i += 3) {
      const g = (0.299 * out[i] + 0.587 * out[i + 1] + 0.114 * out[i + 2] + 0.5) | 0;
      out[i] = out[i + 1] = out[i + 2] = g;
    }
  }
  return out;
}

/**
 * A speech balloon: white ellipse, dark outline about 0.6 % of the short side thick, and `lines` rows of
 * dark dashes standing for text. Everything inside the outline's outer edge hides what is under it
 * (owner 0), like a balloon drawn over the art.
 */
export function drawBubble(canvas: Float32Array, owner: Uint8Array, W: number, H: number, b: Bubble): void {
  const m = Math.min(W, H);
  const cx = b.cx * W;
  const cy = b.cy * H;
  const rx = Math.max(2, b.rx * m);
  const ry = Math.max(2, b.ry * m);
  const t = Math.max(1, 0.006 * m); // outline thickness
  const rowH = (2 * ry * 0.6) / Math.max(1, b.lines); // text rows inside the middle 60 % of the height
  for (let y = Math.max(0, Math.floor(cy - ry - t)); y < Math.min(H, Math.ceil(cy + ry + t)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx - t)); x < Math.min(W, Math.ceil(cx + rx + t)); x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const outer = (dx / (rx + t)) ** 2 + (dy / (ry + t)) ** 2;
      if (outer > 1) continue;
      const inner = (dx / rx) ** 2 + (dy / ry) ** 2;
      let v = 255;
      if (inner > 1) v = 20; // outline
      else {
        // Text: dark dashes on rows within 70 % of the width, 2/3 of each row's height, broken every ~1.2 rows.
        const ry0 = dy + ry * 0.6;
        if (ry0 >= 0 && ry0 < 2 * ry * 0.6 && Math.abs(dx) < rx * 0.7) {
          const inRow = ry0 % rowH;
          const dash = Math.floor((dx + rx) / (rowH * 1.2)) % 4 !== 3;
          if (inRow < rowH * 0.45 && dash) v = 30;
        }
      }
      const o = (y * W + x) * 3;
      canvas[o] = canvas[o + 1] = canvas[o + 2] = v;
      owner[y * W + x] = 0;
    }
  }
}

/**
 * Line art: dark strokes where the image has edges, white elsewhere (a pencil sketch or uncoloured
 * line art). Sobel gradient magnitude of the luma, scaled so a step of 64 levels gives a black line.
 */
export function toLineArt(rgb: Uint8Array, W: number, H: number): void {
  const g = new Float32Array(W * H);
  for (let i = 0, j = 0; i < g.length; i++, j += 3) g[i] = 0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2];
  const at = (x: number, y: number) => g[Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      // A clean step of height d gives |g| = 4d: 4 x 64 = 256 → fully black.
      const v = 255 - Math.min(255, Math.hypot(gx, gy));
      const o = (y * W + x) * 3;
      rgb[o] = rgb[o + 1] = rgb[o + 2] = v;
    }
  }
}

/** out = gain * in + offset per channel, in place (values are clamped when rounded to bytes). */
export function applyCast(canvas: Float32Array, n: number, cast: ColourCast): void {
  const [gr, gg, gb] = cast.gain;
  const [or, og, ob] = cast.offset;
  for (let i = 0; i < n; i += 3) {
    canvas[i] = gr * canvas[i] + or;
    canvas[i + 1] = gg * canvas[i + 1] + og;
    canvas[i + 2] = gb * canvas[i + 2] + ob;
  }
}

/** Down- then up-sampling (loss of detail as in low-resolution art), through sharp's resamplers. */
async function resample(rgb: Uint8Array, W: number, H: number, factor: number): Promise<Uint8Array> {
  const w = Math.max(1, Math.round(W * factor));
  const h = Math.max(1, Math.round(H * factor));
  const small = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).resize(w, h, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  const back = await sharp(small, { raw: { width: w, height: h, channels: 3 } }).resize(W, H, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  return new Uint8Array(back.buffer, back.byteOffset, back.length);
}
