/**
 * COCO run-length encoding, bit-compatible with pycocotools.
 *
 * Uncompressed RLE: the mask is read column-major (pixel (y, x) is element x*height + y) and `counts` holds
 * run lengths alternating background / foreground, always starting with a background run (0 when the first
 * pixel is foreground). The counts sum to height*width.
 *
 * Compressed form (`rleToString` / `rleFromString`): pycocotools' `rleToString`, a LEB128-like code with 5
 * payload bits per character (offset 48), where every count after the second is stored as the difference
 * to the count two places earlier. Written by hand because no maintained Node package does this.
 */
import { AnimesegError } from '../errors.js';
import type { Mask, Rle } from './types.js';
import { checkMask, checkSize } from './validate.js';
import { maskBox } from './ops.js';

/** Encode a row-major mask (any non-zero byte is foreground) as COCO uncompressed RLE. */
export function encodeRle(mask: Mask): Rle {
  checkMask(mask);
  const { data, width: w, height: h } = mask;
  // Only the mask's bounding box is read, row by row (a column-major walk jumps a whole row per pixel and
  // was the slowest part of the JSON): each column's value changes are found by comparing each row of the
  // box with the one above (with background above and below the box), then put in column-major order. The
  // runs are the distances between successive changes in that order; the counts equal a full scan's.
  const b = maskBox(mask);
  if (!b) return { size: [h, w], counts: [w * h] };
  const [x0, y0, x1, y1] = b;
  const bw = x1 - x0;
  // Changes as (column in the box, row) in row-major order: value(y) != value(y - 1), background outside.
  const cx: number[] = [];
  const cy: number[] = [];
  for (let x = 0, p = y0 * w + x0; x < bw; x++, p++) {
    if (data[p] !== 0) {
      cx.push(x);
      cy.push(y0);
    }
  }
  for (let y = y0 + 1; y < y1; y++) {
    for (let x = 0, p = y * w + x0; x < bw; x++, p++) {
      const v = data[p];
      const u = data[p - w];
      if (v !== u && (v === 0 || u === 0)) {
        cx.push(x);
        cy.push(y);
      }
    }
  }
  for (let x = 0, p = (y1 - 1) * w + x0; x < bw; x++, p++) {
    if (data[p] !== 0) {
      cx.push(x);
      cy.push(y1);
    }
  }
  // Counting sort by column; rows stay in increasing order within a column.
  const start = new Int32Array(bw + 1);
  for (let k = 0; k < cx.length; k++) start[cx[k] + 1]++;
  for (let x = 0; x < bw; x++) start[x + 1] += start[x];
  const ys = new Int32Array(cx.length);
  const fill = start.slice(0, bw);
  for (let k = 0; k < cx.length; k++) ys[fill[cx[k]]++] = cy[k];
  // Column-major positions x * h + y of the changes; a change at the bottom of one column and one at the
  // top of the next fall on the same position and cancel (the run goes on across the column boundary).
  const counts: number[] = [];
  let prev = 0;
  let pending = -1;
  for (let x = 0; x < bw; x++) {
    const base = (x + x0) * h;
    for (let k = start[x]; k < start[x + 1]; k++) {
      const pos = base + ys[k];
      if (pos === pending) {
        pending = -1;
        continue;
      }
      if (pending >= 0) {
        counts.push(pending - prev);
        prev = pending;
      }
      pending = pos;
    }
  }
  // A change at the very end (the last pixel is foreground) only ends the last run.
  if (pending >= 0 && pending < w * h) {
    counts.push(pending - prev);
    prev = pending;
  }
  counts.push(w * h - prev);
  return { size: [h, w], counts };
}

/** Decode COCO uncompressed RLE to a row-major 0/1 mask. Throws BAD_INPUT when the counts do not fit the size. */
export function decodeRle(rle: Rle): Mask {
  const [h, w] = checkRle(rle);
  const n = h * w;
  // Fill a column-major buffer with whole runs (TypedArray.fill is fast), then transpose once.
  const colMajor = new Uint8Array(n);
  let pos = 0;
  const counts = rle.counts;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k];
    if (k & 1) colMajor.fill(1, pos, pos + c);
    pos += c;
  }
  const data = new Uint8Array(n);
  transposeColToRow(colMajor, data, w, h);
  return { data, width: w, height: h };
}

/** Number of foreground pixels: the sum of the odd-indexed counts. */
export function rleArea(rle: Rle): number {
  let a = 0;
  const c = rle.counts;
  for (let k = 1; k < c.length; k += 2) a += c[k];
  return a;
}

