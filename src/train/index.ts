/** Training through Ultralytics: find it, train, export to ONNX, write the model card, register. */
export { train, summarizeEvaluation, buildHyperparameters, buildTrainArgs, uniqueRunName, ORIGINAL_HYPERPARAMETERS, RUN_RECORD, RUN_LOG } from './train.js';
export type { TrainOptions, TrainResult, EvaluateFn, EvaluateArgs } from './train.js';
export { exportOnnx, buildExportArgs, DEFAULT_OPSET } from './export.js';
export type { ExportOptions, ExportResult } from './export.js';
export { findUltralytics, runUltralytics, displayCommand, compareVersions, MIN_ULTRALYTICS, INSTALL_HINT } from './ultralytics.js';
export type { UltralyticsCommand } from './ultralytics.js';
export { parseResultsCsv, readResultsCsv, ResultsWatcher, bestRow, fitness, KEY_COLUMNS } from './results.js';
export type { EpochRow } from './results.js';
export { buildCard, renderMarkdown, writeModelCard, CARD_SCHEMA, ULTRALYTICS_LICENCE } from './card.js';
export type { ModelCard, EvaluationRecord } from './card.js';
export { validateDataset } from './dataset.js';
export type { DatasetFacts } from './dataset.js';
export { pullWeightsEntry } from './pull-weights.js';
export type { PullWeightsOptions, PullWeightsResult } from './pull-weights.js';
