/**
 * Ground truth exactly as Ultralytics' validator sees it (YOLODataset in val mode, rect False, task segment,
 * mask_ratio 4, overlap_mask True): label lines read as float32, polygons closed and resampled to 1000 points,
 * moved into the square letterbox in float32, truncated to int32, filled with OpenCV fillPoly on the
 * imgsz x imgsz canvas, downsampled to imgsz/4, merged into one index map by descending area; boxes taken from
 * the raw polygon bounds and carried through the same float32 chain back to original pixels.
 */
import { AnimesegError } from '../../errors.js';
import { fillPolygons } from '../../mask/polygon.js';
import { downsample4 } from './downsample.js';
import { scaleBoxToNative, type ValGeometry } from './geometry.js';

const f32 = Math.fround;
export const RESAMPLE_POINTS = 1000;

export interface LabelInstance {
  cls: number;
  /** Normalised polygon, float32 values, flat [x0, y0, x1, y1, ...] as read (not closed). */
  points: Float32Array;
}

/**
 * Parse a YOLO-seg label file (`cls x1 y1 x2 y2 ...` per line, normalised). Applies Ultralytics'
 * verify_image_label checks (coordinates in [0, 1], non-negative class, at least 3 points) and removes
 * duplicate rows as it does. Throws BAD_DATASET naming the line.
 */
