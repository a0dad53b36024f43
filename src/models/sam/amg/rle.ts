/**
 * The AMG's mask encoding, built for the per-candidate hot path:
 *  1. `scoreAndBinarize`: one sequential pass over a mask's logits gives the stability counts and a row-major
 *     0/1 mask whose rows are padded to a multiple of 4 bytes;
 *  2. `binaryToCropRle`: vertical transitions found by comparing each row with the one above 4 pixels at a
 *     time (masks are mostly flat, so most words are equal), bucketed per column, then turned into the COCO
 *     uncompressed RLE of the FULL image (SAM's uncrop_masks + mask_to_rle_pytorch) without materialising
 *     the padded full-size mask or transposing it; the tight box and area fall out of the same runs.
 * Cost is one pass over the logits plus a quarter pass over the bytes plus the boundary length.
 * `rleToMask` decodes survivors back to row-major masks writing only foreground runs.
 */
import type { Box, Mask, Rle } from '../../../mask/types.js';

/** Row stride (bytes) of the padded binary mask for a given width. */
export function binaryStride(width: number): number {
  return (width + 3) & ~3;
}

/**
 * Stability counts (logit > thr + offset, logit > thr - offset) and the binary mask (logit > thr) of one
 * W x H row-major logit plane, written into `bin` with row stride binaryStride(W) (padding bytes stay 0).
 */
export function scoreAndBinarize(
  logits: Float32Array,
  width: number,
  height: number,
  threshold: number,
  offset: number,
  bin: Uint8Array,
): { high: number; low: number } {
  const hi = threshold + offset;
  const lo = threshold - offset;
  const stride = binaryStride(width);
  let high = 0;
  let low = 0;
  for (let y = 0, i = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++, i++) {
      const v = logits[i];
      // offset >= 0, so lo <= threshold <= hi: most pixels (background) take the first test only
      if (v > lo) {
        low++;
        if (v > hi) high++;
        bin[row + x] = v > threshold ? 1 : 0;
      } else bin[row + x] = 0;
    }
  }
  return { high, low };
}

export interface CropRle {
  rle: Rle;
  area: number;
  /** Tight box in CROP coordinates, inclusive [x0, y0, x1, y1]; [0,0,0,0] when empty (batched_mask_to_box). */
  box: Box;
}

// Reused scratch for transitions (grown on demand): per-column counts and (x, y) lists.
let tx = new Int32Array(1 << 16);
let ty = new Int32Array(1 << 16);
let colStart = new Int32Array(1024);
let sortedY = new Int32Array(1 << 16);

/**
 * Binary crop mask (row-major, stride binaryStride(cropW), 0/1) → COCO RLE of the full imW x imH image with
 * the crop at crop[0], crop[1]; plus area and the crop-local inclusive box.
 */
