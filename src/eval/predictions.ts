/**
 * Stored predictions for `animeseg eval --predictions FILE`: read, validate and group by image, then turn one
 * image's predictions into what the metric code compares (PredImage on the validator's mask grid).
 *
 * Accepted JSON (documented in docs/EVAL.md):
 * 1. A flat list, the reference schema: [{ "image", "cls", "score", "box_xyxy": [x1,y1,x2,y2], "polygon": [x,y,...] }]
 * 2. A list of per-image objects or { "images": [...] }, each { "image" | "file" | "path", "width"?, "height"?,
 *    "instances" | "detections" | "predictions": [ ...instances... ] }. Our `animeseg segment` JSON is of this kind.
 * An instance has the class as "cls" | "classId" | "class_id" | "class", the confidence as "score" | "conf" |
 * "confidence", the box (original pixels, xyxy) as "box_xyxy" | "box" | "bbox_xyxy", and a mask as "polygon"
 * (flat list), "polygons" / "segments" (list of flat lists: parts, filled separately and united) and/or "rle" /
 * "mask_rle" / "segmentation" (COCO RLE, counts list or compressed string; preferred when both are given). Without a box the mask's bounds are
 * used; without any mask the prediction still counts for the box metrics and has an empty mask.
 * Coordinates are original image pixels. Images are matched by file name without extension.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { AnimesegError } from '../errors.js';
import { decodeRle, rleFromJson } from '../mask/rle.js';
import type { Mask, Rle } from '../mask/types.js';
import type { ValGeometry } from './metrics/geometry.js';
import { canvasLookup, gridMaskFromNative, gridMaskFromPolygon, type GridMask } from './metrics/predmask.js';
import { predImageInOrder, scoreOrder } from './pred-image.js';
import type { PredImage } from './metrics/results.js';
import { fillPolygons, polygonBounds } from '../mask/polygon.js';

export interface StoredPrediction {
  cls: number;
  score: number;
  /** xyxy in original pixels. */
  box: [number, number, number, number];
  /** Polygon parts (original pixels, flat). */
  polygons?: number[][];
  rle?: Rle;
}

export interface StoredImage {
  width?: number;
  height?: number;
  predictions: StoredPrediction[];
}

/** Image key used to match predictions with dataset images: the file name without its extension. */
export function imageKey(pathOrName: string): string {
  const b = basename(pathOrName);
  const e = extname(b);
  return e ? b.slice(0, -e.length) : b;
}

function pick(o: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function isNumList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function parseInstance(o: unknown, where: string, file: string): StoredPrediction {
  if (!o || typeof o !== 'object') throw new AnimesegError('BAD_INPUT', `${where}: a prediction must be an object`, { file });
  const r = o as Record<string, unknown>;
  const cls = Number(pick(r, ['cls', 'classId', 'class_id', 'class', 'category_id']) ?? 0);
  const score = Number(pick(r, ['score', 'conf', 'confidence']));
  if (!Number.isInteger(cls) || cls < 0) throw new AnimesegError('BAD_INPUT', `${where}: class must be a non-negative integer`, { file });
  if (!Number.isFinite(score)) throw new AnimesegError('BAD_INPUT', `${where}: missing or non-numeric score`, { file, hint: "give each prediction a 'score'" });
  let polygons: number[][] | undefined;
  const poly = pick(r, ['polygon']);
  const parts = pick(r, ['polygons', 'segments']);
  if (poly !== undefined) {
    if (!isNumList(poly) || poly.length % 2 !== 0) throw new AnimesegError('BAD_INPUT', `${where}: 'polygon' must be a flat list of x, y numbers`, { file });
    polygons = [poly];
  } else if (parts !== undefined) {
    if (!Array.isArray(parts) || !parts.every((p) => isNumList(p) && p.length % 2 === 0)) {
      throw new AnimesegError('BAD_INPUT', `${where}: 'polygons' must be a list of flat x, y lists`, { file });
    }
    polygons = parts as number[][];
  }
  let rle: Rle | undefined;
  const rleObj = pick(r, ['rle', 'mask_rle', 'segmentation']);
  // An exact mask beats traced contours (our segment JSON has both): same pixels as a live evaluation.
  if (rleObj !== undefined) rle = rleFromJson(rleObj, file);
  let box = pick(r, ['box_xyxy', 'box', 'bbox_xyxy']);
  if (box === undefined) {
    box = polygons ? (polygonBounds(polygons) ?? [0, 0, 0, 0]) : rle ? rleBounds(rle) : undefined;
  }
  if (!isNumList(box) || box.length !== 4) throw new AnimesegError('BAD_INPUT', `${where}: 'box_xyxy' must be [x1, y1, x2, y2]`, { file });
  return { cls, score, box: [box[0], box[1], box[2], box[3]], polygons, rle };
}

function rleBounds(rle: Rle): number[] {
  const m = decodeRle(rle);
  let x1 = m.width;
  let y1 = m.height;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (m.data[y * m.width + x]) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      }
    }
  }
  return x2 < 0 ? [0, 0, 0, 0] : [x1, y1, x2 + 1, y2 + 1];
}

