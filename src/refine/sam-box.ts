/**
 * The `box` refiner: Segment Anything prompted per YOLO instance with its box (corner labels 2 and 3) plus a
 * few positive points inside the YOLO mask. One encoder run per image (cached), one decoder run per
 * instance (several instances per run when the decoder export takes a batch). Of the decoder's outputs,
 * the one with the best blend of SAM's predicted IoU and agreement (IoU) with the YOLO mask wins; an answer
 * that barely overlaps YOLO's mask (minYoloIou) is taken as a SAM miss and YOLO's mask is kept.
 *
 * All outputs of the export are candidates: with a 4-mask export that is the single-mask token (which
 * segment-anything recommends for unambiguous box + point prompts) and the three multimask outputs.
 */
import type { RawImage } from '../image/types.js';
import type { Box, Mask } from '../mask/types.js';
import type { Instance, Refiner } from '../contracts.js';
import { AnimesegError } from '../errors.js';
import { squaredDistanceTo } from '../mask/distance.js';
import { disposeSam, loadSam, type SamModelOptions } from '../models/sam/models.js';
import { applyCoords } from '../models/sam/transforms.js';
import type { SamDecoderOutput } from '../models/sam/decoder.js';
import type { RefineTimings, TimedRefiner } from './types.js';

export interface SamBoxRefinerOptions extends SamModelOptions {
  /** Positive points per instance sampled inside its YOLO mask. Default 3. */
  points?: number;
  /** Weight of the IoU with the YOLO mask against SAM's predicted IoU when choosing an output. Default 0.5. */
  yoloWeight?: number;
  /** Cap on decoder output floats per call when batching instances (see AmgOptions.maxDecoderFloats). */
  maxDecoderFloats?: number;
  /**
   * Keep YOLO's mask when the chosen SAM output has an IoU with it below this (SAM latched onto something
   * else: a prop, the background). Default 0.25; 0 disables. Not applied to instances with an empty mask.
   */
  minYoloIou?: number;
}

export interface SamBoxRefiner extends Refiner, TimedRefiner {
  lastTimings?: RefineTimings;
}

/**
 * Deterministic interior points of a mask: the first is the maximum of the Euclidean distance to the
 * background (src/mask/distance.ts), each next one maximises min(distance to background, distance to the
 * points already taken), so points sit deep inside and spread over the shape. Ties go to the first pixel in
 * raster order. Searches only inside `box` (clipped to the image), whose border counts as background;
 * returns [x, y] pixel indices.
 */
export function sampleInteriorPoints(mask: Mask, box: Box, n: number): [number, number][] {
  const { width: W, height: H } = mask;
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(W, Math.ceil(box[2]));
  const y1 = Math.min(H, Math.ceil(box[3]));
  const w = x1 - x0;
  const h = y1 - y0;
  if (n <= 0 || w <= 0 || h <= 0) return [];
  // the region with a 1-px background frame; source = background pixels
  const pw = w + 2;
  const bg = new Uint8Array(pw * (h + 2)).fill(1);
  let any = false;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask.data[(y + y0) * W + x + x0] !== 0) {
        bg[(y + 1) * pw + x + 1] = 0;
        any = true;
      }
    }
  }
  if (!any) return [];
  const d2 = squaredDistanceTo(bg, pw, h + 2);
  const score = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) score[y * w + x] = Math.sqrt(d2[(y + 1) * pw + x + 1]);
  const out: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    let best = -1;
    let bestScore = 0;
    for (let i = 0; i < score.length; i++) {
      if (score[i] > bestScore) {
        bestScore = score[i];
        best = i;
      }
    }
    if (best < 0) break;
    const bx = best % w;
    const by = (best - bx) / w;
    out.push([bx + x0, by + y0]);
    // distances to the new point cap every score
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (score[i] === 0) continue;
        const dist = Math.sqrt((x - bx) * (x - bx) + (y - by) * (y - by));
        if (dist < score[i]) score[i] = dist;
      }
    }
  }
  return out;
}

interface Prompt {
  index: number;
  coords: number[]; // in image pixels, interleaved
  labels: number[];
}

function buildPrompt(inst: Instance, index: number, nPoints: number): Prompt {
  const pts = sampleInteriorPoints(inst.mask, inst.box, nPoints);
  const coords: number[] = [];
  const labels: number[] = [];
  for (const [x, y] of pts) {
    coords.push(x, y);
    labels.push(1);
  }
  // box corners after the points, as SAM's predictor / labelme order them
  coords.push(inst.box[0], inst.box[1], inst.box[2], inst.box[3]);
  labels.push(2, 3);
  return { index, coords, labels };
}

/**
 * Pick the output with the best (1 - w) * predicted IoU + w * IoU(output, YOLO mask); returns its 0/1 mask,
 * or undefined when it is empty or agrees with a non-empty YOLO mask less than minIou.
 */
