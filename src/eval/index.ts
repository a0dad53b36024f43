/**
 * Evaluation: Ultralytics-exact box/mask metrics (src/eval/metrics), refined-mask quality at full resolution,
 * plots. `evaluate()` is what `animeseg eval` and `animeseg train` call.
 */
export { evaluate, predImageFromInstances, type EvaluateOptions, type EvaluateReport, type PerImage } from './evaluate.js';
export { MetricsAccumulator, formatTable, type UltralyticsMetrics, type MetricSet, type ClassRow } from './metrics/results.js';
export { parsePredictions, readPredictions, type StoredPrediction } from './predictions.js';
export type { QualitySummary } from './quality.js';
