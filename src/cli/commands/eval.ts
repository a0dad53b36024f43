/**
 * animeseg eval: Ultralytics-exact box/mask metrics plus refined-mask quality. A thin layer over evaluate().
 */
import { enumOption, intOption, numberOption, optionalInt, parseCommandArgs, progressOption, requireExistingPaths, usageError } from '../args.js';
import type { EvaluateReport } from '../../eval/evaluate.js';
import type { SplitName } from '../../data/yaml.js';
import type { RefineName } from '../../pipeline/segmenter.js';

export const usage = `Usage: animeseg eval --data data.yaml [--model NAME|PATH | --predictions preds.json] [options]

Scores a YOLO-seg split exactly as Ultralytics' segment validator does (square letterbox, rect off, mask
resolution imgsz/4, overlap masks, conf 0.001, iou 0.7, max_det 300): Box and Mask P, R, mAP50, mAP50-95 per
class; and measures mask quality at full resolution (foreground IoU, matched-instance IoU, boundary F-score)
for the model's masks and for --refine. Writes OUT/metrics.json, BoxPR/BoxF1/MaskPR/MaskF1_curve.png and
worst.png (worst images by IoU, prediction and truth side by side).

Options:
  --data FILE            data.yaml (Ultralytics format)
  --split NAME           val | test | train (default val)
  --model NAME|PATH      model name or .onnx path
  --predictions FILE     score stored predictions instead of running a model (schema: docs/EVAL.md)
  --refine NAME          none | vote | box | regions: refiner compared against none (default none)
  --out DIR              write metrics.json and pictures here
  --imgsz N              validation letterbox size (default: the model's input size; 640 with --predictions)
  --boundary-tol PX      boundary F-score tolerance in pixels (default 2)
  --quality-conf X       score threshold for the full-resolution quality figures (default 0.25)
  --worst N              images on the worst-IoU contact sheet (default 8, 0 = none)
  --no-plots             do not draw curves or the contact sheet
  --limit N              only the first N images
  --threads N            inference threads
  --device cpu|cuda      inference device (default cpu)
  --json                 print the report as JSON on stdout
  --progress MODE        auto | bar | plain | silent`;

const options = {
  data: { type: 'string' },
  split: { type: 'string' },
  model: { type: 'string' },
  predictions: { type: 'string' },
  refine: { type: 'string' },
  out: { type: 'string', short: 'o' },
  imgsz: { type: 'string' },
  'boundary-tol': { type: 'string' },
  'quality-conf': { type: 'string' },
  worst: { type: 'string' },
  'no-plots': { type: 'boolean' },
  limit: { type: 'string' },
  threads: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'string' },
} as const;

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
  const { values: v } = parseCommandArgs('eval', argv, options, false);
  if (!v.data) throw usageError('missing --data data.yaml');
  if (!v.model && !v.predictions) throw usageError('give --model NAME|PATH or --predictions FILE');
  if (v.model && v.predictions) throw usageError('--model and --predictions cannot be combined');
  const split: SplitName = enumOption('split', v.split, ['val', 'test', 'train'], 'val');
  const refine: RefineName = enumOption('refine', v.refine, ['none', 'vote', 'box', 'regions'], 'none');
  if (refine !== 'none' && v.predictions) throw usageError('--refine needs a model run, not --predictions');
  const imgsz = optionalInt('imgsz', v.imgsz, 32, 8192);
  if (imgsz !== undefined && imgsz % 32 !== 0) throw usageError(`--imgsz must be a multiple of 32, got ${imgsz}`);
  const boundaryTol = numberOption('boundary-tol', v['boundary-tol'], 2, 0, 50);
  const qualityConf = numberOption('quality-conf', v['quality-conf'], 0.25, 0, 1);
  const worst = intOption('worst', v.worst, 8, 0, 100);
  const limit = optionalInt('limit', v.limit, 1);
  const threads = optionalInt('threads', v.threads, 1, 256);
  const progress = progressOption(v.progress);
  const device = enumOption('device', v.device, ['cpu', 'cuda']);
  await requireExistingPaths([v.data, ...(v.predictions ? [v.predictions] : [])]);
  const { evaluate } = await import('../../eval/evaluate.js');
  const report = await evaluate({
    data: v.data!,
    split,
    model: v.model,
    predictions: v.predictions,
    refine,
    out: v.out,
    imgsz,
    boundaryTol,
    qualityConf,
    worst,
    plots: !v['no-plots'],
    limit,
    segmenter: { threads, device },
    progress: v.json && progress === 'auto' ? 'silent' : progress,
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
