/**
 * A faithful port of segment-anything's SamAutomaticMaskGenerator (automatic_mask_generator.py) over the
 * ONNX encoder/decoder: point grids per crop layer, points_per_batch prompts per decoder pass, predicted-IoU
 * and stability filters, masks touching crop edges dropped, uncropping, box NMS within a crop (score =
 * predicted IoU) and across crops (score = 1 / crop area), then optional small-region clean-up and a last NMS.
 * Candidates live as COCO RLE (SAM's internal form); full-size masks are decoded only for the survivors.
 * Every per-mask step runs over typed-array views of the decoder output, no per-pixel objects.
 */
import type { RawImage } from '../../../image/types.js';
import type { Box, Mask, Rle } from '../../../mask/types.js';
import { encodeRle } from '../../../mask/rle.js';
import { AnimesegError, invalidParameterError } from '../../../errors.js';
import type { SamEncoder } from '../encoder.js';
import type { SamDecoder } from '../decoder.js';
import { applyCoords } from '../transforms.js';
import { resizeBilinearU8, shrinkToMaxSide } from '../../../image/resize.js';
import { buildAllLayerPointGrids } from './grid.js';
import { boxArea, boxXyxyToXywh, generateCropBoxes } from './crops.js';
import { isBoxNearCropEdge, maskBoxInclusive } from './filters.js';
import { nms } from './nms.js';
import { binaryStride, binaryToCropRle, rleToMask, scoreAndBinarize } from './rle.js';
import { cleanSmallRegions } from './small-regions.js';

export interface AmgOptions {
  /** Points per side of the grid (total points_per_side^2); null when `pointGrids` is given. */
  pointsPerSide: number | null;
  /** Prompts decoded together (one decoder call when the export takes batches). */
  pointsPerBatch: number;
  predIouThresh: number;
  stabilityScoreThresh: number;
  stabilityScoreOffset: number;
  boxNmsThresh: number;
  cropNLayers: number;
  cropNmsThresh: number;
  cropOverlapRatio: number;
  cropNPointsDownscaleFactor: number;
  /** Explicit normalised grids per crop layer ([x, y, ...] in [0,1]); exclusive with pointsPerSide. */
  pointGrids: Float64Array[] | null;
  /** If > 0, fill holes and remove islands smaller than this (px), then NMS again. */
  minMaskRegionArea: number;
  /** SAM's mask_threshold: logits above it are foreground. */
  maskThreshold: number;
  /** Shrink the image so its longest side is at most this before the AMG (masks come back at full size). */
  maxSide: number;
  /**
   * Cap on decoder output floats per call (B*M*H*W). SAM's PyTorch AMG holds 64 prompts x 3 masks at crop
   * size at once (~800 MB for a 1024 px crop); a batched ONNX call is split to stay under this
   * (default 16M floats = 64 MB: bigger buffers cost more in page faults than the larger batch saves).
   */
  maxDecoderFloats: number;
}

/** segment-anything's defaults (SamAutomaticMaskGenerator.__init__). */
export const AMG_DEFAULTS: Readonly<AmgOptions> = Object.freeze({
  pointsPerSide: 32,
  pointsPerBatch: 64,
  predIouThresh: 0.88,
  stabilityScoreThresh: 0.95,
  stabilityScoreOffset: 1.0,
  boxNmsThresh: 0.7,
  cropNLayers: 0,
  cropNmsThresh: 0.7,
  cropOverlapRatio: 512 / 1500,
  cropNPointsDownscaleFactor: 1,
  pointGrids: null,
  minMaskRegionArea: 0,
  maskThreshold: 0.0,
  maxSide: Infinity,
  maxDecoderFloats: 16 * 1024 * 1024,
});

/** The original method's settings (../shared/docs/algorithms.md §5). */
export const ORIGINAL_PRESET: Readonly<Partial<AmgOptions>> = Object.freeze({
  predIouThresh: 0.6,
  stabilityScoreThresh: 0.8,
  cropNLayers: 1,
  cropNPointsDownscaleFactor: 1,
  maxSide: 1920,
});

export interface AmgSegment {
  /** Full image size. */
  mask: Mask;
  area: number;
  /** XYWH as SAM: [x0, y0, x1 - x0, y1 - y0] with inclusive x1/y1. */
  bbox: [number, number, number, number];
  predictedIou: number;
  stabilityScore: number;
  /** The prompt point in image pixels. */
  pointCoords: [number, number][];
  /** XYWH of the crop the mask came from. */
  cropBox: [number, number, number, number];
}

