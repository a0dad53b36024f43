/**
 * Validation split by character: no character may have files on both sides, or the validation figures
 * measure memory instead of generalisation. Cut-out folders hold a character's expression variants side by
 * side, so a file's character is guessed from its path (characterKeys): ks `sprites_full/emi_basic_happy.png`
 * and `sprites_close/emi_close_smile.png` → `name:emi`; dialogic `Jane/pl3 sad.png` → `folder:.../Jane`.
 * Keys are joined transitively, so a guess can only make a group coarser (safe), and whole groups move.
 */
import { basename, dirname, relative } from 'node:path';
import { Rng } from '../../data/synth/rng.js';

/**
 * The character keys of a foreground file: `name:LEAD` for its file name's leading letters (3 or more), and
 * `folder:ROOT/DIR` when the name alone says little (no such lead, or the whole name is one word such as
 * `neutral.png` or `lord.png`, i.e. the folder is the character). Files sharing any key are one character.
 */
export function characterKeys(file: string, root: string): string[] {
  const folder = `folder:${root}/${relative(root, dirname(file))}`;
  const stem = basename(file).replace(/\.[^.]+$/, '').toLowerCase();
  const lead = /^[a-z]+/.exec(stem)?.[0] ?? '';
  if (lead.length < 3) return [folder];
  return lead === stem ? [`name:${lead}`, folder] : [`name:${lead}`];
}

export interface CharacterSplit {
  train: string[];
  val: string[];
  /** Character key → its files' side. */
  groups: { key: string; files: number; split: 'train' | 'val' }[];
}

/**
 * Put whole characters into val until at least `valFraction` of the files are there (characters drawn in a
 * seeded random order; at least one character on each side when there are two or more).
 */
export function splitByCharacter(files: readonly { file: string; root: string }[], valFraction: number, seed: number): CharacterSplit {
  // Union-find over keys: every file links its keys; names that extend another name are outfit variants of
  // that character (ks emi, emicas, emiwheel; misha, mishashort) and link to it.
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const keysOf = files.map(({ file, root }) => characterKeys(file, root));
  for (const ks of keysOf) for (const k of ks) if (!parent.has(k)) parent.set(k, k);
  for (const ks of keysOf) for (const k of ks.slice(1)) union(ks[0], k);
  const names = [...parent.keys()].filter((k) => k.startsWith('name:')).sort((a, b) => a.length - b.length);
  for (const k of names) {
    const base = names.find((o) => o.length < k.length && k.startsWith(o));
    if (base) union(k, base);
  }
  const byKey = new Map<string, string[]>();
  for (let i = 0; i < files.length; i++) {
    const key = find(keysOf[i][0]);
    const file = files[i].file;
    const list = byKey.get(key) ?? [];
    list.push(file);
    byKey.set(key, list);
  }
  const keys = [...byKey.keys()].sort();
  const rng = new Rng(seed, 0x5911);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const want = Math.ceil(files.length * valFraction);
  const valKeys = new Set<string>();
  let inVal = 0;
  for (const k of keys) {
    if (inVal >= want || valKeys.size >= keys.length - 1) break;
    valKeys.add(k);
    inVal += byKey.get(k)!.length;
  }
  const train: string[] = [];
  const val: string[] = [];
  const groups: CharacterSplit['groups'] = [];
  for (const k of [...byKey.keys()].sort()) {
    const side = valKeys.has(k) ? 'val' : 'train';
    (side === 'val' ? val : train).push(...byKey.get(k)!);
    groups.push({ key: k, files: byKey.get(k)!.length, split: side });
  }
  return { train: train.sort(), val: val.sort(), groups };
}

/** Every k-th background (seeded order) to val; at least one on each side when there are two or more. */
export function splitFiles(files: readonly string[], valFraction: number, seed: number): { train: string[]; val: string[] } {
  const order = [...files].sort();
  const rng = new Rng(seed, 0xb9);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  let n = Math.round(order.length * valFraction);
  if (order.length >= 2) n = Math.min(order.length - 1, Math.max(1, n));
  return { val: order.slice(0, n).sort(), train: order.slice(n).sort() };
}
