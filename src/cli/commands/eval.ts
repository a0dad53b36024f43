/**
 * animeseg eval: Ultralytics-exact box/mask metrics plus refined-mask quality. A thin layer over evaluate().
 */
import { AnimesegError } from '../../errors.js';
import { numberOption, parseCommandArgs } from '../args.js';
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
  let parsed;
  try {
    parsed = parseCommandArgs('eval', argv, options, false);
  } catch (e) {
    console.error(`animeseg: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  const v = parsed.values;
  let split: SplitName;
  let refine: RefineName;
  let imgsz: number | undefined;
  let boundaryTol: number;
  let qualityConf: number;
  let worst: number;
  let limit: number | undefined;
  let threads: number | undefined;
  let progress: 'auto' | 'bar' | 'plain' | 'silent';
  try {
    if (!v.data) throw new AnimesegError('BAD_OPTION', 'missing --data data.yaml');
    if (!v.model && !v.predictions) throw new AnimesegError('BAD_OPTION', 'give --model NAME|PATH or --predictions FILE');
    if (v.model && v.predictions) throw new AnimesegError('BAD_OPTION', '--model and --predictions cannot be combined');
    const s = v.split ?? 'val';
    if (!['val', 'test', 'train'].includes(s)) throw new AnimesegError('BAD_OPTION', `--split must be val, test or train, got '${s}'`);
    split = s as SplitName;
    const r = v.refine ?? 'none';
    if (!['none', 'vote', 'box', 'regions'].includes(r)) throw new AnimesegError('BAD_OPTION', `--refine must be none, vote, box or regions, got '${r}'`);
    if (r !== 'none' && v.predictions) throw new AnimesegError('BAD_OPTION', '--refine needs a model run, not --predictions');
    refine = r as RefineName;
    imgsz = v.imgsz !== undefined ? numberOption('imgsz', v.imgsz, 640, 32, 8192) : undefined;
    if (imgsz !== undefined && imgsz % 32 !== 0) throw new AnimesegError('BAD_OPTION', `--imgsz must be a multiple of 32, got ${imgsz}`);
    boundaryTol = numberOption('boundary-tol', v['boundary-tol'], 2, 0, 50);
    qualityConf = numberOption('quality-conf', v['quality-conf'], 0.25, 0, 1);
    worst = numberOption('worst', v.worst, 8, 0, 100);
    limit = v.limit !== undefined ? numberOption('limit', v.limit, 0, 1) : undefined;
    threads = v.threads !== undefined ? numberOption('threads', v.threads, 0, 1, 256) : undefined;
    const p = v.progress ?? 'auto';
    if (!['auto', 'bar', 'plain', 'silent'].includes(p)) throw new AnimesegError('BAD_OPTION', `--progress must be auto, bar, plain or silent, got '${p}'`);
    progress = p as typeof progress;
    if (v.device && !['cpu', 'cuda'].includes(v.device)) throw new AnimesegError('BAD_OPTION', `--device must be cpu or cuda, got '${v.device}'`);
  } catch (e) {
    if (e instanceof AnimesegError && e.code === 'BAD_OPTION') {
      console.error(`animeseg eval: ${e.describe()}\n\nRun 'animeseg eval --help' for the options.`);
      return 2;
    }
    throw e;
  }
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
    segmenter: { threads, device: (v.device as 'cpu' | 'cuda' | undefined) ?? undefined },
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