export interface AmgTimings {
  /** encoder wall time incl. its preprocessing (resize, normalise), ms */
  encoder: number;
  encoderRuns: number;
  /** decoder session runs, ms */
  decoder: number;
  decoderCalls: number;
  /** everything else the AMG does: prompts, filters, stability, RLE, uncrop, NMS, small regions, mask decode */
  post: number;
  total: number;
  /** candidates the decoder produced / kept after filters / final */
  candidates: number;
  afterFilters: number;
  segments: number;
}

export interface AmgResult {
  segments: AmgSegment[];
  timings: AmgTimings;
  /**
   * Masks the decoder gave per prompt point: 3 (the multimask outputs, as SAM's AMG uses) or 1 with an export
   * made with return_single_mask (fewer segments than the original method finds); 0 if nothing was decoded.
   */
  masksPerPrompt: number;
}

/** SAM's MaskData in columnar form. */
interface Records {
  rles: Rle[];
  areas: number[];
  boxes: number[]; // 4 per record, XYXY inclusive
  iou: number[];
  stability: number[];
  points: number[]; // 2 per record
  crops: Box[];
}

function emptyRecords(): Records {
  return { rles: [], areas: [], boxes: [], iou: [], stability: [], points: [], crops: [] };
}

function filterRecords(r: Records, keep: ArrayLike<number>): Records {
  const out = emptyRecords();
  for (let k = 0; k < keep.length; k++) {
    const i = keep[k];
    out.rles.push(r.rles[i]);
    out.areas.push(r.areas[i]);
    out.boxes.push(r.boxes[4 * i], r.boxes[4 * i + 1], r.boxes[4 * i + 2], r.boxes[4 * i + 3]);
    out.iou.push(r.iou[i]);
    out.stability.push(r.stability[i]);
    out.points.push(r.points[2 * i], r.points[2 * i + 1]);
    out.crops.push(r.crops[i]);
  }
  return out;
}

function catRecords(a: Records, b: Records): void {
  a.rles.push(...b.rles);
  a.areas.push(...b.areas);
  for (const v of b.boxes) a.boxes.push(v);
  a.iou.push(...b.iou);
  a.stability.push(...b.stability);
  for (const v of b.points) a.points.push(v);
  a.crops.push(...b.crops);
}

export function validateAmgOptions(o: AmgOptions): void {
  const bad = (name: string, expected: string, actual: unknown) => {
    throw invalidParameterError(`AMG option ${name}`, expected, actual);
  };
  if ((o.pointsPerSide === null) === (o.pointGrids === null)) throw new AnimesegError('BAD_OPTION', 'AMG option pointsPerSide / pointGrids: exactly one must be given');
  if (o.pointsPerSide !== null && (!Number.isInteger(o.pointsPerSide) || o.pointsPerSide < 1)) bad('pointsPerSide', 'a positive integer', o.pointsPerSide);
  if (!Number.isInteger(o.pointsPerBatch) || o.pointsPerBatch < 1) bad('pointsPerBatch', 'a positive integer', o.pointsPerBatch);
  if (!Number.isInteger(o.cropNLayers) || o.cropNLayers < 0) bad('cropNLayers', 'an integer >= 0', o.cropNLayers);
  if (!Number.isInteger(o.cropNPointsDownscaleFactor) || o.cropNPointsDownscaleFactor < 1) bad('cropNPointsDownscaleFactor', 'an integer >= 1', o.cropNPointsDownscaleFactor);
  for (const k of ['predIouThresh', 'stabilityScoreThresh', 'boxNmsThresh', 'cropNmsThresh'] as const) {
    if (!(o[k] >= 0 && o[k] <= 1)) bad(k, 'in [0, 1]', o[k]);
  }
  if (!(o.cropOverlapRatio >= 0 && o.cropOverlapRatio < 1)) bad('cropOverlapRatio', 'in [0, 1)', o.cropOverlapRatio);
  if (!(o.minMaskRegionArea >= 0)) bad('minMaskRegionArea', '>= 0', o.minMaskRegionArea);
  if (!(o.stabilityScoreOffset >= 0)) bad('stabilityScoreOffset', '>= 0', o.stabilityScoreOffset);
  if (!(o.maxSide >= 16)) bad('maxSide', '>= 16', o.maxSide);
  if (o.pointGrids && o.pointGrids.length !== o.cropNLayers + 1) bad('pointGrids', `one grid per crop layer (${o.cropNLayers + 1})`, `${o.pointGrids.length} grids`);
}

