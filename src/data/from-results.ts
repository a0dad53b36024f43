/**
 * `animeseg dataset from-results`: turn a folder of `animeseg segment` results (NAME.json: refined masks as
 * polygons and COCO RLE) into training data for the next round (pseudo-labels):
 * - a COCO instances JSON (images, annotations with polygon segmentation, bbox, area, score, categories), and/or
 * - an Ultralytics YOLO-seg set: DIR/images/SPLIT (the source images linked or copied), DIR/labels/SPLIT/*.txt,
 *   DIR/data.yaml (written last; train and val both name SPLIT, since Ultralytics requires a val entry).
 * Both get the same instances: score >= minScore, area >= minArea of the image, and a polygon of >= 3 points.
 * Classes are renumbered 0.. in order of their id in the results (a person-only COCO run gives one class 0);
 * COCO category ids are that number + 1 (COCO's convention; `eval --predictions` maps them back by order).
 * Multi-part masks become one YOLO row with Ultralytics' merge_multi_segment (src/data/polygons.ts), as
 * `coco2yolo` would make from the COCO file.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { AnimesegError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { decodeRle, rleFromJson } from '../mask/rle.js';
import { polygonBounds } from '../mask/polygon.js';
import { isResultJsonShape, type StoredResultJson, polygonsInBox } from '../pipeline/outputs.js';
import { placeImage, type LinkMode } from './coco2yolo.js';
import { walkFiles } from './files.js';
import { formatLabelRow } from './labels.js';
import { mergeMultiSegment } from './polygons.js';
import { writeDataYaml } from './yaml.js';

export interface FromResultsOptions {
  /** Folder of NAME.json files written by `animeseg segment` (searched recursively). */
  results: string;
  /** Write a COCO instances JSON here. */
  coco?: string;
  /** Write a YOLO-seg dataset (images/, labels/, data.yaml) into this folder. */
  yolo?: string;
  /** Keep instances with score >= this (default 0). */
  minScore?: number;
  /** Keep instances whose mask covers at least this fraction of the image (default 0). */
  minArea?: number;
  /** Split folder name of the YOLO set (default train). */
  split?: string;
  /** How source images get into the YOLO set (default hardlink, falling back to symlink, then copy). */
  link?: Exclude<LinkMode, 'none'>;
  /** Names to write instead of the results' class names (one per kept class, in class-id order). */
  names?: string[];
  /** Also export images with no kept instance (as background images with an empty label file). */
  keepEmpty?: boolean;
}

export interface FromResultsSummary {
  resultFiles: number;
  images: number;
  instances: number;
  dropped: { score: number; area: number; noPolygon: number };
  /** Images left out: no kept instance (unless keepEmpty), or the source image is missing. */
  emptyImages: string[];
  missingImages: string[];
  /** JSON files in the folder that are not segment results (e.g. other tools' files). */
  ignored: string[];
  classes: string[];
  coco?: string;
  dataYaml?: string;
}

interface StoredInstance {
  id: number;
  class_id: number;
  class_name: string;
  score: number;
  area: number;
  polygons?: number[][];
  rle?: unknown;
}


/** Polygon parts with >= 3 points: the stored ones, else traced from the stored RLE (the exact mask). */
function partsOf(inst: StoredInstance, file: string): number[][] {
  let parts = (inst.polygons ?? []).filter((p) => Array.isArray(p) && p.length >= 6);
  if (parts.length === 0 && inst.rle !== undefined) parts = polygonsInBox(decodeRle(rleFromJson(inst.rle, file)), { epsilon: 1 }).map((p) => Array.from(p)).filter((p) => p.length >= 6);
  return parts;
}

const COCO_MARK = 'animeseg pseudo-labels from ';
const YAML_MARK = '# animeseg dataset from-results ';

/**
 * Never replace a file this command did not write: an existing COCO file or data.yaml must carry our mark
 * (a rerun updates its own export), anything else is the user's and is refused.
 */
