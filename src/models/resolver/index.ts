/** Model manifest, resolver (explicit path > shipped in the package > $ANIMESEG_MODELS > cache > download) and downloader. */
export { DEFAULT_MODEL, MAX_UNKNOWN_SIZE, resolveModel, resolvePair, downloadEntry, downloadedFile, findLocal, cacheDir, cachedPath, bundledPath, modelsDirs } from './resolve.js';
export type { ResolveOptions, ResolvedModel, ResolvedFrom } from './resolve.js';
export { downloadFile, removeAbandonedDownloads } from './download.js';
export { isOffline } from './offline.js';
export type { DownloadOptions, DownloadProgress, DownloadResult } from './download.js';
export {
  loadManifest,
  loadBuiltinManifest,
  loadUserManifest,
  registerModel,
  assertRegistrableName,
  findEntry,
  userManifestPath,
  configDir,
  builtinManifestPath,
  packageRoot,
  MODEL_KINDS,
} from './manifest.js';
export type { ManifestEntry, Manifest, ModelKind, ModelPair, WeightsExport } from './manifest.js';