export interface AmgHooks {
  /** Where warnings go (default: stderr). */
  warn?: (msg: string) => void;
  /** Called after every decoder call with prompts done / total for this image (for a Progress bar). */
  onProgress?: (donePrompts: number, totalPrompts: number) => void;
}

export class AutomaticMaskGenerator {
  readonly options: Readonly<AmgOptions>;
  private readonly grids: Float64Array[];
  private warnedSingle = false;
  private readonly warn: (msg: string) => void;
  private readonly onProgress?: (donePrompts: number, totalPrompts: number) => void;
  private promptsDone = 0;
  private masksPerPrompt = 0;

  constructor(
    private readonly encoder: SamEncoder,
    private readonly decoder: SamDecoder,
    options: Partial<AmgOptions> = {},
    hooks: AmgHooks = {},
  ) {
    const o: AmgOptions = { ...AMG_DEFAULTS, ...options };
    if (options.pointGrids && options.pointsPerSide === undefined) o.pointsPerSide = null;
    validateAmgOptions(o);
    this.options = Object.freeze(o);
    this.grids = o.pointGrids ?? buildAllLayerPointGrids(o.pointsPerSide!, o.cropNLayers, o.cropNPointsDownscaleFactor);
    this.warn = hooks.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    this.onProgress = hooks.onProgress;
  }

  async generate(input: RawImage): Promise<AmgResult> {
    const t0 = performance.now();
    const o = this.options;
    const { width: iw, height: ih, channels: ic } = input;
    if (!(iw >= 1 && ih >= 1 && (ic === 1 || ic === 3 || ic === 4) && input.data.length === iw * ih * ic)) {
      throw new AnimesegError('BAD_INPUT', `automatic mask generator: bad image ${iw}x${ih}x${ic} with ${input.data.length} bytes`, {
        hint: 'pass a decoded RGB/RGBA/gray image (src/image/decode.ts)',
      });
    }
    const timings: AmgTimings = { encoder: 0, encoderRuns: 0, decoder: 0, decoderCalls: 0, post: 0, total: 0, candidates: 0, afterFilters: 0, segments: 0 };
    const dec0 = { ms: this.decoder.runMs, runs: this.decoder.runs };
    const enc0 = this.encoder.runs;

    // The original shrinks big images before the AMG (cv2.resize, sides int(x * scale)); masks are scaled
    // back to the input size at the end.
    let image = input;
    const longest = Math.max(input.width, input.height);
    if (longest > o.maxSide) {
      const [w, h] = shrinkToMaxSide(input.width, input.height, o.maxSide);
      image = resizeBilinearU8(input, w, h);
    }
    const W = image.width;
    const H = image.height;

    const { boxes: cropBoxes, layers } = generateCropBoxes(H, W, o.cropNLayers, o.cropOverlapRatio);
    let data = emptyRecords();
    this.promptsDone = 0;
    this.masksPerPrompt = 0;
    const totalPrompts = cropBoxes.reduce((s, b, c) => s + (b[2] > b[0] && b[3] > b[1] ? this.grids[layers[c]].length / 2 : 0), 0);
    for (let c = 0; c < cropBoxes.length; c++) {
      // A crop can be empty on images only a few pixels wide (SAM itself would fail there): skip it.
      if (cropBoxes[c][2] <= cropBoxes[c][0] || cropBoxes[c][3] <= cropBoxes[c][1]) continue;
      const cropData = await this.processCrop(image, cropBoxes[c], layers[c], timings, totalPrompts);
      catRecords(data, cropData);
    }

    // Remove duplicates between crops, preferring masks from smaller crops.
    if (cropBoxes.length > 1 && data.rles.length > 0) {
      const scores = data.crops.map((b) => Math.fround(1 / boxArea(b)));
      data = filterRecords(data, nms(data.boxes, scores, o.cropNmsThresh));
    }
    if (o.minMaskRegionArea > 0 && data.rles.length > 0) {
      data = this.postprocessSmallRegions(data, o.minMaskRegionArea, Math.max(o.boxNmsThresh, o.cropNmsThresh));
    }

    const segments: AmgSegment[] = [];
    const sx = input.width / W;
    const sy = input.height / H;
    for (let i = 0; i < data.rles.length; i++) {
      let mask = rleToMask(data.rles[i]);
      let area = data.areas[i];
      let box: Box = [data.boxes[4 * i], data.boxes[4 * i + 1], data.boxes[4 * i + 2], data.boxes[4 * i + 3]];
      let point: [number, number] = [data.points[2 * i], data.points[2 * i + 1]];
      let crop = data.crops[i];
      if (image !== input) {
        mask = upscaleNearest(mask, input.width, input.height);
        area = countOnes(mask.data);
        box = [Math.floor(box[0] * sx), Math.floor(box[1] * sy), Math.min(input.width - 1, Math.floor((box[2] + 1) * sx) - 1), Math.min(input.height - 1, Math.floor((box[3] + 1) * sy) - 1)];
        point = [point[0] * sx, point[1] * sy];
        crop = [Math.round(crop[0] * sx), Math.round(crop[1] * sy), Math.round(crop[2] * sx), Math.round(crop[3] * sy)];
      }
      segments.push({
        mask,
        area,
        bbox: boxXyxyToXywh(box),
        predictedIou: data.iou[i],
        stabilityScore: data.stability[i],
        pointCoords: [point],
        cropBox: boxXyxyToXywh(crop),
      });
    }

    timings.decoder = this.decoder.runMs - dec0.ms;
    timings.decoderCalls = this.decoder.runs - dec0.runs;
    timings.encoderRuns = this.encoder.runs - enc0;
    timings.total = performance.now() - t0;
    timings.post = Math.max(0, timings.total - timings.encoder - timings.decoder);
    timings.segments = segments.length;
    return { segments, timings, masksPerPrompt: this.masksPerPrompt };
  }

