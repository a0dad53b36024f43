/**
 * Ultralytics SegmentationValidator bookkeeping: per-image matching (update_metrics / _process_batch), the
 * accumulated stats (get_stats) and SegmentMetrics (box + mask `Metric`: mp, mr, map50, map75, map, maps,
 * fitness), with the same names as Ultralytics' results_dict so numbers can be compared side by side.
 */
import { apPerClass, N_IOU, type ApResult } from './ap.js';
import type { GtImage } from './gt.js';
import { boxIoU, maskIoUIndexed } from './iou.js';
import { matchPredictions } from './matching.js';
import { mean, pairwiseSum } from './numpy.js';
import type { GridMask } from './predmask.js';

/** One image's predictions in the validator's order (descending score). */
export interface PredImage {
  cls: Int32Array;
  /** float32 confidences. */
  conf: Float32Array;
  /** Boxes in original pixels as scale_boxes returns them (float32, clipped), [n*4]. */
  boxes: Float32Array;
  /** Masks on the grid, cropped to the letterbox box (needed only when the image has ground truth). */
  masks: GridMask[];
}

export interface ImageMatch {
  /** [nPred x 10] correct flags, box and mask. */
  tpBox: Uint8Array;
  tpMask: Uint8Array;
  /** Best mask IoU of each prediction with a same-class GT (for reports and the worst-image sheet). */
  bestMaskIoU: Float32Array;
}

/** _process_batch for boxes and masks of one image. */
export function matchImage(gt: GtImage, pred: PredImage): ImageMatch {
  const nPred = pred.cls.length;
  const nGt = gt.cls.length;
  if (nGt === 0 || nPred === 0) {
    return { tpBox: new Uint8Array(nPred * N_IOU), tpMask: new Uint8Array(nPred * N_IOU), bestMaskIoU: new Float32Array(nPred) };
  }
  const biou = boxIoU(gt.boxes, pred.boxes);
  const miou = maskIoUIndexed(gt.index, gt.areas, gt.size, pred.masks);
  const best = new Float32Array(nPred);
  for (let g = 0; g < nGt; g++) {
    for (let p = 0; p < nPred; p++) if (gt.cls[g] === pred.cls[p] && miou[g * nPred + p] > best[p]) best[p] = miou[g * nPred + p];
  }
  return { tpBox: matchPredictions(pred.cls, gt.cls, biou), tpMask: matchPredictions(pred.cls, gt.cls, miou), bestMaskIoU: best };
}

export interface MetricSet {
  mp: number;
  mr: number;
  map50: number;
  map75: number;
  map: number;
  fitness: number;
}

export interface ClassMetrics {
  p: number;
  r: number;
  f1: number;
  ap50: number;
  ap50_95: number;
  ap_per_iou: number[];
}

export interface ClassRow {
  class: number;
  name: string;
  images: number;
  instances: number;
  box: ClassMetrics;
  mask: ClassMetrics;
}

/** Curves for plotting (Ultralytics' PR / F1 / P / R curves), per scored class, on a 1000-point grid. */
export interface MetricCurves {
  classes: number[];
  box: Pick<ApResult, 'prCurve' | 'f1Curve' | 'pCurve' | 'rCurve' | 'ap'>;
  mask: Pick<ApResult, 'prCurve' | 'f1Curve' | 'pCurve' | 'rCurve' | 'ap'>;
}

export interface UltralyticsMetrics {
  names: Record<string, string>;
  images: number;
  instances: number;
  predictions: number;
  nt_per_class: number[];
  nt_per_image: number[];
  /** Ultralytics' results_dict. */
  mean: Record<string, number>;
  box: MetricSet;
  mask: MetricSet;
  per_class: ClassRow[];
  maps_box: number[];
  maps_mask: number[];
  tp_counts_box: number[];
  tp_counts_mask: number[];
}

