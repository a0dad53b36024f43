/**
 * The model card written next to a trained ONNX: MODEL.md for people, model-card.json for programs.
 * It records what someone needs to trust or reproduce the model: data sources and counts, base weights and
 * their licence, every hyper-parameter, epochs, the metrics table and the evaluation (or why it was skipped).
 */
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { bestRow, KEY_COLUMNS, type EpochRow } from './results.js';
import type { DatasetFacts } from './dataset.js';
import type { ExportResult } from './export.js';

export const CARD_SCHEMA = 'animeseg-model-card/1';

/** Ultralytics' pretrained weights and its training code are AGPL-3.0; weights trained from them inherit it. */
export const ULTRALYTICS_LICENCE = 'AGPL-3.0';

export interface EvaluationRecord {
  status: 'done' | 'skipped' | 'failed';
  reason?: string;
  split?: string;
  results?: unknown;
}

export interface CardInput {
  name: string;
  createdAt?: Date;
  baseModel: string;
  hyperparameters: Record<string, string>;
  epochsPlanned: number;
  rows: EpochRow[];
  dataset: DatasetFacts;
  exported: ExportResult;
  ultralytics: { version: string; via: string };
  command: string;
  runDir: string;
  resumed: boolean;
  evaluation: EvaluationRecord;
}

export interface ModelCard {
  schema: string;
  name: string;
  created: string;
  licence: string;
  licenceNote: string;
  model: { file: string; sha256: string; bytes: number; opset: number; imgsz?: number[]; requested: { imgsz: number; opset: number }; classes: string[] };
  baseModel: { weights: string; licence: string };
  data: { yaml: string; classes: string[]; counts: DatasetFacts['counts']; sources: unknown; checkedWith: string };
  training: {
    engine: string;
    command: string;
    hyperparameters: Record<string, string>;
    epochsPlanned: number;
    epochsTrained: number;
    resumed: boolean;
    runDir: string;
  };
  metrics: { columns: Record<string, string>; final?: Record<string, number> & { epoch: number }; best?: Record<string, number> & { epoch: number } };
  evaluation: EvaluationRecord;
}

function pick(row: EpochRow | undefined): (Record<string, number> & { epoch: number }) | undefined {
  if (!row) return undefined;
  const out: Record<string, number> & { epoch: number } = { epoch: row.epoch };
  for (const [key, col] of Object.entries(KEY_COLUMNS)) if (Number.isFinite(row.values[col])) out[key] = row.values[col];
  return out;
}

export function buildCard(input: CardInput): ModelCard {
  const classes = input.dataset.names;
  return {
    schema: CARD_SCHEMA,
    name: input.name,
    created: (input.createdAt ?? new Date()).toISOString(),
    licence: ULTRALYTICS_LICENCE,
    licenceNote:
      'Trained with Ultralytics from Ultralytics weights, both AGPL-3.0: using or distributing this model follows the AGPL-3.0 ' +
      '(or an Ultralytics Enterprise licence). Check the licences of the training images too.',
    model: {
      file: basename(input.exported.onnx),
      sha256: input.exported.sha256,
      bytes: input.exported.bytes,
      opset: input.exported.opset,
      imgsz: input.exported.imgsz,
      requested: input.exported.requested,
      classes,
    },
    baseModel: { weights: input.baseModel, licence: ULTRALYTICS_LICENCE },
    data: {
      yaml: input.dataset.file,
      classes,
      counts: input.dataset.counts,
      sources: input.dataset.sources ?? null,
      checkedWith: input.dataset.checker,
    },
    training: {
      engine: `Ultralytics ${input.ultralytics.version} (${input.ultralytics.via})`,
      command: input.command,
      hyperparameters: input.hyperparameters,
      epochsPlanned: input.epochsPlanned,
      epochsTrained: input.rows.length ? input.rows[input.rows.length - 1].epoch : 0,
      resumed: input.resumed,
      runDir: input.runDir,
    },
    metrics: { columns: { ...KEY_COLUMNS }, final: pick(input.rows.at(-1)), best: pick(bestRow(input.rows)) },
    evaluation: input.evaluation,
  };
}