async function refuseForeign(file: string, isOurs: (text: string) => boolean, what: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return; // absent: nothing to protect
  }
  if (!isOurs(text)) {
    throw new AnimesegError('BAD_OPTION', `${what} exists and was not written by 'dataset from-results'; refusing to replace it`, {
      file,
      hint: 'choose another output path (or an empty folder)',
    });
  }
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** A result kept for the dataset: its name (path under the results folder, no .json) and its kept instances. */
interface KeptResult {
  name: string;
  result: StoredResultJson<StoredInstance>;
  rows: { inst: StoredInstance; parts: number[][] }[];
}

/** The dataset's classes: result class ids in order → 0-based ids, and their names (or --names). */
interface ClassTable {
  remap: Map<number, number>;
  names: string[];
}

export async function datasetFromResults(opts: FromResultsOptions): Promise<FromResultsSummary> {
  if (!opts.coco && !opts.yolo) throw new AnimesegError('BAD_OPTION', 'nothing to write: give --coco FILE.json and/or --yolo DIR');
  const resultsDir = resolve(opts.results);
  await refuseForeignOutputs(opts);
  const summary: FromResultsSummary = {
    resultFiles: 0,
    images: 0,
    instances: 0,
    dropped: { score: 0, area: 0, noPolygon: 0 },
    emptyImages: [],
    missingImages: [],
    ignored: [],
    classes: [],
  };
  const { kept, classNames } = await readResults(resultsDir, opts, summary);
  const classes = classTable(classNames, opts.names);
  summary.classes = classes.names;
  summary.images = kept.length;
  summary.instances = kept.reduce((n, k) => n + k.rows.length, 0);
  if (opts.coco) summary.coco = await writeCoco(resolve(opts.coco), kept, classes, resultsDir, opts.yolo !== undefined);
  if (opts.yolo) summary.dataYaml = await writeYoloSet(resolve(opts.yolo), kept, classes, resultsDir, opts);
  return summary;
}

/** Outputs that exist and were not written by this command are not replaced. */
async function refuseForeignOutputs(opts: FromResultsOptions): Promise<void> {
  if (opts.coco) {
    await refuseForeign(resolve(opts.coco), (t) => {
      try {
        return String((JSON.parse(t) as { info?: { description?: unknown } }).info?.description ?? '').startsWith(COCO_MARK);
      } catch {
        return false;
      }
    }, 'the COCO file');
  }
  if (opts.yolo) await refuseForeign(join(resolve(opts.yolo), 'data.yaml'), (t) => t.startsWith(YAML_MARK), 'data.yaml');
}

/** Pass 1: read every result JSON, keep the instances that pass the filters, collect the classes; counts go to `summary`. */
async function readResults(resultsDir: string, opts: FromResultsOptions, summary: FromResultsSummary): Promise<{ kept: KeptResult[]; classNames: Map<number, string> }> {
  const minScore = opts.minScore ?? 0;
  const minArea = opts.minArea ?? 0;
  const files = (await walkFiles(resultsDir)).filter((f) => f.toLowerCase().endsWith('.json'));
  const kept: KeptResult[] = [];
  const classNames = new Map<number, string>();
  for (const f of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(f, 'utf8'));
    } catch (e) {
      throw new AnimesegError('BAD_INPUT', `cannot read result JSON: ${(e as Error).message}`, { file: f, hint: 'rerun animeseg segment for that image' });
    }
    if (!isResultJsonShape<StoredInstance>(doc)) {
      summary.ignored.push(relative(resultsDir, f));
      continue;
    }
    summary.resultFiles++;
    const name = relative(resultsDir, f).slice(0, -'.json'.length).split(sep).join('/');
    const pixels = doc.width * doc.height;
    const rows: KeptResult['rows'] = [];
    for (const inst of doc.instances) {
      if (!(inst.score >= minScore)) {
        summary.dropped.score++;
        continue;
      }
      if (!(inst.area / pixels >= minArea)) {
        summary.dropped.area++;
        continue;
      }
      const parts = partsOf(inst, f);
      if (parts.length === 0) {
        summary.dropped.noPolygon++;
        continue;
      }
      rows.push({ inst, parts });
      if (!classNames.has(inst.class_id)) classNames.set(inst.class_id, inst.class_name);
    }
    if (rows.length === 0 && !opts.keepEmpty) {
      summary.emptyImages.push(name);
      continue;
    }
    try {
      await stat(doc.image);
    } catch {
      summary.missingImages.push(doc.image);
      continue;
    }
    kept.push({ name, result: doc, rows });
  }
  return { kept, classNames };
}