function metricSet(ap: ApResult | null): MetricSet {
  if (!ap || ap.classes.length === 0) return { mp: 0, mr: 0, map50: 0, map75: 0, map: 0, fitness: 0 };
  const flat = new Float64Array(ap.ap.length * N_IOU);
  ap.ap.forEach((row, i) => flat.set(row, i * N_IOU));
  const mp = mean(ap.p);
  const mr = mean(ap.r);
  const map50 = mean(ap.ap.map((r) => r[0]));
  const map75 = mean(ap.ap.map((r) => r[5]));
  const map = mean(flat);
  // Metric.fitness: (np.array([mp, mr, map50, map]) * [0, 0, 0.1, 0.9]).sum()
  const fitness = pairwiseSum([mp * 0, mr * 0, map50 * 0.1, map * 0.9]);
  return { mp, mr, map50, map75, map, fitness };
}

function classMetrics(ap: ApResult | null, ci: number): ClassMetrics {
  if (!ap || ci < 0) return { p: 0, r: 0, f1: 0, ap50: 0, ap50_95: 0, ap_per_iou: new Array(N_IOU).fill(0) };
  const row = ap.ap[ci];
  return { p: ap.p[ci], r: ap.r[ci], f1: ap.f1[ci], ap50: row[0], ap50_95: mean(row), ap_per_iou: [...row] };
}

/** Accumulates update_metrics over images and computes the final numbers (get_stats + SegmentMetrics). */
export class MetricsAccumulator {
  private seen = 0;
  private readonly tp: Uint8Array[] = [];
  private readonly tpM: Uint8Array[] = [];
  private readonly conf: number[] = [];
  private readonly predCls: number[] = [];
  private readonly targetCls: number[] = [];
  private readonly targetImg: number[] = [];
  private nPredictions = 0;

  constructor(private readonly names: Map<number, string>) {}

  /** Add one image; returns its match so callers can report per-image figures. */
  add(gt: GtImage, pred: PredImage): ImageMatch {
    this.seen++;
    const nPred = pred.cls.length;
    const nGt = gt.cls.length;
    this.nPredictions += nPred;
    const m = matchImage(gt, pred);
    if (nPred === 0 && nGt === 0) return m;
    for (let i = 0; i < nGt; i++) this.targetCls.push(gt.cls[i]);
    for (const c of new Set(gt.cls)) this.targetImg.push(c);
    if (nPred === 0) return m;
    this.tp.push(m.tpBox);
    this.tpM.push(m.tpMask);
    for (let i = 0; i < nPred; i++) {
      this.conf.push(pred.conf[i]);
      this.predCls.push(pred.cls[i]);
    }
    return m;
  }

