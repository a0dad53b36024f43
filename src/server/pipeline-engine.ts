/**
 * The real SegmentEngine: ONE YOLO model (the library's createSegmenter, refine 'none') loaded at start
 * and shared by every request; refiners are created on first use per mode, cached, and handed to the
 * segmenter per request (its per-call `refiner`), so switching refinement never loads YOLO again and the
 * refinement, the instance merge and soft edges are the segmenter's own.
 */
import sharp from 'sharp';
import { AnimesegError } from '../errors.js';
import { createSegmenter, type Segmenter } from '../pipeline/segmenter.js';
import type { Refiner } from '../pipeline/types.js';
import type { EngineInfo, EngineResult, RefinerInfo, SegmentEngine } from './segment-engine.js';
import type { SegmentOptions } from '../pipeline/settings.js';
import { ADMITTED_INPUT } from '../image/sharp-input.js';
import type { RefinerOptions } from '../refine/index.js';

export interface PipelineEngineOptions {
  /** Model name or path (resolver order); default the resolver's DEFAULT_MODEL. */
  model?: string;
  /** Default refinement mode for requests that do not say. */
  refine?: string;
  device?: 'cpu' | 'cuda';
  threads?: number;
  /** Options passed to createRefiner (src/refine) for every mode. */
  refineOptions?: RefinerOptions;
}

interface RefinerState {
  info: RefinerInfo;
  refiner?: Promise<Refiner | null>;
}

export async function createPipelineEngine(opts: PipelineEngineOptions = {}): Promise<SegmentEngine> {
  const refineLib = await import('../refine/index.js');
  const defaultRefine = opts.refine ?? 'none';
  const refiners = new Map<string, RefinerState>();
  // What a request may fall back to when its refiner cannot run here: those that need no extra model.
  const fallback = refineLib.listRefiners().filter((r) => r.needs === 'nothing').map((r) => `refine=${r.name}`).join(' or ');
  const samMissing = await samUnavailableReason();
  for (const r of refineLib.listRefiners()) {
    // SAM refiners are offered only when a SAM pair is on this machine: a request must never trigger a
    // multi-hundred-MB download. The reason is shown by GET /v1/refiners and the page.
    const reason = r.needs === 'sam' ? samMissing : undefined;
    refiners.set(r.name, { info: { name: r.name, description: r.description, in_browser: r.inBrowser, available: !reason, ...(reason ? { reason } : {}) } });
  }
  if (!refiners.has(defaultRefine)) {
    throw new AnimesegError('BAD_OPTION', `unknown refinement mode '${defaultRefine}'`, { hint: `choose one of: ${[...refiners.keys()].join(', ')}` });
  }
  // Loads now, so a missing or broken model stops `serve` at start instead of failing requests.
  // The pixel limit is per request (segment's maxPixels, checked from the header there), so the
  // segmenter's own decode limit must not be a second, lower one (it defaults to 100M pixels).
  const seg: Segmenter = await createSegmenter({ model: opts.model, refine: 'none', device: opts.device, threads: opts.threads, maxPixels: Number.MAX_SAFE_INTEGER });
  const info: EngineInfo = {
    model: seg.info.model,
    path: seg.info.path,
    licence: seg.info.licence,
    classNames: seg.info.classNames,
    imgsz: seg.info.imgsz,
    defaultClasses: seg.info.defaultClasses,
    recommended: seg.info.recommended,
  };

  const refinerFor = (name: string): Promise<Refiner | null> => {
    const st = refiners.get(name)!;
    if (name === 'none') return Promise.resolve(null);
    if (!st.info.available && !st.refiner) {
      return Promise.reject(new AnimesegError('BAD_OPTION', `refinement '${name}' is unavailable on this server: ${st.info.reason}`, { hint: `use ${fallback}` }));
    }
    if (!st.refiner) {
      st.refiner = refineLib.createRefiner(name, opts.refineOptions ?? {}).then(
        (r) => {
          st.info = { ...st.info, available: true, reason: undefined };
          return r;
        },
        (e: unknown) => {
          // Remember why (e.g. no SAM model on this machine) for /v1/refiners; a later request may retry.
          st.refiner = undefined;
          const why = e instanceof Error ? e.message : String(e);
          st.info = { ...st.info, available: false, reason: why };
          throw new AnimesegError('BAD_OPTION', `refinement '${name}' is unavailable on this server: ${why}`, {
            hint: e instanceof AnimesegError && e.hint ? e.hint : `use ${fallback}`,
          });
        },
      );
    }
    return st.refiner;
  };
  if (defaultRefine !== 'none') await refinerFor(defaultRefine);

  return {
    info,
    defaultRefine,
    refiners: () => [...refiners.values()].map((r) => ({ ...r.info })),
    probe: (bytes, maxPixels) => probeImage(bytes, maxPixels),
    async segment(bytes: Uint8Array, p: SegmentOptions, maxPixels: number): Promise<EngineResult> {
      await probeImage(bytes, maxPixels);
      const refine = p.refine ?? defaultRefine;
      const refiner = await refinerFor(refine);
      // The request's settings whole; its refiner by name becomes the refiner object (the segment()'s per call).
      const r = await seg.segment(bytes, { ...p, refiner });
      return { width: r.width, height: r.height, image: r.image, instances: r.instances, timings: r.timings, refine, settings: r.settings };
    },
    async dispose() {
      for (const st of refiners.values()) {
        const r = await st.refiner?.catch(() => null);
        await r?.dispose?.();
      }
      await seg.dispose();
    },
  };
}

/** Why SAM refiners cannot run here (no local SAM pair), or undefined when they can. */
async function samUnavailableReason(): Promise<string | undefined> {
  try {
    const { resolvePair } = await import('../models/resolver/resolve.js');
    const { DEFAULT_SAM_PAIR } = await import('../models/sam/models.js');
    await resolvePair(DEFAULT_SAM_PAIR, { download: false });
    return undefined;
  } catch (e) {
    return `no Segment Anything model on this machine (${e instanceof Error ? e.message : String(e)}); run 'animeseg models pull sam-vit-b' and restart`;
  }
}

/**
 * Header-only check: format, size and the pixel limit, without decoding pixels. BMP (which sharp cannot
 * read) is recognised by its magic and read by the library's BMP header parser.
 */
export async function probeImage(bytes: Uint8Array, maxPixels: number): Promise<{ width: number; height: number; format: string }> {
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    const { readBmpHeader } = await import('../image/bmp.js');
    const h = readBmpHeader(bytes);
    checkPixels(h.width, h.height, maxPixels);
    return { width: h.width, height: h.height, format: 'bmp' };
  }
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, ADMITTED_INPUT).metadata();
  } catch {
    throw new AnimesegError('BAD_INPUT', 'the upload is not a readable image', { hint: 'send a png, jpeg, webp, gif, avif, tiff or bmp file' });
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  checkPixels(width, height, maxPixels);
  return { width, height, format: meta.format ?? 'unknown' };
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (!(width > 0 && height > 0)) throw new AnimesegError('BAD_INPUT', `the image has no pixels (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new AnimesegError('TOO_LARGE', `the image is ${width}x${height} = ${width * height} pixels, more than this server's limit of ${maxPixels}`, {
      hint: 'send a smaller image, or ask the operator to raise --max-pixels',
    });
  }
}
