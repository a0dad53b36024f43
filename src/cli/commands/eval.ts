/**
 * animeseg eval: Ultralytics-exact box/mask metrics plus refined-mask quality. A thin layer over evaluate().
 */
import { invalidParameterError } from '../../errors.js';
import { PROGRESS_OPTION, requireExistingPaths, usageError } from '../args.js';
import { defineCommand } from '../schema-args.js';
import type { EvaluateReport } from '../../eval/evaluate.js';
import type { SplitName } from '../../data/yaml.js';
import { REFINER_NAMES } from '../../refine/index.js';
import { DETECT_DEFAULTS } from '../../pipeline/options.js';
import { DEVICE_OPTION } from '../run-options.js';
import { VAL_SETTINGS } from '../../eval/val-settings.js';

const SPLITS = ['val', 'test', 'train'] as const satisfies readonly SplitName[];

export const command = defineCommand({
  name: 'eval',
  head: `Usage: animeseg eval --data data.yaml [--model NAME|PATH | --predictions preds.json] [options]

Scores a YOLO-seg split exactly as Ultralytics' segment validator does (square letterbox, rect off, mask
resolution imgsz/4, overlap masks, conf ${VAL_SETTINGS.conf}, iou ${VAL_SETTINGS.iou}, max_det ${VAL_SETTINGS.maxDet}): Box and Mask P, R, mAP50, mAP50-95 per
class; and measures mask quality at full resolution (foreground IoU, matched-instance IoU, boundary F-score)
for the model's masks and for --refine. Writes OUT/metrics.json, BoxPR/BoxF1/MaskPR/MaskF1_curve.png and
worst.png (worst images by IoU, prediction and truth side by side).`,
  options: [
    { key: 'data', type: 'string', required: true, metavar: 'FILE', help: 'data.yaml (Ultralytics format)' },
    { key: 'split', type: 'enum', choices: SPLITS, default: 'val', metavar: 'NAME', help: SPLITS.join(' | ') },
    { key: 'model', type: 'string', metavar: 'NAME|PATH', help: 'model name or .onnx path' },
    { key: 'predictions', type: 'string', metavar: 'FILE', help: 'score stored predictions instead of running a model (schema: docs/EVAL.md)' },
    { key: 'refine', type: 'enum', choices: REFINER_NAMES, default: 'none', metavar: 'NAME', help: `${REFINER_NAMES.join(' | ')}: refiner compared against none` },
    { key: 'out', short: 'o', type: 'string', metavar: 'DIR', help: 'write metrics.json and pictures here' },
    // A multiple of 32 (the model stride): checked in run(), the table holds the range.
    { key: 'imgsz', type: 'integer', min: 32, max: 8192, metavar: 'N', defaultHelp: "the model's input size; 640 with --predictions", help: 'validation letterbox size' },
    { key: 'boundary-tol', type: 'number', default: 2, min: 0, max: 50, metavar: 'PX', help: 'boundary F-score tolerance in pixels' },
    { key: 'quality-conf', type: 'number', default: DETECT_DEFAULTS.conf, min: 0, max: 1, metavar: 'X', help: 'score threshold for the full-resolution quality figures' },
    { key: 'worst', type: 'integer', default: 8, min: 0, max: 100, metavar: 'N', help: 'images on the worst-IoU contact sheet, 0 = none' },
    { key: 'no-plots', type: 'boolean', help: 'do not draw curves or the contact sheet' },
    { key: 'limit', type: 'integer', min: 1, metavar: 'N', help: 'only the first N images' },
    { key: 'threads', type: 'integer', min: 1, max: 256, metavar: 'N', help: 'inference threads' },
    // No default here: the segmenter's own (cpu) applies, as before.
    { ...DEVICE_OPTION, help: 'inference device' },
    { key: 'json', type: 'boolean', help: 'print the report as JSON on stdout' },
    PROGRESS_OPTION,
  ],
});
export const usage = command.usage;

function pct(v: number): string {
  return v.toFixed(4);
}

/** The quality block printed under the Ultralytics table. */
export function formatQuality(r: EvaluateReport): string {
  const lines = [`Mask quality at full resolution (predictions with score >= ${r.quality.conf}, boundary tolerance ${r.quality.boundaryTol} px):`];
  lines.push(`${'masks'.padStart(10)}${'fg IoU'.padStart(10)}${'inst IoU'.padStart(10)}${'matched'.padStart(10)}${'boundF'.padStart(10)}`);
  for (const [name, q] of Object.entries(r.quality.sources)) {
    lines.push(`${name.padStart(10)}${pct(q.fgIoU).padStart(10)}${pct(q.instanceIoU).padStart(10)}${`${q.matched}/${q.gtInstances}`.padStart(10)}${pct(q.boundaryF).padStart(10)}`);
  }
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  // Every check here throws BAD_OPTION: src/cli/main.ts prints it and exits 2.
  const { values: v } = command.parse(argv);
  if (!v.model && !v.predictions) throw usageError('give --model NAME|PATH or --predictions FILE');
  if (v.model && v.predictions) throw usageError('--model and --predictions cannot be combined');
  if (v.refine !== 'none' && v.predictions) throw usageError('--refine needs a model run, not --predictions');
  if (v.imgsz !== undefined && v.imgsz % 32 !== 0) throw invalidParameterError('--imgsz', 'a multiple of 32', v.imgsz);
  await requireExistingPaths([v.data, ...(v.predictions ? [v.predictions] : [])]);
  const { evaluate } = await import('../../eval/evaluate.js');
  const report = await evaluate({
    data: v.data,
    split: v.split,
    model: v.model,
    predictions: v.predictions,
    refine: v.refine,
    out: v.out,
    imgsz: v.imgsz,
    boundaryTol: v['boundary-tol'],
    qualityConf: v['quality-conf'],
    worst: v.worst,
    plots: !v['no-plots'],
    limit: v.limit,
    segmenter: { threads: v.threads, device: v.device },
    progress: v.json && v.progress === 'auto' ? 'silent' : v.progress,
  });
  if (v.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(report.table);
    console.log('');
    console.log(formatQuality(report));
    const t = report.timings;
    if (t.images > 0) {
      console.log(`\n${t.images} images, metric computation ${(t.metricsMs / t.images).toFixed(2)} ms/img` + (t.inferenceMs > 0 ? `, inference ${(t.inferenceMs / t.images).toFixed(1)} ms/img` : ''));
    }
    for (const w of report.warnings) console.log(`warning: ${w}`);
    if (report.skipped.length) console.log(`${report.skipped.length} image(s) skipped (see metrics.json 'skipped')`);
    if (report.files.length) console.log(`wrote ${report.files.join(', ')}`);
  }
  return report.skipped.length > 0 ? 1 : 0;
}
