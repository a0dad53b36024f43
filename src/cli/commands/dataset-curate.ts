/** animeseg dataset curate: a thin layer over src/curate (its table, its run). */
import { PROGRESS_OPTION, rangeOption, requireExistingPaths, usageError } from '../args.js';
import { defineCommand } from '../schema-args.js';
import { DEVICE_OPTION } from '../run-options.js';
import type { OptionSpec } from '../../util/option-spec.js';

export const synopsis = 'RESULTS_OR_IMAGES --to DIR [steps...]';
export const about = `a training set for diffusion models (LoRA, fine-tunes) from segment results (one item per
character) or any image folder: quality filters, near-duplicates, framing, captions and
an export layout, applied in this fixed order (each only when its option is given):
decode > score > area > size > aspect > border-cut > monochrome > blur > near-duplicates
> frame > caption > export. Every dropped item is listed with its reason in
DIR/.curate/report.json, with contact sheets in DIR/.curate/sheets/. Resumable: a rerun
reuses measures of unchanged sources and skips pictures already written.`;

export const options = [
  { key: 'to', short: 'o', type: 'string', required: true, metavar: 'DIR', help: 'the output folder (new, empty, or an earlier curate output)' },
  { key: 'min-score', type: 'number', min: 0, max: 1, metavar: 'X', help: 'drop characters scored below X (segment results)' },
  { key: 'min-area', type: 'number', min: 0, max: 1, metavar: 'F', help: 'drop characters covering less than F of their image' },
  { key: 'min-side', type: 'integer', min: 1, metavar: 'PX', help: 'drop pictures whose shortest side is under PX' },
  { key: 'aspect', type: 'string', metavar: 'MIN-MAX', help: 'keep width/height within MIN-MAX, e.g. 0.4-2.5' },
  { key: 'max-border-cut', type: 'number', min: 0, max: 1, metavar: 'F', help: 'drop characters with more than F of their outline on the image border' },
  { key: 'min-colour', type: 'number', min: 0, max: 1, metavar: 'F', help: 'drop monochrome/line art: fewer than F of the pixels coloured (0.05 is a start)' },
  { key: 'min-sharpness', type: 'number', min: 0, metavar: 'X', help: 'drop blurry pictures: Laplacian variance under X (at <= 512 px)' },
  { key: 'dedup', type: 'boolean', help: 'group near-duplicates and keep the best of each group' },
  { key: 'dedup-hash', type: 'enum', choices: ['phash', 'dhash'], default: 'phash', metavar: 'H', help: 'perceptual hash for --dedup' },
  { key: 'dedup-distance', type: 'integer', default: 10, min: 0, max: 20, metavar: 'BITS', help: 'largest Hamming distance (of 64 bits) that is a duplicate' },
  { key: 'keep', type: 'enum', choices: ['largest', 'score', 'sharpest'], default: 'largest', metavar: 'RULE', help: 'which one of a group to keep: largest | score | sharpest' },
  { key: 'frame', type: 'enum', choices: ['none', 'square', 'buckets'], default: 'none', metavar: 'MODE', help: 'none | square (N x N) | buckets (SDXL aspect buckets)' },
  { key: 'size', type: 'integer', default: 1024, min: 64, max: 8192, metavar: 'PX', help: 'square side, or the square bucket the buckets scale from' },
  { key: 'margin', type: 'number', default: 0, min: 0, max: 1, metavar: 'F', help: 'margin on each edge, fraction of the longer side' },
  { key: 'background', type: 'string', default: '#fff', metavar: 'COLOR', help: "padding and cutout background: a colour or 'transparent'" },
  { key: 'layout', type: 'enum', choices: ['kohya', 'hf', 'plain'], default: 'kohya', metavar: 'L', help: 'kohya (N_trigger class/) | hf (train/metadata.jsonl) | plain (metadata.csv)' },
  { key: 'trigger', type: 'string', metavar: 'WORD', help: 'trigger word: first in every caption, and the kohya folder name' },
  { key: 'class-word', type: 'string', metavar: 'WORD', help: "kohya: the class after the trigger in the folder name ('1girl')" },
  { key: 'repeats', type: 'integer', default: 10, min: 1, metavar: 'N', help: 'kohya: repeats per epoch (the folder prefix)' },
  { key: 'tagger', type: 'string', metavar: 'NAME|PATH', help: 'WD14 tagger for captions (e.g. wd-swinv2-tagger-v3, or an .onnx with its CSV beside it)' },
  { key: 'general-threshold', type: 'number', default: 0.35, min: 0, max: 1, metavar: 'P', help: 'tagger: keep general tags at probability >= P' },
  { key: 'character-threshold', type: 'number', default: 0.85, min: 0, max: 1, metavar: 'P', help: 'tagger: keep character tags at probability >= P' },
  { key: 'exclude-tags', type: 'list', example: 'simple background,white background', metavar: 'LIST', help: 'tags never written' },
  { key: 'no-verify', type: 'boolean', help: 'allow downloading a tagger with no published checksum' },
  DEVICE_OPTION,
  { key: 'no-sheets', type: 'boolean', help: 'no contact sheets' },
  { key: 'concurrency', type: 'integer', default: 2, min: 1, max: 64, metavar: 'N', help: 'sources decoded at once' },
  { key: 'json', type: 'boolean', help: 'print the report as JSON (no progress)' },
  PROGRESS_OPTION,
] as const satisfies readonly OptionSpec[];