/** The eval report's own table when it has one (animeseg eval), then the rest as JSON. */
function renderEvaluation(ev: EvaluationRecord): string {
  const head = `Evaluated with \`animeseg eval\` on the ${ev.split ?? 'val'} split (refine none):`;
  const r = ev.results as Record<string, unknown> | undefined;
  if (r && typeof r === 'object' && typeof r.table === 'string') {
    const { table, ...rest } = r;
    return `${head}\n\n\`\`\`\n${table}\n\`\`\`\n\n<details><summary>full summary</summary>\n\n\`\`\`json\n${JSON.stringify(rest, null, 2)}\n\`\`\`\n</details>`;
  }
  return `${head}\n\n\`\`\`json\n${JSON.stringify(ev.results, null, 2)}\n\`\`\``;
}

const f4 = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));

export function renderMarkdown(card: ModelCard): string {
  const hp = Object.entries(card.training.hyperparameters)
    .map(([k, v]) => `| ${k} | ${v} |`)
    .join('\n');
  const counts = Object.entries(card.data.counts)
    .map(([split, c]) => `| ${split} | ${c.images ?? '-'} | ${c.instances ?? '-'} |`)
    .join('\n');
  const m = card.metrics;
  const metricRow = (label: string, r: ModelCard['metrics']['final']) =>
    r
      ? `| ${label} (epoch ${r.epoch}) | ${f4(r.boxP)} | ${f4(r.boxR)} | ${f4(r.boxMap50)} | ${f4(r.boxMap)} | ${f4(r.maskP)} | ${f4(r.maskR)} | ${f4(r.maskMap50)} | ${f4(r.maskMap)} |`
      : `| ${label} | no results.csv rows |||||||| `;
  const ev = card.evaluation;
  const evText = ev.status === 'done' ? renderEvaluation(ev) : `Evaluation ${ev.status}: ${ev.reason ?? 'no reason recorded'}.`;
  const sources = card.data.sources ? `\n\nSources recorded in data.yaml:\n\n\`\`\`json\n${JSON.stringify(card.data.sources, null, 2)}\n\`\`\`` : '';
  return `# ${card.name}

YOLOv8-seg instance segmentation model for anime characters, trained with animeseg + Ultralytics.

- File: \`${card.model.file}\` (${card.model.bytes} bytes, sha256 \`${card.model.sha256}\`)
- ONNX opset ${card.model.opset}, input ${card.model.imgsz ? card.model.imgsz.join('x') : 'dynamic'} (requested imgsz ${card.model.requested.imgsz}, opset ${card.model.requested.opset})
- Classes: ${card.model.classes.join(', ') || '(unknown)'}
- Created: ${card.created}

## Licence

**${card.licence}**. ${card.licenceNote}

## Base model

\`${card.baseModel.weights}\` (licence ${card.baseModel.licence}).

## Data

\`${card.data.yaml}\` (${card.data.checkedWith === 'dataset-check' ? 'checked with `animeseg dataset check`' : 'not checked: trained with --skip-check'}).

| split | images | instances |
|---|---|---|
${counts || '| (not counted) | - | - |'}${sources}

## Training

${card.training.engine}; ${card.training.epochsTrained} of ${card.training.epochsPlanned} epochs${card.training.resumed ? ' (resumed)' : ''}; run folder \`${card.training.runDir}\`.

\`\`\`
${card.training.command}
\`\`\`

| hyper-parameter | value |
|---|---|
${hp}

## Metrics (Ultralytics validation during training)

| | box P | box R | box mAP50 | box mAP50-95 | mask P | mask R | mask mAP50 | mask mAP50-95 |
|---|---|---|---|---|---|---|---|---|
${metricRow('final', m.final)}
${metricRow('best', m.best)}

## Evaluation

${evText}
`;
}

/** Write MODEL.md and model-card.json next to the ONNX; returns their paths. */
export async function writeModelCard(card: ModelCard, onnxPath: string): Promise<{ markdown: string; json: string }> {
  const dir = dirname(onnxPath);
  const markdown = join(dir, 'MODEL.md');
  const json = join(dir, 'model-card.json');
  await writeJsonAtomic(json, card);
  await writeFileAtomic(markdown, renderMarkdown(card));
  return { markdown, json };
}