  private async processCrop(image: RawImage, crop: Box, layer: number, timings: AmgTimings, totalPrompts: number): Promise<Records> {
    const o = this.options;
    const cw = crop[2] - crop[0];
    const ch = crop[3] - crop[1];
    const te = performance.now();
    const emb = await this.encoder.embed(image, crop);
    timings.encoder += performance.now() - te;

    // Grid points scaled to the crop (crop pixels), then to the encoder's 1024 frame.
    const grid = this.grids[layer];
    const nPoints = grid.length / 2;
    const points = new Float64Array(grid.length);
    for (let i = 0; i < grid.length; i += 2) {
      points[i] = grid[i] * cw;
      points[i + 1] = grid[i + 1] * ch;
    }
    const inFrame = applyCoords(points, [ch, cw]);

    // How many prompts per decoder call.
    let perCall = 1;
    if (o.pointsPerBatch > 1 && (await this.decoder.probeBatch(emb))) {
      const m = this.decoder.numMasks ?? 4;
      perCall = Math.max(1, Math.min(o.pointsPerBatch, Math.floor(o.maxDecoderFloats / (m * cw * ch))));
    }

    const data = emptyRecords();
    const scratch = new Uint8Array(binaryStride(cw) * ch);
    const plane = cw * ch;
    const origBox: Box = [0, 0, image.width, image.height];
    for (let b0 = 0; b0 < nPoints; b0 += o.pointsPerBatch) {
      const bEnd = Math.min(nPoints, b0 + o.pointsPerBatch);
      for (let c0 = b0; c0 < bEnd; c0 += perCall) {
        const n = Math.min(perCall, bEnd - c0);
        // One positive point per prompt plus SAM's padding point (0,0) with label -1 (no box prompt).
        const coords = new Float32Array(n * 4);
        const labels = new Float32Array(n * 2);
        for (let k = 0; k < n; k++) {
          coords[4 * k] = inFrame[2 * (c0 + k)];
          coords[4 * k + 1] = inFrame[2 * (c0 + k) + 1];
          labels[2 * k] = 1;
          labels[2 * k + 1] = -1;
        }
        const out = await this.decoder.predict(emb, { coords, labels, batch: n, points: 2 });
        this.promptsDone += n;
        this.onProgress?.(this.promptsDone, totalPrompts);
        const M = out.numMasks;
        let first = 0;
        this.masksPerPrompt = M >= 4 ? M - 1 : M;
        if (M >= 4) first = 1; // index 0 is the single-mask token; the AMG uses the multimask outputs
        else if (M === 1 && !this.warnedSingle) {
          this.warnedSingle = true;
          this.warn(
            `the SAM decoder ${this.decoder.path} was exported with a single mask output (return_single_mask); the automatic mask generator needs the 3 multimask outputs and will use the single mask only, which finds fewer segments — export the decoder with return_single_mask=False for full quality`,
          );
        }
        // SAM's _process_batch, one mask at a time, in masks.flatten(0, 1) order.
        for (let k = 0; k < n; k++) {
          for (let m = first; m < M; m++) {
            timings.candidates++;
            const iou = out.iou[k * M + m];
            if (o.predIouThresh > 0 && !(iou > o.predIouThresh)) continue;
            const logits = out.masks.subarray((k * M + m) * plane, (k * M + m + 1) * plane);
            // stability counts and the binary mask in one pass
            const { high, low } = scoreAndBinarize(logits, cw, ch, o.maskThreshold, o.stabilityScoreOffset, scratch);
            const stab = high / low; // 0/0 = NaN as in PyTorch: never kept
            if (o.stabilityScoreThresh > 0 && !(stab >= o.stabilityScoreThresh)) continue;
            const { rle, area, box } = binaryToCropRle(scratch, crop, image.width, image.height);
            if (isBoxNearCropEdge(box, crop, origBox)) continue;
            data.rles.push(rle);
            data.areas.push(area);
            data.boxes.push(box[0], box[1], box[2], box[3]);
            data.iou.push(iou);
            data.stability.push(stab);
            data.points.push(points[2 * (c0 + k)], points[2 * (c0 + k) + 1]);
            data.crops.push(crop);
          }
        }
      }
    }
    timings.afterFilters += data.rles.length;

    // Remove duplicates within this crop (boxes still in crop coordinates, as SAM), then uncrop.
    const kept = filterRecords(data, nms(data.boxes, data.iou, o.boxNmsThresh));
    for (let i = 0; i < kept.rles.length; i++) {
      kept.boxes[4 * i] += crop[0];
      kept.boxes[4 * i + 1] += crop[1];
      kept.boxes[4 * i + 2] += crop[0];
      kept.boxes[4 * i + 3] += crop[1];
      kept.points[2 * i] += crop[0];
      kept.points[2 * i + 1] += crop[1];
    }
    return kept;
  }