export const command = defineCommand({ name: 'dataset curate', head: `Usage: animeseg dataset curate ${synopsis}\n\n${about}`, options, positionals: true });

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = command.parse(argv);
  if (positionals.length !== 1) throw usageError('dataset curate takes one input folder (segment results or images) and --to DIR');
  await requireExistingPaths(positionals);
  const aspect = v.aspect !== undefined ? rangeOption('aspect', v.aspect, [0, Infinity]) : undefined;
  const { parseColor } = await import('../../pipeline/outputs.js');
  const background = v.background.trim().toLowerCase() === 'transparent' ? undefined : parseColor(v.background);
  const { curateDataset } = await import('../../curate/curate.js');
  const r = await curateDataset({
    input: positionals[0],
    out: v.to,
    filters: {
      minScore: v['min-score'],
      minArea: v['min-area'],
      minSide: v['min-side'],
      aspect,
      maxBorderCut: v['max-border-cut'],
      minColour: v['min-colour'],
      minSharpness: v['min-sharpness'],
    },
    dedup: v.dedup ? { hash: v['dedup-hash'], distance: v['dedup-distance'], keep: v.keep } : null,
    frame: { mode: v.frame, size: v.size, margin: v.margin, background },
    layout: { layout: v.layout, trigger: v.trigger, classWord: v['class-word'], repeats: v.repeats },
    tagger: v.tagger,
    taggerOptions: { device: v.device, noVerify: v['no-verify'] },
    generalThreshold: v['general-threshold'],
    characterThreshold: v['character-threshold'],
    excludeTags: v['exclude-tags'],
    sheets: !v['no-sheets'],
    concurrency: v.concurrency,
    progress: v.json ? 'silent' : v.progress,
  });
  // Exit 1 when a source could not be read, as segment does for a failed image (the rest still finished).
  const code = r.counts.dropped.unreadable ? 1 : 0;
  if (v.json) {
    console.log(JSON.stringify(r, null, 2));
    return code;
  }
  const reasons = Object.entries(r.counts.dropped).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  console.log(
    `curate: ${r.counts.items} item(s) (${r.mode}), kept ${r.counts.kept}, dropped ${r.counts.items - r.counts.kept} (${reasons})\n` +
      `  near-duplicate groups: ${r.groups.length}; written ${r.counts.written}, already there ${r.counts.kept - r.counts.written}, removed ${r.counts.removed}\n` +
      `  ${r.out}${r.index ? ` (index ${r.index})` : ''}\n  report: ${r.out}/.curate/report.json${Object.keys(r.sheets).length ? `, sheets: ${Object.values(r.sheets).map((s) => `.curate/${s}`).join(', ')}` : ''}` +
      (code ? `\n  ${r.counts.dropped.unreadable} source(s) could not be read: see the report (reason unreadable)` : ''),
  );
  return code;
}
