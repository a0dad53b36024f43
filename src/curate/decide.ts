/**
 * The decisions of a curation run, from the measures alone (pure and fast, so thresholds can be tried
 * without decoding anything again): the filters in CURATE_STEPS order (an item is dropped for the first
 * rule it fails), then near-duplicate groups among the items that passed, keeping the best of each.
 */
import { groupNearDuplicates } from './group.js';
import { hamming, hashFromHex } from './hash.js';

/** The measures of one item (one line of .curate/analysis.jsonl). */
export interface ItemAnalysis {
  v: number;
  key: string;
  source: string;
  /** Source file size:mtime (and the result file's), to tell a changed source. */
  stamp: string;
  instance?: number;
  score?: number;
  className?: string;
  /** Set when the source could not be read; nothing else is. */
  error?: string;
  width: number;
  height: number;
  /** Visible pixels (alpha >= 128). */
  pixels: number;
  areaFraction: number | null;
  borderCut: number | null;
  colourfulness: number;
  sharpness: number;
  dhash: string;
  phash: string;
}

export interface CurateFilters {
  minScore?: number;
  minArea?: number;
  minSide?: number;
  /** Width / height range. */
  aspect?: [number, number];
  maxBorderCut?: number;
  /** Fraction of coloured pixels below which an item is monochrome. */
  minColour?: number;
  minSharpness?: number;
}

export const KEEP_RULES = ['largest', 'score', 'sharpest'] as const;
export type KeepRule = (typeof KEEP_RULES)[number];

export interface DedupSpec {
  hash: 'phash' | 'dhash';
  /** Largest Hamming distance (of 64 bits) that still counts as a duplicate. */
  distance: number;
  keep: KeepRule;
}

/**
 * pHash within 10 bits: on the 40 illustrations of ../shared/data (bench/curate-distances.ts, docs/CURATE.md)
 * copies resized, re-encoded or cropped by 2 % stay within 10, and different illustrations are 16 or more apart.
 */
export const DEFAULT_DEDUP: DedupSpec = { hash: 'phash', distance: 10, keep: 'largest' };

export type DropReason = 'unreadable' | 'empty' | 'low-score' | 'small-area' | 'small' | 'aspect' | 'border-cut' | 'monochrome' | 'blurry' | 'duplicate';

export interface Dropped {
  item: ItemAnalysis;
  reason: DropReason;
  detail: string;
  duplicateOf?: string;
}

export interface Decision {
  kept: ItemAnalysis[];
  dropped: Dropped[];
  /** Near-duplicate groups: the kept key and every member (kept one included) with its distance to it. */
  groups: { kept: string; members: { key: string; distance: number }[] }[];
}

const f3 = (v: number): string => String(Math.round(v * 1000) / 1000);

/** The first filter an item fails, or null. */
function filterItem(a: ItemAnalysis, f: CurateFilters): Omit<Dropped, 'item'> | null {
  if (a.error !== undefined) return { reason: 'unreadable', detail: a.error };
  if (a.pixels === 0) return { reason: 'empty', detail: 'no visible pixel' };
  if (f.minScore !== undefined && a.score !== undefined && a.score < f.minScore) return { reason: 'low-score', detail: `score ${f3(a.score)} < ${f.minScore}` };
  if (f.minArea !== undefined && a.areaFraction !== null && a.areaFraction < f.minArea) return { reason: 'small-area', detail: `area ${f3(a.areaFraction)} < ${f.minArea}` };
  if (f.minSide !== undefined && Math.min(a.width, a.height) < f.minSide) return { reason: 'small', detail: `shortest side ${Math.min(a.width, a.height)} < ${f.minSide}` };
  if (f.aspect) {
    const r = a.width / a.height;
    if (r < f.aspect[0] || r > f.aspect[1]) return { reason: 'aspect', detail: `aspect ${f3(r)} outside ${f.aspect[0]}..${f.aspect[1]}` };
  }
  if (f.maxBorderCut !== undefined && a.borderCut !== null && a.borderCut > f.maxBorderCut) return { reason: 'border-cut', detail: `border cut ${f3(a.borderCut)} > ${f.maxBorderCut}` };
  if (f.minColour !== undefined && a.colourfulness < f.minColour) return { reason: 'monochrome', detail: `coloured ${f3(a.colourfulness)} < ${f.minColour}` };
  if (f.minSharpness !== undefined && a.sharpness < f.minSharpness) return { reason: 'blurry', detail: `sharpness ${f3(a.sharpness)} < ${f.minSharpness}` };
  return null;
}

/** Higher is better; ties go to the earlier item. */
function merit(a: ItemAnalysis, rule: KeepRule): number[] {
  const largest = a.pixels;
  const score = a.score ?? 0;
  if (rule === 'score') return [score, largest, a.sharpness];
  if (rule === 'sharpest') return [a.sharpness, largest, score];
  return [largest, score, a.sharpness];
}

function better(x: number[], y: number[]): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return false;
}

export function decide(items: readonly ItemAnalysis[], filters: CurateFilters, dedup: DedupSpec | null): Decision {
  const dropped: Dropped[] = [];
  const passed: ItemAnalysis[] = [];
  for (const a of items) {
    const d = filterItem(a, filters);
    if (d) dropped.push({ item: a, ...d });
    else passed.push(a);
  }
  const groups: Decision['groups'] = [];
  if (!dedup) return { kept: passed, dropped, groups };
  const hashes = passed.map((a) => hashFromHex(dedup.hash === 'phash' ? a.phash : a.dhash));
  const { groups: idx } = groupNearDuplicates(hashes, dedup.distance);
  const losers = new Set<number>();
  for (const g of idx) {
    let best = g[0];
    for (const i of g) if (better(merit(passed[i], dedup.keep), merit(passed[best], dedup.keep))) best = i;
    const dist = (i: number) => hamming(hashes[i], hashes[best]);
    groups.push({ kept: passed[best].key, members: g.map((i) => ({ key: passed[i].key, distance: dist(i) })) });
    for (const i of g) {
      if (i === best) continue;
      losers.add(i);
      dropped.push({ item: passed[i], reason: 'duplicate', detail: `${dedup.hash} ${dist(i)} bits from ${passed[best].key} (kept: ${dedup.keep})`, duplicateOf: passed[best].key });
    }
  }
  return { kept: passed.filter((_, i) => !losers.has(i)), dropped, groups };
}
