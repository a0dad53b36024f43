/** Dataset curation for diffusion-model training: the steps of `animeseg dataset curate`, usable one by one. */
export { curateDataset, analyseItem, CURATE_STEPS, STATE_DIR } from './curate.js';
export type { CurateOptions, CurateReport } from './curate.js';
export { decide, DEFAULT_DEDUP, KEEP_RULES } from './decide.js';
export type { CurateFilters, DedupSpec, Decision, DropReason, ItemAnalysis, KeepRule } from './decide.js';
export { imageHashes, dHashOfGrey, pHashOfGrey, greyOf, hamming, hashToHex, hashFromHex } from './hash.js';
export type { Hash64 } from './hash.js';
export { groupNearDuplicates } from './group.js';
export { colourfulness, sharpness, borderCut, laplacianVariance } from './quality.js';
export { framePicture, pickBucket, SDXL_BUCKETS } from './frame.js';
export type { FrameMode, FrameSpec } from './frame.js';
export { discoverItems, loadSource } from './items.js';
export { LAYOUTS, dataFolder, indexFile } from './layout.js';
export type { Layout, LayoutSpec } from './layout.js';
export { loadTagger, selectTags, captionOf, captionTag, parseTagsCsv, taggerInput, DEFAULT_TAGGER, DEFAULT_GENERAL_THRESHOLD, DEFAULT_CHARACTER_THRESHOLD } from './tagger.js';
export type { Tag, TagDef, Tagger } from './tagger.js';
export { writeContactSheet } from './sheet.js';
