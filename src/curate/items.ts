/**
 * What curation works on: items. Over `animeseg segment` results (a folder holding NAME.json files) an
 * item is one character: its mask (the stored COCO RLE) cut out of the source image, cropped to the mask's
 * bounds, keyed `NAME.instNN` (the segment naming). Over any other folder an item is one image, keyed by its
 * path without extension; an image with alpha is a cutout (cropped to its visible pixels).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { AnimesegError } from '../errors.js';
import { decodeImageFile } from '../image/decode.js';
import { isImagePath } from '../image/formats.js';
import type { RawImage } from '../image/types.js';
import { maskBox } from '../mask/ops.js';
import { decodeRle, rleFromJson } from '../mask/rle.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import { cutout, instanceTag, isResultJsonShape, type StoredResultJson } from '../pipeline/outputs.js';

/** One source file and the items it yields (results: one per stored character; images: itself). */
export interface SourceEntry {
  /** The file the pixels come from. */
  source: string;
  /** The results JSON (results mode). */
  resultFile?: string;
  items: ItemRef[];
}

export interface ItemRef {
  /** Unique, '/'-separated, no extension: `NAME.instNN` or the image's relative path. */
  key: string;
  /** Index of the instance in the results JSON (results mode). */
  instance?: number;
  score?: number;
  className?: string;
}

export interface LoadedItem {
  key: string;
  /** RGBA pixels cropped to the item's visible bounds. */
  rgba: RawImage;
  /** Visible mask in the source frame (null for an opaque image: no frame to be cut by). */
  frameMask: Uint8Array | null;
  frameWidth: number;
  frameHeight: number;
  /** Visible pixels (alpha >= 128) over the frame's pixels, null for an opaque image. */
  areaFraction: number | null;
}

interface StoredInstance {
  class_name?: string;
  score?: number;
  rle?: unknown;
}

/** Every file under dir, sorted; skips our temp files, hidden folders (the .curate state) and `exclude`. */
async function walk(dir: string, exclude: string | undefined): Promise<string[]> {
  const out: string[] = [];
  async function go(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith(TEMP_PREFIX) || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (exclude && (p === exclude || p.startsWith(exclude + sep))) continue;
      if (e.isDirectory()) await go(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  }
  await go(dir);
  return out.sort();
}

const keyOf = (root: string, file: string): string => relative(root, file).split(sep).join('/').slice(0, -extname(file).length || undefined);

/**
 * The items of an input folder. Results mode when the folder holds segment results (NAME.json with image,
 * width, height, instances); then the images beside them (cutouts, masks, overlays) are not items.
 */
export async function discoverItems(input: string, opts: { exclude?: string } = {}): Promise<{ mode: 'results' | 'images'; sources: SourceEntry[] }> {
  const root = resolve(input);
  let st;
  try {
    st = await stat(root);
  } catch {
    throw new AnimesegError('BAD_INPUT', 'the input folder does not exist', { file: root, hint: 'give a folder of segment results or of images' });
  }
  if (!st.isDirectory()) throw new AnimesegError('BAD_INPUT', 'the input is not a folder', { file: root, hint: 'give a folder of segment results or of images' });
  const files = await walk(root, opts.exclude ? resolve(opts.exclude) : undefined);
  const sources: SourceEntry[] = [];
  for (const f of files.filter((p) => p.toLowerCase().endsWith('.json'))) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(f, 'utf8'));
    } catch {
      continue; // not a result (another tool's file, or a torn one): not ours to judge here
    }
    if (!isResultJsonShape<StoredInstance>(doc)) continue;
    const name = keyOf(root, f);
    sources.push({
      source: resolve(root, doc.image),
      resultFile: f,
      items: doc.instances.map((inst, i) => ({ key: `${name}.${instanceTag(i)}`, instance: i, score: inst.score, className: inst.class_name })),
    });
  }
  if (sources.length > 0) return { mode: 'results', sources };
  // Keys drop the extension; when two images differ only in it (a.png, a.jpg), both keep theirs.
  const images = files.filter(isImagePath);
  const stems = new Map<string, number>();
  for (const f of images) stems.set(keyOf(root, f), (stems.get(keyOf(root, f)) ?? 0) + 1);
  for (const f of images) {
    const k = keyOf(root, f);
    sources.push({ source: f, items: [{ key: stems.get(k)! > 1 ? relative(root, f).split(sep).join('/') : k }] });
  }
  if (sources.length === 0) {
    throw new AnimesegError('BAD_INPUT', 'the input folder holds no segment results (NAME.json) and no images', { file: root, hint: 'run animeseg segment first, or point at a folder of images' });
  }
  return { mode: 'images', sources };
}

/** Visible mask (alpha >= 128) of an alpha plane. */
const visibleMask = (alpha: Uint8Array): Uint8Array => Uint8Array.from(alpha, (a) => (a >= 128 ? 1 : 0));

function loadedFrom(key: string, image: RawImage, alpha: Uint8Array | null): LoadedItem {
  const { width, height } = image;
  if (!alpha) {
    const rgba = cutout(image, new Uint8Array(width * height).fill(255));
    return { key, rgba, frameMask: null, frameWidth: width, frameHeight: height, areaFraction: null };
  }
  const m = visibleMask(alpha);
  const b = maskBox({ data: m, width, height }) ?? [0, 0, width, height];
  let visible = 0;
  for (let p = 0; p < m.length; p++) visible += m[p];
  return { key, rgba: cutout(image, alpha, { region: b }), frameMask: m, frameWidth: width, frameHeight: height, areaFraction: visible / (width * height) };
}

/**
 * Decode one source and cut its items out. Results mode: the stored RLE of each instance (checked against
 * the JSON's size), combined with the image's own alpha if it has one.
 */
export async function loadSource(entry: SourceEntry, opts: { maxPixels?: number } = {}): Promise<LoadedItem[]> {
  const { image, hasAlpha } = await decodeImageFile(entry.source, { maxPixels: opts.maxPixels });
  const { width, height } = image;
  const ownAlpha = hasAlpha ? Uint8Array.from({ length: width * height }, (_, p) => image.data[p * 4 + 3]) : null;
  if (!entry.resultFile) return [loadedFrom(entry.items[0].key, image, ownAlpha)];
  const doc = JSON.parse(await readFile(entry.resultFile, 'utf8')) as StoredResultJson<StoredInstance>;
  if (doc.width !== width || doc.height !== height) {
    throw new AnimesegError('BAD_INPUT', `the source image is ${width}x${height} but its result says ${doc.width}x${doc.height}`, {
      file: entry.source,
      hint: `the image changed after segmenting: rerun animeseg segment (result ${entry.resultFile})`,
    });
  }
  return entry.items.map((it) => {
    const m = decodeRle(rleFromJson(doc.instances[it.instance!].rle, entry.resultFile));
    if (m.width !== width || m.height !== height) throw new AnimesegError('BAD_INPUT', `instance ${it.instance} has a ${m.width}x${m.height} mask in a ${width}x${height} image`, { file: entry.resultFile });
    const alpha = new Uint8Array(width * height);
    for (let p = 0; p < alpha.length; p++) alpha[p] = m.data[p] ? (ownAlpha ? ownAlpha[p] : 255) : 0;
    return loadedFrom(it.key, image, alpha);
  });
}