export function parseLabel(text: string, file?: string): LabelInstance[] {
  const out: LabelInstance[] = [];
  const lines = text.split(/\r?\n/);
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line === '') continue;
    const tok = line.split(/\s+/);
    const where = `line ${li + 1}`;
    const cls = Number(tok[0]);
    if (!Number.isInteger(cls) || cls < 0) {
      throw new AnimesegError('BAD_DATASET', `${where}: class '${tok[0]}' is not a non-negative integer`, { file });
    }
    const coords = tok.length - 1;
    if (coords < 6 || coords % 2 !== 0) {
      throw new AnimesegError('BAD_DATASET', `${where}: expected a polygon (class then at least 3 x y pairs), got ${coords} numbers`, {
        file,
        hint: coords === 4 ? 'this is a box label; segmentation evaluation needs polygon labels' : undefined,
      });
    }
    const points = new Float32Array(coords);
    for (let k = 0; k < coords; k++) {
      const v = Number(tok[k + 1]);
      if (!Number.isFinite(v)) throw new AnimesegError('BAD_DATASET', `${where}: '${tok[k + 1]}' is not a number`, { file });
      if (v < 0 || v > 1) {
        throw new AnimesegError('BAD_DATASET', `${where}: coordinate ${tok[k + 1]} outside [0, 1]`, {
          file,
          hint: 'YOLO labels are normalised by the image width and height',
        });
      }
      points[k] = v; // Float32Array store = np.float32 conversion
    }
    out.push({ cls, points });
  }
  // Ultralytics drops duplicate rows of (cls, box); identical polygons give identical rows.
  const seen = new Set<string>();
  return out.filter((l) => {
    const b = polygonBounds(l.points);
    const key = `${l.cls} ${b.join(' ')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function polygonBounds(p: Float32Array): [number, number, number, number] {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let k = 0; k < p.length; k += 2) {
    if (p[k] < x1) x1 = p[k];
    if (p[k] > x2) x2 = p[k];
    if (p[k + 1] < y1) y1 = p[k + 1];
    if (p[k + 1] > y2) y2 = p[k + 1];
  }
  return [x1, y1, x2, y2];
}

/**
 * utils.ops.resample_segments: close the polygon, then np.interp of x and y over the vertex index at
 * np.linspace(0, n, 1000), stored as float32.
 */
export function resampleSegment(points: Float32Array, n = RESAMPLE_POINTS): Float32Array {
  const m = points.length >> 1; // vertices before closing; closed polygon has m + 1, indices 0..m
  const out = new Float32Array(2 * n);
  const step = m / (n - 1);
  for (let i = 0; i < n; i++) {
    const x = i === n - 1 ? m : i * step;
    const j = Math.floor(x);
    for (let d = 0; d < 2; d++) {
      let v: number;
      if (j >= m) v = points[d]; // x == m: the closing point = first vertex
      else {
        const a = points[2 * j + d];
        if (x === j) v = a;
        else {
          const b = j + 1 === m ? points[d] : points[2 * (j + 1) + d];
          v = (b - a) * (x - j) + a; // slope * (x - xp[j]) + fp[j], xp spacing 1
        }
      }
      out[2 * i + d] = v;
    }
  }
  return out;
}

export interface GtImage {
  /** Classes in the validator's order (descending mask area). */
  cls: Int32Array;
  /** Boxes in original pixels, float32, [n*4], same order. */
  boxes: Float32Array;
  /** Index map at mask resolution: i+1 = instance i (after sorting), 0 = background. */
  index: Uint8Array | Int32Array;
  /** Pixels per instance in the index map. */
  areas: Int32Array;
  /** Mask grid size (imgsz / 4). */
  size: number;
}

/** The label box through LetterBox / Format / _prepare_batch in float32, back to original pixels. */
function gtBoxNative(points: Float32Array, g: ValGeometry, out: Float32Array, off: number): void {
  const [x1, y1, x2, y2] = polygonBounds(points);
  // segments2boxes -> xyxy2xywh (numpy float32)
  const cx = f32(f32(x1 + x2) / 2);
  const cy = f32(f32(y1 + y2) / 2);
  const bw = f32(x2 - x1);
  const bh = f32(y2 - y1);
  // LetterBox._update_labels: to xyxy, denormalize(w, h), scale(r), add_padding(dw, dh)
  const hw = f32(bw / 2);
  const hh = f32(bh / 2);
  const r = f32(g.r);
  const lb = [f32(cx - hw), f32(cy - hh), f32(cx + hw), f32(cy + hh)];
  for (let k = 0; k < 4; k++) {
    const even = k % 2 === 0;
    let v = f32(lb[k] * (even ? g.w : g.h));
    if (g.r !== 1) v = f32(v * r);
    lb[k] = f32(v + (even ? g.dw : g.dh));
  }
  // Format: to xywh, normalize by the letterbox size
  const s = g.imgsz;
  const ncx = f32(f32(f32(lb[0] + lb[2]) / 2) / s);
  const ncy = f32(f32(f32(lb[1] + lb[3]) / 2) / s);
  const nw = f32(f32(lb[2] - lb[0]) / s);
  const nh = f32(f32(lb[3] - lb[1]) / s);
  // _prepare_batch: xywh2xyxy (torch float32) * imgsz, then scale_boxes
  const hw2 = f32(nw / 2);
  const hh2 = f32(nh / 2);
  out[off] = f32(f32(ncx - hw2) * s);
  out[off + 1] = f32(f32(ncy - hh2) * s);
  out[off + 2] = f32(f32(ncx + hw2) * s);
  out[off + 3] = f32(f32(ncy + hh2) * s);
  scaleBoxToNative(out, off, g);
}

/**
 * Rasterise letterbox-space polygon coordinates (float32) as Ultralytics' polygon2mask: int32 truncation and
 * cv2.fillPoly on the imgsz x imgsz canvas (src/mask/polygon.ts), INTER_LINEAR resize to imgsz/4.
 */
export function polygonToGrid(lbPoints: ArrayLike<number>, imgsz: number): Uint8Array {
  const canvas = fillPolygons([Array.from(lbPoints)], imgsz, imgsz);
  return downsample4(canvas.data, imgsz, imgsz);
}

/** Build the validator's ground truth for one image. */
export function buildGt(labels: readonly LabelInstance[], g: ValGeometry): GtImage {
  const n = labels.length;
  const size = Math.floor(g.imgsz / 4);
  const masks: Uint8Array[] = [];
  const areas: number[] = [];
  const r = f32(g.r);
  for (const l of labels) {
    const seg = resampleSegment(l.points);
    for (let k = 0; k < seg.length; k += 2) {
      let x = f32(seg[k] * g.w);
      let y = f32(seg[k + 1] * g.h);
      if (g.r !== 1) {
        x = f32(x * r);
        y = f32(y * r);
      }
      seg[k] = f32(x + g.dw);
      seg[k + 1] = f32(y + g.dh);
    }
    const m = polygonToGrid(seg, g.imgsz);
    let a = 0;
    for (let i = 0; i < m.length; i++) a += m[i];
    masks.push(m);
    areas.push(a);
  }
  // np.argsort(-areas): stable for the few instances of one image.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => areas[b] - areas[a] || a - b);
  const index = n > 255 ? new Int32Array(size * size) : new Uint8Array(size * size);
  for (let k = 0; k < n; k++) {
    const m = masks[order[k]];
    // masks = clip(masks + m*(k+1), 0, k+1): later (smaller) instances take the shared pixels
    for (let i = 0; i < m.length; i++) if (m[i]) index[i] = k + 1;
  }
  const finalAreas = new Int32Array(n);
  for (let i = 0; i < index.length; i++) if (index[i]) finalAreas[index[i] - 1]++;
  const cls = new Int32Array(n);
  const boxes = new Float32Array(4 * n);
  for (let k = 0; k < n; k++) {
    cls[k] = labels[order[k]].cls;
    gtBoxNative(labels[order[k]].points, g, boxes, 4 * k);
  }
  return { cls, boxes, index, areas: finalAreas, size };
}
