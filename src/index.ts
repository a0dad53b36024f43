/**
 * animeseg public API.
 *
 *   import { createSegmenter, cutout, combinedAlpha, encodeImage } from 'animeseg';
 *   const seg = await createSegmenter(); // the shipped anime model; { model: 'yolov8n-seg-int8' } for COCO
 *   const r = await seg.segment('picture.jpg');
 *   const png = await encodeImage(cutout(r.image, combinedAlpha(r.instances, r.width, r.height)), 'png');
 */
export { createSegmenter } from './pipeline/segmenter.js';
// The option table shared by the CLI, the server and the library: defaults, limits, the class resolver.
export { DETECT_DEFAULTS, MAX_DET_LIMIT, SEGMENT_OPTIONS, resolveClassIds, type OptionSpec } from './pipeline/options.js';
// The one settings resolver: options given (SegmentOptions), the model's recommendation, the table's defaults
// → one frozen SegmentSettings (detection, recall aids, refinement, soft edge, filter, outputs).
export { resolveSegmentSettings, resolveDetectSettings, modelRecommendation, settingsJson, detectSettingsJson } from './pipeline/settings.js';
export type { SegmentOptions, SegmentSettings, DetectSettings, ModelRecommendation, SettingSource } from './pipeline/settings.js';
export type {
  Segmenter,
  SegmenterOptions,
  SegmenterInfo,
  SegmentResult,
  SegmentInstance,
  DetectOptions,
  RecallOptions,
  SegmentCallOptions,
  LoadOptions,
} from './pipeline/segmenter.js';
export {
  cutout,
  combinedAlpha,
  resultAlpha,
  contentBounds,
  instanceCutouts,
  overlayImage,
  resultJson,
  parseColor,
  boxRegion,
  alphaImage,
  type CutoutOptions,
  type InstanceJson,
  type ResultJson,
  type Rgb,
} from './pipeline/outputs.js';
// The library's batch API: runBatch with onProgress (docs/BATCH.md). Its steps (prepareBatch, processOne) and the
// CLI's summary text (formatSummary) stay inside; the resume rule is public for other schedulers.
export { runBatch, type BatchOptions, type BatchSummary, type ImageEvent } from './pipeline/run/batch.js';
export { settingsHash, resumeDecision, isDone, parseRecord, type RunRecord, type RunSettings, type ResumeDecision, type ImageStatus } from './pipeline/run/run-record.js';
export { filterInstances, type InstanceFilterOptions } from './pipeline/instance-filter.js';
export { expandInputs, type InputItem } from './pipeline/run/inputs.js';
export { IMAGE_EXTENSIONS } from './image/formats.js';
export type { Instance, Refiner, StageTimings } from './pipeline/types.js';

// Images
export { decodeImage, decodeImageFile, DEFAULT_MAX_PIXELS, type DecodedImage, type DecodeOptions } from './image/decode.js';
export { encodeImage, type ImageFormat, type EncodeOptions } from './image/encode.js';
export { resizeBilinearU8 } from './image/resize.js';
export type { RawImage } from './image/types.js';

// Masks
export type { Mask, Rle, Box, Polygon } from './mask/types.js';
export { createMask } from './mask/types.js';
export { encodeRle, decodeRle, rleArea, rleToString, rleFromString } from './mask/rle.js';
export { maskArea, maskBox, maskIoU, unionMasks } from './mask/ops.js';

// YOLO pre/post-processing (pure TypeScript)
export {
  letterboxTensor,
  letterboxGeometry,
  postprocess,
  nonMaxSuppression,
  readYoloContract,
  loadYoloModel,
  predict,
  checkRawOutputs,
  type YoloBackend,
  type PredictOptions,
  type Prediction,
  type LetterboxGeometry,
  type Detection,
  type YoloContract,
  type YoloModel,
} from './models/yolo/index.js';

export { AnimesegError, isAnimesegError, describeError, type ErrorCode } from './errors.js';

// Models: the manifest (with each model's licence), the resolver and verified downloads
export {
  DEFAULT_MODEL,
  resolveModel,
  resolvePair,
  downloadFile,
  type ManifestEntry,
  type ResolveOptions,
  type ResolvedModel,
} from './models/resolver/index.js';

// Refinement: the refiner registry (none | regions | vote | box), soft edges
export {
  createRefiner,
  listRefiners,
  REFINERS,
  REFINER_NAMES,
  type RefinerDescriptor,
  type RefinerName,
  voteFusion,
  voteFusionPerInstance,
  softAlpha,
  createRegionsProposer,
  createVoteRefiner,
  type RefinerOptions,
  type SegmentProposer,
} from './refine/index.js';
/** @deprecated The old name of RefinerName. */
export type { RefinerName as RefineName } from './refine/index.js';

// Datasets, evaluation and training
export { runSynth } from './data/synth/run.js';
export { coco2yolo } from './data/coco2yolo.js';
export { checkDataset } from './data/check.js';
export { mergeDatasets } from './data/merge.js';
export { previewDataset } from './data/preview.js';
export { fg2mask } from './data/fg2mask.js';
export {
  curateDataset,
  decide,
  discoverItems,
  loadSource,
  analyseItem,
  imageHashes,
  hamming,
  groupNearDuplicates,
  colourfulness,
  sharpness,
  borderCut,
  framePicture,
  pickBucket,
  loadTagger,
  selectTags,
  captionOf,
  indexFile,
  writeContactSheet,
  CURATE_STEPS,
  SDXL_BUCKETS,
  DEFAULT_DEDUP,
  type CurateOptions,
  type CurateReport,
  type CurateFilters,
  type DedupSpec,
  type ItemAnalysis,
  type FrameSpec,
  type LayoutSpec,
  type Tagger,
} from './curate/index.js';
export { evaluate, type EvaluateOptions, type EvaluateReport } from './eval/index.js';
export { train, exportOnnx, findUltralytics, type TrainOptions, type TrainResult } from './train/index.js';

// Segment Anything over ONNX (encoder, decoder, automatic mask generator)
export { SamEncoder, SamDecoder, createSamProposer, loadSam, type SamProposerOptions } from './models/sam/index.js';
export { AutomaticMaskGenerator, AMG_DEFAULTS, ORIGINAL_PRESET } from './models/sam/amg/generator.js';
