/**
 * Ultralytics `non_max_suppression` (8.2.103, multi_label=False) on a raw YOLOv8 output0, reproduced with
 * float32 arithmetic where torch uses float32 so boxes and suppression decisions match bit for bit.
 * Pure TypeScript (bundled for the browser).
 */

export interface NmsOptions {
  /** Keep candidates whose best class score is > conf. */
  conf: number;
  /** Suppress a box when its IoU with a kept higher-scoring box is > iou. */
  iou: number;
  maxDet: number;
  /** Only these class ids (null = all). */
  classes?: readonly number[] | null;
  /** Class-agnostic NMS (one pool for all classes). */
  agnostic?: boolean;
  /** Cap on candidates entering NMS (Ultralytics max_nms). */
  maxNms?: number;
}

/** One detection straight out of NMS, in network-input (letterbox) pixels. */
export interface RawDetection {
  /** Column of output0 it came from. */
  anchor: number;
  classId: number;
  score: number;
  /** x1, y1, x2, y2 in letterbox pixels (float32 values). */
  box: [number, number, number, number];
}

/** Ultralytics' max_wh: class offset for class-aware NMS in one pass. */
const MAX_WH = 7680;
const f = Math.fround;

/**
 * @param out0 output0 data, [4 + nc + nm, anchors] row-major (channel-major), batch 0.
 * @param nc number of classes.
 * @param anchors number of anchors (columns).
 */
export function nonMaxSuppression(out0: Float32Array, nc: number, anchors: number, opts: NmsOptions): RawDetection[] {
  const { conf, iou, maxDet } = opts;
  const maxNms = opts.maxNms ?? 30000;
  const allow = opts.classes ? new Set(opts.classes) : null;
  // 1. Candidates: best class (first maximum) score > conf. One pass per class row keeps memory access linear.
  const best = new Float32Array(anchors).fill(-Infinity);
  const bestCls = new Int32Array(anchors);
  for (let c = 0; c < nc; c++) {
    const row = (4 + c) * anchors;
    for (let a = 0; a < anchors; a++) {
      const v = out0[row + a];
      if (v > best[a]) {
        best[a] = v;
        bestCls[a] = c;
      }
    }
  }
  let cand: number[] = [];
  for (let a = 0; a < anchors; a++) {
    if (best[a] > conf && (allow === null || allow.has(bestCls[a]))) cand.push(a);
  }
  if (cand.length === 0) return [];
  // torchvision.ops.nms sorts by score, descending; ties keep anchor order (stable sort).
  cand.sort((p, q) => best[q] - best[p] || p - q);
  if (cand.length > maxNms) cand = cand.slice(0, maxNms);

  // 2. Corner boxes (xywh2xyxy in float32) and their class-offset copies for NMS.
  const n = cand.length;
  const bx = new Float32Array(n * 4);
  const ox = new Float32Array(n * 4);
  const area = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = cand[i];
    const cx = out0[a];
    const cy = out0[anchors + a];
    const dw = f(out0[2 * anchors + a] / 2);
    const dh = f(out0[3 * anchors + a] / 2);
    const o = i * 4;
    bx[o] = f(cx - dw);
    bx[o + 1] = f(cy - dh);
    bx[o + 2] = f(cx + dw);
    bx[o + 3] = f(cy + dh);
    const off = opts.agnostic ? 0 : bestCls[a] * MAX_WH;
    // class-offset copy: each float32 corner + off, rounded to float32 as torch's boxes + c * max_wh
    for (let k = 0; k < 4; k++) ox[o + k] = f(bx[o + k] + off);
    area[i] = f(f(ox[o + 2] - ox[o]) * f(ox[o + 3] - ox[o + 1]));
  }

  // 3. Greedy NMS exactly as torchvision's CPU kernel (float32 IoU, strict '>').
  const suppressed = new Uint8Array(n);
  const keep: RawDetection[] = [];
  for (let i = 0; i < n && keep.length < maxDet; i++) {
    if (suppressed[i]) continue;
    const a = cand[i];
    keep.push({ anchor: a, classId: bestCls[a], score: best[a], box: [bx[i * 4], bx[i * 4 + 1], bx[i * 4 + 2], bx[i * 4 + 3]] });
    const ix1 = ox[i * 4];
    const iy1 = ox[i * 4 + 1];
    const ix2 = ox[i * 4 + 2];
    const iy2 = ox[i * 4 + 3];
    const iarea = area[i];
    for (let j = i + 1; j < n; j++) {
      if (suppressed[j]) continue;
      const xx1 = Math.max(ix1, ox[j * 4]);
      const yy1 = Math.max(iy1, ox[j * 4 + 1]);
      const xx2 = Math.min(ix2, ox[j * 4 + 2]);
      const yy2 = Math.min(iy2, ox[j * 4 + 3]);
      const w = Math.max(0, f(xx2 - xx1));
      const h = Math.max(0, f(yy2 - yy1));
      if (w === 0 || h === 0) continue; // IoU 0 can never exceed a threshold >= 0
      const inter = f(w * h);
      const ovr = f(inter / f(f(iarea + area[j]) - inter));
      if (ovr > iou) suppressed[j] = 1;
    }
  }
  return keep;
}
