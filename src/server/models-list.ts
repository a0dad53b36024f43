/**
 * GET /v1/models: the manifest (built-in + user) with licences and whether each model is on this machine,
 * plus the model this server has loaded. Absolute paths are left out: they describe the server, not the API.
 */
import { loadManifest, type ManifestEntry } from '../models/resolver/manifest.js';
import { findLocal } from '../models/resolver/resolve.js';
import type { EngineInfo } from './segment-engine.js';
import { detectSettingsJson, resolveDetectSettings } from '../pipeline/settings.js';

export interface ModelJson {
  name: string;
  kind: string;
  licence: string;
  description: string;
  size?: number;
  local: boolean;
  active: boolean;
  pair?: string;
}

export async function listModels(info: EngineInfo, web: boolean) {
  let entries: ManifestEntry[] = [];
  let manifestError: string | undefined;
  try {
    entries = await loadManifest();
  } catch (e) {
    // A broken user manifest must not take the endpoint down; say what is wrong instead.
    manifestError = e instanceof Error ? e.message : String(e);
  }
  const models: ModelJson[] = await Promise.all(
    entries.map(async (e) => {
      const local = await findLocal(e.name, e, { download: false }).catch(() => undefined);
      const m: ModelJson = {
        name: e.name,
        kind: e.kind,
        licence: e.licence,
        description: e.description,
        local: local !== undefined,
        active: e.name === info.model,
      };
      if (e.size !== undefined) m.size = e.size;
      if (e.pair) m.pair = e.pair.name;
      return m;
    }),
  );
  return {
    active: {
      name: info.model,
      licence: info.licence ?? 'unknown (not in the manifest)',
      classes: info.classNames,
      default_classes: info.defaultClasses ?? null,
      imgsz: info.imgsz,
      // What the model recommends, and the settings a request that gives none runs with (the page's start).
      recommended: info.recommended,
      detect_defaults: detectSettingsJson(resolveDetectSettings({}, info)),
      // The page downloads this for in-browser inference; the file never leaves the server otherwise.
      browser_url: web ? '/models/active.onnx' : null,
    },
    models,
    ...(manifestError ? { manifest_error: manifestError } : {}),
  };
}