function classTable(classNames: Map<number, string>, given: string[] | undefined): ClassTable {
  const ids = [...classNames.keys()].sort((a, b) => a - b);
  const names = ids.map((id, k) => given?.[k] ?? classNames.get(id)!);
  if (given && given.length !== ids.length) {
    throw new AnimesegError('BAD_OPTION', `--names gives ${given.length} name(s) but the results hold ${ids.length} class(es): ${ids.map((id) => classNames.get(id)).join(', ')}`);
  }
  return { remap: new Map(ids.map((id, k) => [id, k])), names };
}

/** The COCO instances JSON (file names relative to the YOLO set's images when one is written too); its path. */
async function writeCoco(file: string, kept: KeptResult[], classes: ClassTable, resultsDir: string, withYolo: boolean): Promise<string> {
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  kept.forEach((k, i) => {
    const fileName = withYolo ? `${k.name}${extname(k.result.image)}` : k.result.image;
    images.push({ id: i + 1, file_name: fileName, width: k.result.width, height: k.result.height });
    for (const { inst, parts } of k.rows) {
      const [x1, y1, x2, y2] = polygonBounds(parts)!; // parts are non-empty (filtered above)
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: classes.remap.get(inst.class_id)! + 1,
        segmentation: parts,
        area: inst.area,
        bbox: [x1, y1, x2 - x1, y2 - y1],
        iscrowd: 0,
        score: inst.score,
      });
    }
  });
  const doc = {
    info: { description: `${COCO_MARK}${resultsDir}`, date_created: new Date().toISOString() },
    images,
    annotations,
    categories: classes.names.map((n, k) => ({ id: k + 1, name: n })),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(doc) + '\n');
  return file;
}

/** The YOLO-seg set: images placed (linked or copied), one label file each, data.yaml; the data.yaml path. */
async function writeYoloSet(root: string, kept: KeptResult[], classes: ClassTable, resultsDir: string, opts: FromResultsOptions): Promise<string> {
  const split = opts.split ?? 'train';
  for (const k of kept) {
    const img = join(root, 'images', split, `${k.name}${extname(k.result.image)}`);
    const label = join(root, 'labels', split, `${k.name}.txt`);
    await mkdir(dirname(img), { recursive: true });
    await mkdir(dirname(label), { recursive: true });
    await placeImage(k.result.image, img, opts.link ?? 'hardlink');
    const { width: w, height: h } = k.result;
    const lines = k.rows.map(({ inst, parts }) => {
      const merged = mergeMultiSegment(parts);
      const norm = merged.map((v, j) => clamp01(j % 2 === 0 ? v / w : v / h));
      return formatLabelRow(classes.remap.get(inst.class_id)!, norm);
    });
    await writeFileAtomic(label, lines.length ? lines.join('\n') + '\n' : '');
  }
  const dataYaml = join(root, 'data.yaml');
  await writeDataYaml(dataYaml, {
    root,
    train: `images/${split}`,
    val: `images/${split}`,
    names: classes.names,
    comment: `${YAML_MARK.slice(2)}${resultsDir}: pseudo-labels (min score ${opts.minScore ?? 0}, min area ${opts.minArea ?? 0}); val = train, split off a val set before training`,
  });
  return dataYaml;
}