/** pycocotools `rleToString`: the compressed `counts` string of a COCO RLE. */
export function rleToString(rle: Rle): string {
  const cnts = rle.counts;
  const out: number[] = [];
  for (let i = 0; i < cnts.length; i++) {
    let x = cnts[i];
    if (i > 2) x -= cnts[i - 2];
    let more = true;
    while (more) {
      // Arithmetic instead of bit operators so counts beyond 2^31 (huge images) stay correct.
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32); // = arithmetic shift right by 5
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out.push(c + 48);
    }
  }
  return codesToString(out);
}

/** pycocotools `rleFrString`: parse a compressed counts string for a mask of the given size. */
export function rleFromString(s: string, height: number, width: number): Rle {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) {
        throw new AnimesegError('BAD_INPUT', 'compressed RLE string ends in the middle of a count', {
          hint: 'the counts string is truncated or not a COCO RLE',
        });
      }
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) {
        throw new AnimesegError('BAD_INPUT', `compressed RLE string has an invalid character at ${p}`, {
          hint: 'COCO compressed counts use characters 0x30..0x6f only',
        });
      }
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign extension
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  const rle: Rle = { size: [height, width], counts };
  checkRle(rle);
  return rle;
}

/** COCO compressed RLE object ({ size, counts: string }) as pycocotools writes it into JSON. */
export function compressRle(rle: Rle): { size: [number, number]; counts: string } {
  return { size: [rle.size[0], rle.size[1]], counts: rleToString(rle) };
}

/**
 * Accept an RLE as found in JSON files: counts as a number array (uncompressed) or a string (compressed).
 * Validates the result.
 */
export function rleFromJson(obj: unknown, file?: string): Rle {
  const o = obj as { size?: unknown; counts?: unknown } | null;
  if (!o || !Array.isArray(o.size) || o.size.length !== 2) {
    throw new AnimesegError('BAD_INPUT', 'RLE object needs "size": [height, width]', { file });
  }
  const [h, w] = o.size as [number, number];
  try {
    if (typeof o.counts === 'string') return rleFromString(o.counts, h, w);
    if (Array.isArray(o.counts)) {
      const rle: Rle = { size: [h, w], counts: o.counts as number[] };
      checkRle(rle);
      return rle;
    }
  } catch (e) {
    if (e instanceof AnimesegError && file) throw new AnimesegError(e.code, e.message, { file, hint: e.hint });
    throw e;
  }
  throw new AnimesegError('BAD_INPUT', 'RLE "counts" must be an array of numbers or a compressed string', { file });
}

/** Validate an RLE and return its [height, width]. */
export function checkRle(rle: Rle): [number, number] {
  if (!rle || !Array.isArray(rle.size) || rle.size.length !== 2 || !Array.isArray(rle.counts)) {
    throw new AnimesegError('BAD_INPUT', 'RLE must be { size: [height, width], counts: number[] }');
  }
  const [h, w] = rle.size;
  checkSize(w, h, 'RLE');
  let sum = 0;
  for (const c of rle.counts) {
    if (!Number.isInteger(c) || c < 0) {
      throw new AnimesegError('BAD_INPUT', `RLE count ${String(c)} is not a non-negative integer`);
    }
    sum += c;
  }
  if (sum !== h * w) {
    throw new AnimesegError('BAD_INPUT', `RLE counts sum to ${sum}, but size ${h}x${w} has ${h * w} pixels`, {
      hint: 'size must be [height, width] and counts column-major runs starting with background',
    });
  }
  return [h, w];
}

/** Transpose a column-major h x w byte image into row-major, in cache-friendly tiles. */
function transposeColToRow(src: Uint8Array, dst: Uint8Array, w: number, h: number): void {
  const T = 64;
  for (let x0 = 0; x0 < w; x0 += T) {
    const x1 = Math.min(w, x0 + T);
    for (let y0 = 0; y0 < h; y0 += T) {
      const y1 = Math.min(h, y0 + T);
      for (let x = x0; x < x1; x++) {
        const col = x * h;
        for (let y = y0; y < y1; y++) dst[y * w + x] = src[col + y];
      }
    }
  }
}

/** String.fromCharCode(...bigArray) overflows the call stack, so convert in slices. */
function codesToString(codes: number[]): string {
  let s = '';
  for (let i = 0; i < codes.length; i += 8192) s += String.fromCharCode(...codes.slice(i, i + 8192));
  return s;
}
