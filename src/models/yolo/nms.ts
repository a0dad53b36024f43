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
    const x1 = f(cx - dw);
    const y1 = f(cy - dh);
    const x2 = f(cx + dw);
    const y2 = f(cy + dh);
    bx[i * 4] = x1;
    bx[i * 4 + 1] = y1;
    bx[i * 4 + 2] = x2;
    bx[i * 4 + 3] = y2;
    const off = opts.agnostic ? 0 : bestCls[a] * MAX_WH;
    const X1 = f(x1 + off);
    const Y1 = f(y1 + off);
    const X2 = f(x2 + off);
    const Y2 = f(y2 + off);
    ox[i * 4] = X1;
    ox[i * 4 + 1] = Y1;
    ox[i * 4 + 2] = X2;
    ox[i * 4 + 3] = Y2;
    area[i] = f(f(X2 - X1) * f(Y2 - Y1));
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
