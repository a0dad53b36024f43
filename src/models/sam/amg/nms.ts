/**
 * Greedy box non-maximum suppression with torchvision.ops.nms semantics (what SAM's batched_nms with a
 * single category reduces to): stable sort by score descending, a box is dropped when its IoU with a kept
 * box is strictly greater than the threshold, IoU without the +1 pixel convention, float32 arithmetic as
 * torchvision's CPU kernel. Written by hand because there is no torchvision for Node.
 */

/**
 * @param boxes [x0, y0, x1, y1] per box, interleaved (length 4N)
 * @param scores one score per box
 * @returns indices of kept boxes, in decreasing score order (ties keep input order)
 */
export function nms(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number): Int32Array {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new RangeError(`nms: ${boxes.length / 4} boxes but ${n} scores`);
  const f = Math.fround;
  const order = Array.from({ length: n }, (_, i) => i);
  // Array.prototype.sort is stable (ES2019), like torch.sort(stable=True) used by torchvision.
  const s32 = Float32Array.from(scores);
  order.sort((a, b) => s32[b] - s32[a]);

  const b32 = Float32Array.from(boxes);
  const areas = new Float32Array(n);
  for (let i = 0; i < n; i++) areas[i] = f((b32[4 * i + 2] - b32[4 * i]) * (b32[4 * i + 3] - b32[4 * i + 1]));

  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let oi = 0; oi < n; oi++) {
    const i = order[oi];
    if (suppressed[i]) continue;
    keep.push(i);
    const ix1 = b32[4 * i];
    const iy1 = b32[4 * i + 1];
    const ix2 = b32[4 * i + 2];
    const iy2 = b32[4 * i + 3];
    const iarea = areas[i];
    for (let oj = oi + 1; oj < n; oj++) {
      const j = order[oj];
      if (suppressed[j]) continue;
      const w = Math.max(0, f(Math.min(ix2, b32[4 * j + 2]) - Math.max(ix1, b32[4 * j])));
      const h = Math.max(0, f(Math.min(iy2, b32[4 * j + 3]) - Math.max(iy1, b32[4 * j + 1])));
      const inter = f(w * h);
      const ovr = f(inter / f(f(iarea + areas[j]) - inter));
      if (ovr > iouThreshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}
