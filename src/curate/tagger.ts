/**
 * WD14 tagging (SmilingWolf's wd-*-tagger ONNX models and their selected_tags.csv, Apache-2.0) for
 * captions, with the preprocessing of SmilingWolf's own demo: alpha composited on white, padded to a white
 * square (centred), resized to the model's side (448), channels in BGR order, values 0..255 float32, NHWC
 * [1, S, S, 3]. The output is one probability per CSV row (the models end in a sigmoid). Tags are kept
 * per category: general (CSV category 0) at >= generalThreshold, character (4) at >= characterThreshold;
 * rating tags (9) never go into captions. The resize is sharp's bicubic, not PIL's, so probabilities can
 * differ from the Python demo in the last digits.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { AnimesegError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { resolveModel, type ResolveOptions } from '../models/resolver/index.js';
import { acquireSession, ort, type Device, type SharedSession } from '../models/session.js';

export interface TagDef {
  name: string;
  /** Danbooru category as the CSV gives it: 0 general, 4 character, 9 rating. */
  category: number;
}

export interface Tag {
  name: string;
  category: 'general' | 'character';
  probability: number;
}

export const DEFAULT_TAGGER = 'wd-swinv2-tagger-v3';
export const DEFAULT_GENERAL_THRESHOLD = 0.35;
export const DEFAULT_CHARACTER_THRESHOLD = 0.85;

/** Tags whose underscores are part of the face, kept as they are (the list of SmilingWolf's demo). */
const KAOMOJIS = new Set(['0_0', '(o)_(o)', '+_+', '+_-', '._.', '<o>_<o>', '<|>_<|>', '=_=', '>_<', '3_3', '6_9', '>_o', '@_@', '^_^', 'o_o', 'u_u', 'x_x', '|_|', '||_||']);

/** A tag as trainers write captions: underscores to spaces (kaomoji kept), brackets escaped as prompts need. */
export function captionTag(name: string): string {
  const t = KAOMOJIS.has(name) ? name : name.replace(/_/g, ' ');
  return t.replace(/([()])/g, '\\$1');
}

/** Parse selected_tags.csv (tag_id,name,category,count; a header line; names may be quoted). */
export function parseTagsCsv(text: string, file?: string): TagDef[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '');
  const nameCol = header.indexOf('name');
  const catCol = header.indexOf('category');
  if (nameCol < 0 || catCol < 0) {
    throw new AnimesegError('BAD_MODEL', "the tags CSV has no 'name' and 'category' columns", { file, hint: "use the selected_tags.csv published with the model" });
  }
  return lines.slice(1).map((l, i) => {
    const cells = splitCsvLine(l);
    const category = Number(cells[catCol]);
    if (!cells[nameCol] || !Number.isInteger(category)) throw new AnimesegError('BAD_MODEL', `tags CSV line ${i + 2} is malformed`, { file });
    return { name: cells[nameCol], category };
  });
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Probabilities → the kept tags: characters first, then general tags, each by probability (highest first). */
export function selectTags(probs: ArrayLike<number>, defs: readonly TagDef[], opts: { general?: number; character?: number; exclude?: ReadonlySet<string> } = {}): Tag[] {
  const general = opts.general ?? DEFAULT_GENERAL_THRESHOLD;
  const character = opts.character ?? DEFAULT_CHARACTER_THRESHOLD;
  const out: Tag[] = [];
  for (let i = 0; i < defs.length; i++) {
    const { name, category } = defs[i];
    if (opts.exclude?.has(name) || opts.exclude?.has(captionTag(name))) continue;
    const p = probs[i];
    if (category === 0 && p >= general) out.push({ name, category: 'general', probability: p });
    else if (category === 4 && p >= character) out.push({ name, category: 'character', probability: p });
  }
  const rank = (t: Tag) => (t.category === 'character' ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || b.probability - a.probability || (a.name < b.name ? -1 : 1));
}