  /** SAM's postprocess_small_regions: fill small holes, drop small islands, prefer unchanged masks in a last NMS. */
  private postprocessSmallRegions(data: Records, minArea: number, nmsThresh: number): Records {
    const n = data.rles.length;
    const masks: Mask[] = [];
    const scores = new Float64Array(n);
    const boxes = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const { mask, changed } = cleanSmallRegions(rleToMask(data.rles[i]), minArea);
      masks.push(mask);
      scores[i] = changed ? 0 : 1;
      boxes.set(maskBoxInclusive(mask.data, mask.width, mask.height), 4 * i);
    }
    const keep = nms(boxes, scores, nmsThresh);
    for (const i of keep) {
      if (scores[i] === 0) {
        data.rles[i] = encodeRle(masks[i]);
        data.areas[i] = countOnes(masks[i].data);
        for (let k = 0; k < 4; k++) data.boxes[4 * i + k] = boxes[4 * i + k];
      }
    }
    return filterRecords(data, keep);
  }
}

function countOnes(a: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** Nearest-neighbour upscaling of a 0/1 mask back to the input size (used only with maxSide). */
function upscaleNearest(m: Mask, outW: number, outH: number): Mask {
  const out = new Uint8Array(outW * outH);
  const xs = new Int32Array(outW);
  for (let x = 0; x < outW; x++) xs[x] = Math.min(m.width - 1, Math.floor(((x + 0.5) * m.width) / outW));
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(m.height - 1, Math.floor(((y + 0.5) * m.height) / outH));
    const srow = sy * m.width;
    const drow = y * outW;
    for (let x = 0; x < outW; x++) out[drow + x] = m.data[srow + xs[x]];
  }
  return { data: out, width: outW, height: outH };
}
