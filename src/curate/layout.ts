/**
 * Export layouts: where each kept picture and its caption go, and the index file a trainer reads.
 * - kohya: DIR/N_trigger[ class]/FILE.png + FILE.txt (kohya's DreamBooth-style folders: N repeats per epoch);
 * - hf: DIR/train/FILE.png + DIR/train/metadata.jsonl ({"file_name", "text", ...}: Hugging Face datasets'
 *   imagefolder loader);
 * - plain: DIR/FILE.png (+ FILE.txt with captions) + DIR/metadata.csv.
 */
import { AnimesegError } from '../errors.js';

export const LAYOUTS = ['kohya', 'hf', 'plain'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface LayoutSpec {
  layout: Layout;
  /** kohya: repeats per epoch (the N of N_trigger). */
  repeats?: number;
  trigger?: string;
  /** kohya: the class word after the trigger in the folder name ('1girl', 'person'). */
  classWord?: string;
}

/** What the index file needs of one exported picture. */
export interface ExportRow {
  /** Path of the picture relative to the layout's data folder ('/'-separated). */
  file: string;
  caption: string | null;
  key: string;
  source: string;
  width: number;
  height: number;
  score?: number;
}

/** The data folder (relative to DIR) the pictures go in. */
export function dataFolder(spec: LayoutSpec): string {
  if (spec.layout === 'kohya') {
    if (!spec.trigger) throw new AnimesegError('BAD_OPTION', 'the kohya layout needs a trigger word for its folder name', { hint: 'give --trigger WORD (e.g. --trigger mychar)' });
    if (/[\\/]/.test(spec.trigger) || /[\\/]/.test(spec.classWord ?? '')) throw new AnimesegError('BAD_OPTION', 'the trigger and class words may not contain / or \\');
    return `${spec.repeats ?? 10}_${spec.trigger}${spec.classWord ? ` ${spec.classWord}` : ''}`;
  }
  return spec.layout === 'hf' ? 'train' : '';
}

/** A flat file stem for an item key (sub-folders joined with '__', so a kohya folder stays flat). */
export const fileStem = (key: string): string => key.split('/').join('__');

/**
 * Whether each picture gets a FILE.txt caption beside it: always in kohya (its trainers read them), in plain
 * when there are captions (a trigger or a tagger), never in hf (captions are in metadata.jsonl).
 */
export const sidecarCaptions = (spec: LayoutSpec, hasCaptions: boolean): boolean => spec.layout === 'kohya' || (spec.layout === 'plain' && hasCaptions);

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The index file (path relative to DIR and its text), or null for kohya (its captions are the files). */
export function indexFile(spec: LayoutSpec, rows: readonly ExportRow[]): { path: string; text: string } | null {
  if (spec.layout === 'kohya') return null;
  if (spec.layout === 'hf') {
    const text = rows.map((r) => JSON.stringify({ file_name: r.file, text: r.caption ?? '', source: r.source, key: r.key, width: r.width, height: r.height, ...(r.score !== undefined ? { score: r.score } : {}) }) + '\n').join('');
    return { path: 'train/metadata.jsonl', text };
  }
  const header = 'file_name,caption,source,key,width,height,score\n';
  return { path: 'metadata.csv', text: header + rows.map((r) => [r.file, r.caption, r.source, r.key, r.width, r.height, r.score].map(csvCell).join(',') + '\n').join('') };
}