/**
 * A COCO instances document ({images, annotations, categories}, e.g. from `animeseg dataset from-results`):
 * images matched by file_name, class = the category's position among the categories sorted by id (the
 * contiguous ids Ultralytics and detectron2 use), box from bbox [x, y, w, h], mask from segmentation
 * (polygon parts or RLE), score from 'score' (1 when absent, as for ground-truth files). Null for other shapes.
 */
function cocoInstances(doc: unknown, file: string): Map<string, StoredImage> | null {
  const d = doc as { images?: unknown; annotations?: unknown; categories?: unknown } | null;
  if (!d || typeof d !== 'object' || !Array.isArray(d.images) || !Array.isArray(d.annotations)) return null;
  const cats = Array.isArray(d.categories) ? (d.categories as { id: number }[]).map((c) => Number(c.id)).sort((a, b) => a - b) : [];
  const clsOf = new Map(cats.map((id, k) => [id, k]));
  const out = new Map<string, StoredImage>();
  const byId = new Map<unknown, StoredImage>();
  (d.images as Record<string, unknown>[]).forEach((im, i) => {
    if (!im || typeof im.file_name !== 'string') throw new AnimesegError('BAD_INPUT', `images[${i}]: missing 'file_name'`, { file });
    const img: StoredImage = { predictions: [] };
    if (typeof im.width === 'number' && typeof im.height === 'number') [img.width, img.height] = [im.width, im.height];
    out.set(imageKey(im.file_name), img);
    byId.set(im.id, img);
  });
  (d.annotations as Record<string, unknown>[]).forEach((a, i) => {
    const where = `annotations[${i}]`;
    const img = byId.get(a?.image_id);
    if (!img) throw new AnimesegError('BAD_INPUT', `${where}: image_id ${String(a?.image_id)} is not in 'images'`, { file });
    const cls = clsOf.size ? clsOf.get(Number(a.category_id)) : Number(a.category_id);
    if (cls === undefined) throw new AnimesegError('BAD_INPUT', `${where}: category_id ${String(a.category_id)} is not in 'categories'`, { file });
    const seg = a.segmentation;
    const bbox = a.bbox;
    if (!isNumList(bbox) || bbox.length !== 4) throw new AnimesegError('BAD_INPUT', `${where}: 'bbox' must be [x, y, w, h]`, { file });
    img.predictions.push(
      parseInstance(
        { cls, score: a.score ?? 1, box: [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]], ...(Array.isArray(seg) ? { polygons: seg } : seg ? { rle: seg } : {}) },
        where,
        file,
      ),
    );
  });
  return out;
}

/** Parse predictions JSON text into image key → predictions. */
export function parsePredictions(text: string, file: string): Map<string, StoredImage> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', `predictions file is not valid JSON: ${(e as Error).message}`, { file });
  }
  const out = new Map<string, StoredImage>();
  const get = (key: string): StoredImage => {
    let s = out.get(key);
    if (!s) out.set(key, (s = { predictions: [] }));
    return s;
  };
  const coco = cocoInstances(doc, file);
  if (coco) return coco;
  let list: unknown[];
  if (Array.isArray(doc)) list = doc;
  else if (doc && typeof doc === 'object' && Array.isArray((doc as Record<string, unknown>).images)) list = (doc as { images: unknown[] }).images;
  else if (doc && typeof doc === 'object') list = [doc];
  else throw new AnimesegError('BAD_INPUT', 'predictions JSON must be a list or an object with "images"', { file });
  list.forEach((item, i) => {
    if (!item || typeof item !== 'object') throw new AnimesegError('BAD_INPUT', `entry ${i}: expected an object`, { file });
    const r = item as Record<string, unknown>;
    const name = pick(r, ['image', 'file', 'path', 'image_id']);
    if (typeof name !== 'string' && typeof name !== 'number') {
      throw new AnimesegError('BAD_INPUT', `entry ${i}: missing 'image' (the image file name)`, { file });
    }
    const key = imageKey(String(name));
    const inner = pick(r, ['instances', 'detections', 'predictions']);
    const img = get(key);
    if (typeof r.width === 'number' && typeof r.height === 'number') {
      img.width = r.width;
      img.height = r.height;
    }
    if (Array.isArray(inner)) inner.forEach((o, j) => img.predictions.push(parseInstance(o, `image ${key} instance ${j}`, file)));
    else img.predictions.push(parseInstance(r, `entry ${i}`, file));
  });
  return out;
}