function chooseOutput(out: SamDecoderOutput, k: number, yolo: Mask, w: number, minIou: number): Mask | undefined {
  const { numMasks: M, width: W, height: H } = out;
  const plane = W * H;
  let bestScore = -Infinity;
  let bestM = -1;
  let bestIou = 0;
  let yoloArea = 0;
  const yd = yolo.data;
  for (let m = 0; m < M; m++) {
    const logits = out.masks.subarray((k * M + m) * plane, (k * M + m + 1) * plane);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < plane; i++) {
      const a = logits[i] > 0;
      const b = yd[i] !== 0;
      if (a && b) inter++;
      if (a || b) union++;
    }
    const iouYolo = union > 0 ? inter / union : 0;
    const s = (1 - w) * out.iou[k * M + m] + w * iouYolo;
    if (s > bestScore) {
      bestScore = s;
      bestM = m;
      bestIou = iouYolo;
    }
  }
  if (bestM < 0) return undefined;
  for (let i = 0; i < plane; i++) yoloArea += yd[i] !== 0 ? 1 : 0;
  if (yoloArea > 0 && bestIou < minIou) return undefined;
  const logits = out.masks.subarray((k * M + bestM) * plane, (k * M + bestM + 1) * plane);
  const data = new Uint8Array(plane);
  let area = 0;
  for (let i = 0; i < plane; i++) {
    if (logits[i] > 0) {
      data[i] = 1;
      area++;
    }
  }
  return area > 0 ? { data, width: W, height: H } : undefined;
}

export async function createSamBoxRefiner(opts: SamBoxRefinerOptions = {}): Promise<SamBoxRefiner> {
  const nPoints = opts.points ?? 3;
  const w = opts.yoloWeight ?? 0.5;
  if (!Number.isInteger(nPoints) || nPoints < 0 || nPoints > 16) {
    throw new AnimesegError('BAD_OPTION', `box refiner: points must be an integer in [0, 16], got ${nPoints}`);
  }
  if (!(w >= 0 && w <= 1)) throw new AnimesegError('BAD_OPTION', `box refiner: yoloWeight must be in [0, 1], got ${w}`);
  const minIou = opts.minYoloIou ?? 0.25;
  if (!(minIou >= 0 && minIou <= 1)) throw new AnimesegError('BAD_OPTION', `box refiner: minYoloIou must be in [0, 1], got ${minIou}`);
  const maxFloats = opts.maxDecoderFloats ?? 16 * 1024 * 1024;
  const sam = await loadSam(opts);
  const { encoder, decoder } = sam;

  const refiner: SamBoxRefiner = {
    name: 'box',
    async refine(image: RawImage, instances: Instance[]): Promise<Instance[]> {
      const timings: RefineTimings = { encoder: 0, decoder: 0, select: 0, instances: instances.length };
      refiner.lastTimings = timings;
      if (instances.length === 0) return instances;
      const { width: W, height: H } = image;
      for (const inst of instances) {
        if (inst.mask.width !== W || inst.mask.height !== H) {
          throw new AnimesegError('BAD_INPUT', `box refiner: instance mask is ${inst.mask.width}x${inst.mask.height}, image is ${W}x${H}`);
        }
      }
      const t0 = performance.now();
      const emb = await encoder.embed(image);
      timings.encoder = performance.now() - t0;
      const dec0 = decoder.runMs;
      const tAll = performance.now();

      const prompts = instances.map((inst, i) => buildPrompt(inst, i, nPoints));
      // Instances with the same number of points can share a decoder call when the export takes a batch.
      const groups = new Map<number, Prompt[]>();
      for (const p of prompts) {
        const g = groups.get(p.labels.length) ?? [];
        g.push(p);
        groups.set(p.labels.length, g);
      }
      const batchable = instances.length > 1 && (await decoder.probeBatch(emb));
      const perCall = batchable ? Math.max(1, Math.floor(maxFloats / ((decoder.numMasks ?? 4) * W * H))) : 1;
      const results: Instance[] = instances.slice();
      for (const [nLabels, group] of groups) {
        for (let g0 = 0; g0 < group.length; g0 += perCall) {
          const part = group.slice(g0, g0 + perCall);
          const coords = new Float32Array(part.length * nLabels * 2);
          const labels = new Float32Array(part.length * nLabels);
          part.forEach((p, k) => {
            coords.set(applyCoords(p.coords, [H, W]), k * nLabels * 2);
            labels.set(p.labels, k * nLabels);
          });
          const out = await decoder.predict(emb, { coords, labels, batch: part.length, points: nLabels });
          part.forEach((p, k) => {
            const inst = instances[p.index];
            const mask = chooseOutput(out, k, inst.mask, w, minIou);
            // An empty or disagreeing SAM answer keeps YOLO's mask rather than erasing the character.
            if (mask) results[p.index] = { ...inst, mask, maskSource: 'box' };
          });
        }
      }
      timings.decoder = decoder.runMs - dec0;
      timings.select = performance.now() - tAll - timings.decoder;
      return results;
    },
    async dispose() {
      await disposeSam(sam);
    },
  };
  return refiner;
}
