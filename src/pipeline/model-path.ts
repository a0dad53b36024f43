/**
 * Which YOLO file to load: a name or path through the model resolver (src/models/resolver), which
 * searches an explicit path, ANIMESEG_MODELS, the cache, then downloads
 * (never with ANIMESEG_OFFLINE=1: the resolver decides, so no default here can override it).
 */
import { resolveModel, DEFAULT_MODEL } from '../models/resolver/index.js';

export interface ResolvedYolo {
  path: string;
  name: string;
  licence?: string;
  description?: string;
  /** The manifest entry's recommended settings, if it has any. */
  recommended?: { conf?: number; iou?: number };
}

export async function resolveYoloPath(
  model: string | undefined,
  opts: { modelsDir?: string; cacheDir?: string; download?: boolean },
): Promise<ResolvedYolo> {
  const name = model ?? DEFAULT_MODEL;
  const r = await resolveModel(name, { modelsDir: opts.modelsDir, cacheDir: opts.cacheDir, download: opts.download });
  return { path: r.path, name: r.entry?.name ?? name, licence: r.entry?.licence, description: r.entry?.description, recommended: r.entry?.recommended };
}