  /** Final metrics plus the curves behind them. */
  result(): { metrics: UltralyticsMetrics; curves: MetricCurves } {
    const concat = (parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    const tp = concat(this.tp);
    const tpM = concat(this.tpM);
    const maxCls = Math.max(-1, ...this.names.keys(), ...this.targetCls);
    const nc = maxCls + 1;
    const ntPerClass = new Array<number>(nc).fill(0);
    const ntPerImage = new Array<number>(nc).fill(0);
    for (const c of this.targetCls) ntPerClass[c]++;
    for (const c of this.targetImg) ntPerImage[c]++;

    // get_stats: metrics are only processed when some prediction is a box TP at some threshold.
    const anyTp = tp.some((v) => v !== 0);
    const input = { conf: this.conf, predCls: this.predCls, targetCls: this.targetCls };
    const boxAp = anyTp ? apPerClass({ ...input, tp }) : null;
    const maskAp = anyTp ? apPerClass({ ...input, tp: tpM }) : null;
    const box = metricSet(boxAp);
    const mask = metricSet(maskAp);

    const tpCounts = (flags: Uint8Array) => {
      const c = new Array<number>(N_IOU).fill(0);
      for (let i = 0; i < flags.length; i++) c[i % N_IOU] += flags[i];
      return c;
    };
    const gtClasses = [...new Set(this.targetCls)].sort((a, b) => a - b);
    const nameOf = (c: number) => this.names.get(c) ?? `class${c}`;
    const perClass: ClassRow[] = gtClasses.map((c) => ({
      class: c,
      name: nameOf(c),
      images: ntPerImage[c],
      instances: ntPerClass[c],
      box: classMetrics(boxAp, boxAp ? boxAp.classes.indexOf(c) : -1),
      mask: classMetrics(maskAp, maskAp ? maskAp.classes.indexOf(c) : -1),
    }));
    // Metric.maps: every class gets the overall map, scored classes their own mAP50-95.
    const maps = (set: MetricSet, key: 'box' | 'mask') => {
      const out = new Array<number>(nc).fill(set.map);
      for (const row of perClass) out[row.class] = row[key].ap50_95;
      return out;
    };
    const names: Record<string, string> = {};
    for (const [k, v] of [...this.names.entries()].sort((a, b) => a[0] - b[0])) names[String(k)] = v;
    const metrics: UltralyticsMetrics = {
      names,
      images: this.seen,
      instances: this.targetCls.length,
      predictions: this.nPredictions,
      nt_per_class: ntPerClass,
      nt_per_image: ntPerImage,
      mean: {
        'metrics/precision(B)': box.mp,
        'metrics/recall(B)': box.mr,
        'metrics/mAP50(B)': box.map50,
        'metrics/mAP50-95(B)': box.map,
        'metrics/precision(M)': mask.mp,
        'metrics/recall(M)': mask.mr,
        'metrics/mAP50(M)': mask.map50,
        'metrics/mAP50-95(M)': mask.map,
        fitness: box.fitness + mask.fitness,
      },
      box,
      mask,
      per_class: perClass,
      maps_box: maps(box, 'box'),
      maps_mask: maps(mask, 'mask'),
      tp_counts_box: tpCounts(tp),
      tp_counts_mask: tpCounts(tpM),
    };
    const pick = (a: ApResult | null) => ({
      prCurve: a?.prCurve ?? [],
      f1Curve: a?.f1Curve ?? [],
      pCurve: a?.pCurve ?? [],
      rCurve: a?.rCurve ?? [],
      ap: a?.ap ?? [],
    });
    return { metrics, curves: { classes: gtClasses, box: pick(boxAp), mask: pick(maskAp) } };
  }
}

/** Python's '%.3g' (used by Ultralytics' table). */
export function fmtG(v: number, prec = 3): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(prec)))));
  if (exp < -4 || exp >= prec) {
    const [m, e] = v.toExponential(prec - 1).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const s = v.toFixed(Math.max(0, prec - 1 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** The table Ultralytics prints after validation ('%22s' + '%11i' * 2 + '%11.3g' * 8). */
export function formatTable(m: UltralyticsMetrics): string {
  const head = ['Class', 'Images', 'Instances', 'Box(P', 'R', 'mAP50', 'mAP50-95)', 'Mask(P', 'R', 'mAP50', 'mAP50-95)'];
  const row = (name: string, images: number, inst: number, vals: number[]) =>
    name.padStart(22) + String(images).padStart(11) + String(inst).padStart(11) + vals.map((v) => fmtG(v).padStart(11)).join('');
  const lines = [head[0].padStart(22) + head.slice(1).map((h) => h.padStart(11)).join('')];
  lines.push(row('all', m.images, m.instances, [m.box.mp, m.box.mr, m.box.map50, m.box.map, m.mask.mp, m.mask.mr, m.mask.map50, m.mask.map]));
  if (m.per_class.length > 1) {
    for (const c of m.per_class) {
      lines.push(row(c.name, c.images, c.instances, [c.box.p, c.box.r, c.box.ap50, c.box.ap50_95, c.mask.p, c.mask.r, c.mask.ap50, c.mask.ap50_95]));
    }
  }
  return lines.join('\n');
}
