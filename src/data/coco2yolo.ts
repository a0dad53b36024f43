/**
 * COCO instance annotations → Ultralytics YOLO-seg labels (`animeseg coco2yolo`), following Ultralytics'
 * `convert_coco(use_segments=True, cls91to80=True)` row for row: crowd skipped, box → normalised centre xywh
 * with w or h <= 0 skipped, rows deduplicated on (class, box), multi-part polygons joined with
 * `merge_multi_segment`, numbers printed with "%g".
 *
 * Differences, on purpose: `classes` filters and renumbers classes (Ultralytics keeps all 80); an annotation
 * without a polygon is dropped (Ultralytics would write its box, a 2-point "polygon" in a segment set); only
 * images with kept rows get a label file and an image link.
 *
 * Memory stays bounded on the 448 MB train2017 file: annotations are streamed (json-arrays.ts), label rows
 * are spooled to a temp file, and only per-image offsets and dedup keys stay in memory.
 */
import { closeSync, mkdirSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { AnimesegError } from '../errors.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import { COCO80_NAMES, coco91to80 } from './coco/classes.js';
import { scanTopLevelArrays } from './coco/json-arrays.js';
import { formatG, mergeMultiSegment } from './polygons.js';
import { readDataYaml, writeDataYaml } from './yaml.js';
import { pathExists } from '../util/exists.js';

export type LinkMode = 'hardlink' | 'symlink' | 'copy' | 'none';

export interface Coco2YoloOptions {
  annotations: string;
  /** Folder holding the images named by `file_name`. Required unless link is 'none'. */
  images?: string;
  out: string;
  /** Class names or 80-class ids to keep, renumbered 0.. in this order. Empty/undefined = all 80. */
  classes?: (string | number)[];
  /** Names written to data.yaml instead of COCO's (one per kept class), e.g. ['character'] for person. */
  names?: string[];
  /** Split folder name (default: file stem without 'instances_', e.g. train2017). */
  split?: string;
  link?: LinkMode;
  /** Replace a split converted before. */
  force?: boolean;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
}

export interface Coco2YoloStats {
  split: string;
  images: number; // images listed in the file
  annotations: number;
  labelFiles: number;
  rows: number;
  skipped: { crowd: number; degenerateBox: number; unmappedCategory: number; otherClass: number; duplicate: number; noPolygon: number; noImage: number };
  missingImages: string[]; // files named by kept images but absent from `images`
  linked: Record<'hardlink' | 'symlink' | 'copy', number>;
  seconds: number;
  peakRssMB: number;
  dataYaml: string;
}

interface ImageInfo {
  file: string;
  w: number;
  h: number;
}

interface ImageRows {
  /** Spool byte offsets and lengths, interleaved. */
  spans: number[];
  /** Dedup keys (class + box) as Ultralytics' `if box not in bboxes`. */
  keys: Set<string>;
}

function resolveClasses(classes: (string | number)[] | undefined): { remap: Map<number, number>; names: string[] } {
  if (!classes || classes.length === 0) return { remap: new Map(COCO80_NAMES.map((_, i) => [i, i])), names: [...COCO80_NAMES] };
  const remap = new Map<number, number>();
  const names: string[] = [];
  for (const c of classes) {
    const id = typeof c === 'number' ? c : /^\d+$/.test(c) ? Number(c) : COCO80_NAMES.indexOf(c.trim());
    if (id < 0 || id >= COCO80_NAMES.length) {
      throw new AnimesegError('BAD_OPTION', `unknown COCO class '${c}'`, { hint: `use names like ${COCO80_NAMES.slice(0, 4).join(', ')} or ids 0-79` });
    }
    if (!remap.has(id)) {
      remap.set(id, names.length);
      names.push(COCO80_NAMES[id]);
    }
  }
  return { remap, names };
}

function bad(file: string, what: string, offset: number): AnimesegError {
  return new AnimesegError('BAD_DATASET', `corrupt annotation file: ${what} (element at byte ${offset})`, { file });
}


/** Link (or copy) one image; hardlink falls back to symlink, then copy (e.g. across file systems). */
export async function placeImage(src: string, dst: string, mode: Exclude<LinkMode, 'none'>): Promise<'hardlink' | 'symlink' | 'copy'> {
  await stat(src); // ENOENT here, before a symlink could point at nothing
  if (mode === 'hardlink') {
    try {
      await link(src, dst);
      return 'hardlink';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'hardlink';
      mode = 'symlink';
    }
  }
  if (mode === 'symlink') {
    try {
      await symlink(resolve(src), dst);
      return 'symlink';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'symlink';
    }
  }
  await copyFile(src, dst);
  return 'copy';
}

/** Peak resident memory, sampled at the points where the converter holds the most. */
class RssMeter {
  peak = process.memoryUsage().rss;
  sample(): void {
    const r = process.memoryUsage().rss;
    if (r > this.peak) this.peak = r;
  }
}

/**
 * Label rows spooled to a file as they are made (the file is in annotation order, labels are written per
 * image): each image keeps only [offset, length] pairs, so memory stays flat for the full COCO set.
 */
class RowSpool {
  private readonly fd: number;
  private pos = 0;
  private pending: string[] = [];
  private pendingLen = 0;
  private buf = Buffer.alloc(1 << 16);
  private open = true;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w+');
  }

  /** Appends a row and records its span in `spans`. */
  append(line: string, spans: number[]): void {
    spans.push(this.pos, line.length);
    this.pending.push(line);
    this.pos += line.length;
    this.pendingLen += line.length;
    if (this.pendingLen > 1 << 18) this.flush(); // small batches: row strings die young instead of filling the old generation
  }

  flush(): void {
    if (this.pendingLen === 0) return;
    const b = Buffer.from(this.pending.join(''), 'latin1');
    writeSync(this.fd, b, 0, b.length, this.pos - this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
  }

  /** The rows of `spans`, concatenated (call after flush). */
  read(spans: readonly number[]): string {
    let text = '';
    for (let i = 0; i < spans.length; i += 2) {
      const len = spans[i + 1];
      if (this.buf.length < len) this.buf = Buffer.alloc(len * 2);
      readSync(this.fd, this.buf, 0, len, spans[i]);
      text += this.buf.toString('latin1', 0, len);
    }
    return text;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}

/** The checked options of one conversion. */
interface ConvertPlan {
  annFile: string;
  annBytes: number;
  split: string;
  /** COCO-80 class → output class id. */
  remap: Map<number, number>;
  names: string[];
  out: string;
  finalLabels: string;
  finalImages: string;
  linkMode: LinkMode;
}

/** Everything the options say before reading the file: inputs exist, the split name, the classes. */
async function planConversion(opts: Coco2YoloOptions): Promise<ConvertPlan> {
  const annFile = opts.annotations;
  const linkMode = opts.link ?? 'hardlink';
  if (linkMode !== 'none' && !opts.images) {
    throw new AnimesegError('BAD_OPTION', '--images is required to link images (or use --link none for labels only)');
  }
  if (opts.images && !(await pathExists(opts.images))) throw new AnimesegError('BAD_INPUT', 'images folder does not exist', { file: opts.images });
  let annBytes: number;
  try {
    annBytes = (await stat(annFile)).size;
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', 'annotation file does not exist', { file: annFile, cause: e });
  }
  const split = opts.split ?? basename(annFile, extname(annFile)).replace(/^instances_/, '');
  if (!/^[\w.-]+$/.test(split)) throw new AnimesegError('BAD_OPTION', `split name '${split}' must be a plain folder name`, { hint: 'pass --split train' });
  const { remap, names: cocoNames } = resolveClasses(opts.classes);
  if (opts.names && opts.names.length !== cocoNames.length) {
    throw new AnimesegError('BAD_OPTION', `--names gives ${opts.names.length} names for ${cocoNames.length} kept classes (${cocoNames.join(', ')})`);
  }
  const out = resolve(opts.out);
  const finalLabels = join(out, 'labels', split);
  if (!opts.force && (await pathExists(finalLabels))) {
    throw new AnimesegError('BAD_OPTION', `split '${split}' was already converted`, { file: finalLabels, hint: 'use --force to convert it again' });
  }
  return { annFile, annBytes, split, remap, names: opts.names ?? cocoNames, out, finalLabels, finalImages: join(out, 'images', split), linkMode };
}

function emptyStats(split: string, out: string): Coco2YoloStats {
  return {
    split,
    images: 0,
    annotations: 0,
    labelFiles: 0,
    rows: 0,
    skipped: { crowd: 0, degenerateBox: 0, unmappedCategory: 0, otherClass: 0, duplicate: 0, noPolygon: 0, noImage: 0 },
    missingImages: [],
    linked: { hardlink: 0, symlink: 0, copy: 0 },
    seconds: 0,
    peakRssMB: 0,
    dataYaml: join(out, 'data.yaml'),
  };
}

/** What the scan builds: the images by id and the kept rows per image. */
interface Conversion {
  plan: ConvertPlan;
  stats: Coco2YoloStats;
  spool: RowSpool;
  images: Map<number, ImageInfo>;
  /** Insertion order = order of first kept annotation (the order Ultralytics writes labels in). */
  perImage: Map<number, ImageRows>;
}

/** One `images` element: id, size and a file name that stays inside the images folder. */
function readImageEntry(c: Conversion, o: Record<string, unknown>, off: number): void {
  const id = o.id;
  const fileName = o.file_name;
  if (typeof id !== 'number' || typeof fileName !== 'string' || typeof o.width !== 'number' || typeof o.height !== 'number') {
    throw bad(c.plan.annFile, 'image entry without numeric id/width/height and file_name', off);
  }
  if (fileName.includes('..') || fileName.startsWith('/')) throw bad(c.plan.annFile, `unsafe file_name '${fileName}'`, off);
  c.images.set(id, { file: fileName, w: o.width, h: o.height });
  c.stats.images++;
}

/** One annotation: Ultralytics' filters (crowd, degenerate box, class, duplicate), then its polygon row. */
function keepAnnotation(c: Conversion, a: Record<string, unknown>, off: number): void {
  const { stats, plan } = c;
  stats.annotations++;
  const imageId = a.image_id as number;
  const catId = a.category_id as number;
  const bbox = a.bbox as number[];
  if (typeof imageId !== 'number' || typeof catId !== 'number') throw bad(plan.annFile, 'annotation without numeric image_id/category_id', off);
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number')) throw bad(plan.annFile, `annotation ${String(a.id)} has no [x, y, w, h] bbox`, off);
  if (a.iscrowd) {
    stats.skipped.crowd++;
    return;
  }
  const img = c.images.get(imageId);
  if (!img) {
    stats.skipped.noImage++;
    return;
  }
  const { w, h } = img;
  // Same float operations as Ultralytics: xy += wh / 2, then x and w / width, y and h / height.
  const cx = (bbox[0] + bbox[2] / 2) / w;
  const cy = (bbox[1] + bbox[3] / 2) / h;
  const bw = bbox[2] / w;
  const bh = bbox[3] / h;
  if (bw <= 0 || bh <= 0) {
    stats.skipped.degenerateBox++;
    return;
  }
  const c80 = coco91to80(catId);
  if (c80 === null) {
    stats.skipped.unmappedCategory++;
    return;
  }
  const cls = plan.remap.get(c80);
  if (cls === undefined) {
    stats.skipped.otherClass++;
    return;
  }
  let rows = c.perImage.get(imageId);
  const key = `${cls} ${cx} ${cy} ${bw} ${bh}`;
  if (rows?.keys.has(key)) {
    stats.skipped.duplicate++;
    return;
  }
  if (!rows) c.perImage.set(imageId, (rows = { spans: [], keys: new Set() }));
  rows.keys.add(key);
  const seg = a.segmentation;
  if (!Array.isArray(seg) || seg.length === 0 || !seg.every((p) => Array.isArray(p))) {
    stats.skipped.noPolygon++;
    return;
  }
  const parts = seg as number[][];
  const pts = parts.length > 1 ? mergeMultiSegment(parts) : parts[0];
  if (pts.length < 6 || pts.length % 2 !== 0) {
    stats.skipped.noPolygon++;
    return;
  }
  let line = String(cls);
  for (let i = 0; i < pts.length; i += 2) line += ' ' + formatG(pts[i] / w) + ' ' + formatG(pts[i + 1] / h);
  line += '\n';
  c.spool.append(line, rows.spans);
  stats.rows++;
}

/**
 * Stream the file's `images` and `annotations` arrays. Annotations need their image's size, so when
 * 'annotations' comes before 'images' in the file they are read in a second pass.
 */
async function scanAnnotationFile(c: Conversion, rss: RssMeter, progressMode: Coco2YoloOptions['progress']): Promise<void> {
  const { annFile, annBytes, split } = c.plan;
  let imagesDone = false;
  let annotationsEarly = false;
  const runScan = async (pass: 1 | 2): Promise<void> => {
    const mb = 1 << 20;
    let reported = 0;
    const totalMB = Math.ceil(annBytes / mb);
    const progress = new Progress({
      total: totalMB,
      label: pass === 1 ? `coco2yolo ${split}` : `coco2yolo ${split} (annotations)`,
      unit: 'MB',
      mode: progressMode ?? 'auto',
    });
    await scanTopLevelArrays(annFile, new Set(pass === 1 ? ['images', 'annotations'] : ['annotations']), {
      element: (key, value, off) => {
        if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(annFile, `'${key}' element is not an object`, off);
        const o = value as Record<string, unknown>;
        if (key === 'images') readImageEntry(c, o, off);
        else if (pass === 2 || imagesDone) keepAnnotation(c, o, off);
        else annotationsEarly = true;
      },
      arrayEnd: (key) => {
        if (key === 'images') imagesDone = true;
      },
      progress: (read) => {
        const now = Math.floor(read / mb);
        if (now > reported) {
          progress.tick(now - reported);
          reported = now;
        }
        rss.sample();
      },
    });
    if (reported < totalMB) progress.tick(totalMB - reported);
    progress.finish();
  };
  await runScan(1);
  if (annotationsEarly) {
    // 'annotations' came before 'images' in the file: now that every image is known, read them again.
    c.stats.annotations = 0;
    await runScan(2);
  }
  c.spool.flush();
  if (c.stats.images === 0) throw new AnimesegError('BAD_DATASET', "no 'images' array in the annotation file", { file: annFile });
}

/**
 * Label files (into `stagedLabels`) and image links for images with kept rows, in the order Ultralytics
 * would write them. Images are linked straight into their final folder (skipping ones already there):
 * without labels and data.yaml they do not make the set look complete, and we never delete an images
 * folder (it may be the user's own copy of COCO).
 */
async function writeLabels(c: Conversion, imagesDir: string | undefined, stagedLabels: string, rss: RssMeter, progressMode: Coco2YoloOptions['progress']): Promise<void> {
  const { plan, stats } = c;
  const linkMode = plan.linkMode;
  if (linkMode !== 'none') await mkdir(plan.finalImages, { recursive: true });
  const progress = new Progress({ total: c.perImage.size, label: `write ${plan.split}`, unit: 'img', mode: progressMode ?? 'auto' });
  const madeDirs = new Set<string>();
  const ensureDir = async (dir: string, sync: boolean): Promise<void> => {
    if (madeDirs.has(dir)) return;
    if (sync) mkdirSync(dir, { recursive: true });
    else await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  };
  for (const [imageId, rows] of c.perImage) {
    if (rows.spans.length === 0) {
      progress.tick();
      continue; // every kept box had no polygon
    }
    const img = c.images.get(imageId)!;
    if (linkMode !== 'none') {
      const src = join(imagesDir!, img.file);
      const dst = join(plan.finalImages, img.file);
      await ensureDir(dirname(dst), false);
      try {
        stats.linked[await placeImage(src, dst, linkMode)]++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AnimesegError('IO', `cannot link/copy image: ${(e as Error).message}`, { file: src, cause: e });
        // Without its image the label would be an orphan: report and leave both out.
        stats.missingImages.push(img.file);
        progress.tick(1, false);
        continue;
      }
    }
    const text = c.spool.read(rows.spans);
    const labelPath = join(stagedLabels, img.file.replace(/\.[^./]+$/, '') + '.txt');
    await ensureDir(dirname(labelPath), true);
    // Synchronous: tens of thousands of tiny files write faster without a thread-pool round trip each.
    writeFileSync(labelPath, text);
    stats.labelFiles++;
    progress.tick();
    if ((stats.labelFiles & 1023) === 0) rss.sample();
  }
  progress.finish();
}

/** Move into place: labels, then data.yaml last (it marks the set complete). */
async function publishSplit(plan: ConvertPlan, stagedLabels: string, force: boolean): Promise<void> {
  await mkdir(join(plan.out, 'labels'), { recursive: true });
  if (force) await rm(plan.finalLabels, { recursive: true, force: true });
  await rename(stagedLabels, plan.finalLabels);
  await writeCocoDataYaml(plan.out, plan.split, plan.names);
}

export async function coco2yolo(opts: Coco2YoloOptions): Promise<Coco2YoloStats> {
  const t0 = Date.now();
  const rss = new RssMeter();
  const plan = await planConversion(opts);

  // Everything is built in a staging folder and moved into place at the end, so a crash or a corrupt file
  // never leaves a labels folder or data.yaml that looks complete.
  const staging = join(plan.out, `${TEMP_PREFIX}coco2yolo-${plan.split}`);
  await rm(staging, { recursive: true, force: true });
  const stagedLabels = join(staging, 'labels');
  await mkdir(stagedLabels, { recursive: true });
  const c: Conversion = { plan, stats: emptyStats(plan.split, plan.out), spool: new RowSpool(join(staging, 'rows.spool')), images: new Map(), perImage: new Map() };
  try {
    await scanAnnotationFile(c, rss, opts.progress);
    await writeLabels(c, opts.images, stagedLabels, rss, opts.progress);
    c.spool.close();
    await rm(c.spool.path, { force: true });
    await publishSplit(plan, stagedLabels, opts.force ?? false);
    await rm(staging, { recursive: true, force: true });
  } catch (e) {
    c.spool.close();
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  rss.sample();
  c.stats.seconds = (Date.now() - t0) / 1000;
  c.stats.peakRssMB = Math.round(rss.peak / (1 << 20));
  return c.stats;
}

/** data.yaml listing every split converted into `out` so far; a missing val/train reuses the other. */
async function writeCocoDataYaml(out: string, split: string, names: string[]): Promise<void> {
  const file = join(out, 'data.yaml');
  const splits = new Set<string>([split]);
  if (await pathExists(file)) {
    try {
      const prev = await readDataYaml(file);
      for (const s of ['train', 'val'] as const) {
        for (const p of prev.splits[s] ?? []) {
          const m = /[\\/]images[\\/]([^\\/]+)$/.exec(p);
          if (m && (await pathExists(join(out, 'labels', m[1])))) splits.add(m[1]);
        }
      }
    } catch {
      /* rewritten below */
    }
  }
  const list = [...splits].sort();
  const train = list.find((s) => /train/i.test(s)) ?? list.find((s) => !/val/i.test(s)) ?? list[0];
  const val = list.find((s) => /val/i.test(s)) ?? train;
  await writeDataYaml(file, {
    root: out,
    train: `images/${train}`,
    val: `images/${val}`,
    names,
    comment: `written by animeseg coco2yolo${val === train ? ' (no val split converted yet: val = train)' : ''}`,
  });
}