/** A caption line: the trigger word (if any), then the tags, comma-separated. */
export function captionOf(tags: readonly Tag[], trigger?: string): string {
  return [...(trigger ? [trigger] : []), ...tags.map((t) => captionTag(t.name))].join(', ');
}

/** The model's input tensor for a picture: white under alpha, white-padded square, S x S, BGR 0..255, NHWC. */
export async function taggerInput(img: RawImage, side: number): Promise<Float32Array> {
  const { width, height, channels } = img;
  const sq = Math.max(width, height);
  const { data } = await sharp(img.data, { raw: { width, height, channels } })
    .flatten({ background: '#ffffff' })
    .extend({
      left: Math.floor((sq - width) / 2),
      right: sq - width - Math.floor((sq - width) / 2),
      top: Math.floor((sq - height) / 2),
      bottom: sq - height - Math.floor((sq - height) / 2),
      background: '#ffffff',
    })
    .resize(side, side, { kernel: 'cubic' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Float32Array(side * side * 3);
  for (let p = 0; p < side * side; p++) {
    out[p * 3] = data[p * 3 + 2];
    out[p * 3 + 1] = data[p * 3 + 1];
    out[p * 3 + 2] = data[p * 3];
  }
  return out;
}

export interface TaggerOptions extends Pick<ResolveOptions, 'modelsDir' | 'cacheDir' | 'noVerify' | 'progress' | 'env'> {
  device?: Device;
  threads?: number;
}

export interface Tagger {
  readonly model: string;
  readonly tags: readonly TagDef[];
  readonly side: number;
  /** One probability per tag. */
  probabilities(img: RawImage): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * Load a tagger by manifest name (its tags CSV is the entry NAME-tags) or by path to an .onnx file (its tags
 * CSV is FILE.csv beside it, else selected_tags.csv in the same folder).
 */
export async function loadTagger(nameOrPath: string, opts: TaggerOptions = {}): Promise<Tagger> {
  const model = await resolveModel(nameOrPath, opts);
  let csvPath: string;
  if (model.entry) csvPath = (await resolveModel(`${model.entry.name}-tags`, opts)).path;
  else {
    const sibling = model.path.replace(/\.onnx$/i, '.csv');
    csvPath = await readFile(sibling).then(() => sibling, () => join(dirname(model.path), 'selected_tags.csv'));
  }
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch {
    throw new AnimesegError('MODEL_NOT_FOUND', "the tagger's tags CSV is missing", { file: csvPath, hint: 'put the selected_tags.csv of the model beside it (as MODEL.csv or selected_tags.csv)' });
  }
  const tags = parseTagsCsv(text, csvPath);
  const shared: SharedSession = await acquireSession(model.path, { device: opts.device, threads: opts.threads });
  const s = shared.session;
  const meta = s.inputMetadata[0] as { shape?: readonly (number | string)[] } | undefined;
  const dims = meta?.shape ?? [];
  const side = typeof dims[1] === 'number' && dims[1] > 0 ? dims[1] : 448;
  if (dims.length === 4 && dims[3] !== 3) {
    await shared.release();
    throw new AnimesegError('BAD_MODEL', `a WD14 tagger takes NHWC [1, S, S, 3] input; this one takes [${dims.join(', ')}]`, { file: model.path });
  }
  return {
    model: model.entry?.name ?? model.path,
    tags,
    side,
    async probabilities(img) {
      const input = await taggerInput(img, side);
      const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', input, [1, side, side, 3]) });
      const probs = out[s.outputNames[0]].data as Float32Array;
      if (probs.length !== tags.length) {
        throw new AnimesegError('BAD_MODEL', `the tagger gives ${probs.length} outputs but its tags CSV has ${tags.length} rows`, { file: csvPath, hint: 'use the CSV published with this model' });
      }
      return probs;
    },
    dispose: () => shared.release(),
  };
}