/**
 * Read a predictions JSON file, or a folder of them (e.g. the NAME.json files `animeseg segment` writes, one
 * per image; run it with --conf 0.001 for validation-style metrics), merged by image.
 */
export async function readPredictions(file: string): Promise<Map<string, StoredImage>> {
  let files = [file];
  try {
    if ((await stat(file)).isDirectory()) {
      files = (await readdir(file)).filter((f) => f.toLowerCase().endsWith('.json')).sort().map((f) => join(file, f));
      if (files.length === 0) throw new AnimesegError('BAD_INPUT', 'no .json files in the predictions folder', { file });
    }
  } catch (e) {
    if (e instanceof AnimesegError) throw e;
    throw new AnimesegError('BAD_INPUT', `cannot read predictions: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  const merged = new Map<string, StoredImage>();
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      throw new AnimesegError('BAD_INPUT', `cannot read predictions: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: f });
    }
    for (const [k, v] of parsePredictions(text, f)) {
      const cur = merged.get(k);
      if (!cur) merged.set(k, v);
      else {
        cur.predictions.push(...v.predictions);
        cur.width ??= v.width;
        cur.height ??= v.height;
      }
    }
  }
  return merged;
}

function checkRleSize(m: Mask, width: number, height: number): void {
  if (m.width !== width || m.height !== height) {
    throw new AnimesegError('BAD_INPUT', `prediction mask is ${m.width}x${m.height} but the image is ${width}x${height}`, {
      hint: 'RLE masks must be at the original image size',
    });
  }
}

/** Full-resolution 0/1 mask of a stored prediction (for refined-mask quality). */
export function storedPredictionMask(p: StoredPrediction, width: number, height: number): Mask {
  if (p.rle) {
    const m = decodeRle(p.rle);
    checkRleSize(m, width, height);
    return m;
  }
  // parts filled one by one and united (one fillPoly call with several parts would be even-odd)
  const data = new Uint8Array(width * height);
  for (const part of p.polygons ?? []) {
    if (part.length < 6) continue;
    const m = fillPolygons([part], width, height).data;
    for (let i = 0; i < m.length; i++) if (m[i]) data[i] = 1;
  }
  return { data, width, height };
}

/**
 * One image's stored predictions on the validator's grid. Polygons go through polygon2mask exactly (one part:
 * identical to Ultralytics' rasterisation of the same polygon); several parts are rasterised separately and
 * united; RLE masks are sampled like our own native masks.
 */
export function predImageFromStored(preds: readonly StoredPrediction[], g: ValGeometry): PredImage {
  let lut: ReturnType<typeof canvasLookup> | null = null;
  const maskOf = (src: number, lb: Float32Array): GridMask => {
    const p = preds[src];
    if (p.rle) {
      // RLE (exact mask): sampled on the grid like our live native masks.
      lut ??= canvasLookup(g);
      const m = decodeRle(p.rle);
      checkRleSize(m, g.w0, g.h0);
      return gridMaskFromNative(m, lb, g, lut);
    }
    const parts = (p.polygons ?? []).filter((q) => q.length >= 2);
    if (parts.length === 0) return { data: new Uint8Array(Math.floor(g.imgsz / 4) ** 2), r0: 0, r1: 0, c0: 0, c1: 0 };
    const m = gridMaskFromPolygon(parts[0], lb, g);
    for (let k = 1; k < parts.length; k++) {
      const extra = gridMaskFromPolygon(parts[k], lb, g);
      for (let q = 0; q < m.data.length; q++) m.data[q] |= extra.data[q];
    }
    return m;
  };
  // sorted by the float32 score the validator holds, so scores equal in float32 keep file order
  return predImageInOrder(scoreOrder(preds.map((p) => Math.fround(p.score))), g, (src) => preds[src], maskOf);
}