export function binaryToCropRle(bin: Uint8Array, crop: Box, imW: number, imH: number): CropRle {
  const [x0, y0, x1, y1] = crop;
  const cw = x1 - x0;
  const ch = y1 - y0;
  const stride = binaryStride(cw);
  if (bin.length < stride * ch) throw new RangeError(`binary mask has ${bin.length} bytes, needs ${stride * ch}`);
  const words = new Uint32Array(bin.buffer, bin.byteOffset, (stride * ch) >> 2);
  const wpr = stride >> 2; // words per row

  // 1. transitions (x, y): the value at (x, y) differs from (x, y-1); row -1 and row ch count as 0
  let n = 0;
  const push = (x: number, y: number) => {
    if (n === tx.length) {
      const nx = new Int32Array(n * 2);
      nx.set(tx);
      tx = nx;
      const ny = new Int32Array(n * 2);
      ny.set(ty);
      ty = ny;
    }
    tx[n] = x;
    ty[n] = y;
    n++;
  };
  for (let k = 0; k < wpr; k++) {
    if (words[k] === 0) continue;
    for (let j = 0, x = 4 * k; j < 4 && x < cw; j++, x++) if (bin[x]) push(x, 0);
  }
  for (let y = 1; y < ch; y++) {
    const w = y * wpr;
    for (let k = 0; k < wpr; k++) {
      if (words[w + k] === words[w - wpr + k]) continue;
      const b = y * stride + 4 * k;
      for (let j = 0, x = 4 * k; j < 4 && x < cw; j++, x++) if (bin[b + j] !== bin[b + j - stride]) push(x, y);
    }
  }
  {
    const last = (ch - 1) * wpr;
    for (let k = 0; k < wpr; k++) {
      if (words[last + k] === 0) continue;
      const b = (ch - 1) * stride + 4 * k;
      for (let j = 0, x = 4 * k; j < 4 && x < cw; j++, x++) if (bin[b + j]) push(x, ch);
    }
  }

  // 2. bucket by column (counting sort; rows were scanned in order, so y ascends within a column)
  if (colStart.length < cw + 1) colStart = new Int32Array(Math.max(cw + 1, colStart.length * 2));
  colStart.fill(0, 0, cw + 1);
  for (let i = 0; i < n; i++) colStart[tx[i] + 1]++;
  for (let x = 0; x < cw; x++) colStart[x + 1] += colStart[x];
  if (sortedY.length < n) sortedY = new Int32Array(Math.max(n, sortedY.length * 2));
  for (let i = 0; i < n; i++) sortedY[colStart[tx[i]]++] = ty[i];
  // colStart[x] now holds the END of column x; the start is colStart[x-1] (0 for x = 0)

  // 3. runs in column-major order of the full image; intervals touching across columns merge
  const counts: number[] = [];
  let pos = 0; // column-major index reached so far
  let area = 0;
  let minX = -1;
  let maxX = -1;
  let minY = ch;
  let maxY = -1;
  let openStart = -1; // start of the foreground run being extended, -1 if none
  let openEnd = -1;
  for (let x = 0; x < cw; x++) {
    const s = x === 0 ? 0 : colStart[x - 1];
    const e = colStart[x];
    if (s === e) continue;
    if (minX < 0) minX = x;
    maxX = x;
    if (sortedY[s] < minY) minY = sortedY[s];
    if (sortedY[e - 1] - 1 > maxY) maxY = sortedY[e - 1] - 1;
    const base = (x + x0) * imH + y0;
    for (let t = s; t < e; t += 2) {
      const a = base + sortedY[t];
      const b = base + sortedY[t + 1];
      if (a === openEnd) {
        openEnd = b; // continues the previous column's run
        continue;
      }
      if (openStart >= 0) {
        counts.push(openStart - pos, openEnd - openStart);
        area += openEnd - openStart;
        pos = openEnd;
      }
      openStart = a;
      openEnd = b;
    }
  }
  if (openStart >= 0) {
    counts.push(openStart - pos, openEnd - openStart);
    area += openEnd - openStart;
    pos = openEnd;
  }
  // the counts end with the last run: a trailing background run only when there is one
  const tail = imW * imH - pos;
  if (tail > 0 || counts.length === 0) counts.push(tail);
  const box: Box = minX < 0 ? [0, 0, 0, 0] : [minX, minY, maxX, maxY];
  return { rle: { size: [imH, imW], counts }, area, box };
}

/** Row-major 0/1 crop mask (width = crop width, no padding) → full-image RLE. Convenience for tests/tools. */
export function cropMaskToRle(mask: Uint8Array, crop: Box, imW: number, imH: number): CropRle {
  const cw = crop[2] - crop[0];
  const ch = crop[3] - crop[1];
  if (mask.length !== cw * ch) throw new RangeError(`mask has ${mask.length} pixels, crop is ${cw}x${ch}`);
  const stride = binaryStride(cw);
  const bin = new Uint8Array(stride * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) bin[y * stride + x] = mask[y * cw + x] !== 0 ? 1 : 0;
  return binaryToCropRle(bin, crop, imW, imH);
}

/**
 * COCO RLE → row-major 0/1 mask, writing only the foreground runs (cost follows the area, not the image:
 * most AMG segments are small).
 */
export function rleToMask(rle: Rle): Mask {
  const [h, w] = rle.size;
  const data = new Uint8Array(w * h);
  const counts = rle.counts;
  let pos = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k];
    if (k & 1) {
      let x = Math.floor(pos / h);
      let y = pos - x * h;
      for (let m = 0; m < c; m++) {
        data[y * w + x] = 1;
        if (++y === h) {
          y = 0;
          x++;
        }
      }
    }
    pos += c;
  }
  return { data, width: w, height: h };
}
