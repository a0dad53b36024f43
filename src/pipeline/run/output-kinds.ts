/**
 * The output registry: every file a run writes for one image, described once: its name, when it is
 * planned, its extension and how it is drawn. The batch's file names (outputPaths, plannedOutputs) and
 * encoding (processOne), the output folder's ownership check (ownedOutputStem), the job result route and
 * the content types the server answers with all read this table, so a new output kind is added here alone.
 */
import { encodeImage, type ImageFormat } from '../../image/encode.js';
import type { RawImage } from '../../image/types.js';
import { renderCrop, type CropSpec } from '../crops.js';
import { OUTPUT_DEFAULTS, OUTPUT_FORMATS } from '../options.js';
import { alphaImage, contentBounds, cutout, instanceCutout, instanceMask, instanceTag, overlayImage, resultAlpha, type Rgb } from '../outputs.js';
import type { Instance } from '../types.js';

/** Every image extension a run can write: the cutout formats, and JPEG for training crops on a background. */
export const IMAGE_EXTENSIONS = [...OUTPUT_FORMATS, 'jpg'] as const;
export type FileExtension = (typeof IMAGE_EXTENSIONS)[number] | 'json';

/** The content type of each file extension (the server's answers, the job result route). */
export const CONTENT_TYPES: Record<FileExtension, string> = {
  png: 'image/png',
  webp: 'image/webp',
  jpg: 'image/jpeg',
  json: 'application/json; charset=utf-8',
};

/** What decides which extensions an output kind can have. */
type ExtensionRule = 'png' | 'json' | 'format' | 'crop';

/** The settings that decide which outputs an image gets and their extensions (the batch's OutputOptions). */
export interface OutputPlanOptions {
  format?: string;
  overlay?: boolean;
  instances?: boolean;
  onlyMask?: boolean;
  crops?: { bg?: unknown };
}

/** What the kinds draw with (the batch's OutputOptions): the plan, plus the cutout's look. */
export interface OutputRenderOptions extends OutputPlanOptions {
  bgColor?: Rgb;
  crop?: boolean;
  crops?: CropSpec;
}

/** One image's result as its outputs are drawn from it: the kept instances (after the instance filter). */
export interface RenderSource {
  image: RawImage;
  width: number;
  height: number;
  instances: readonly Instance[];
  /** A transparent input's own alpha: it limits every cutout and mask. */
  inputAlpha?: Uint8Array;
  /** resultAlpha of all the instances (the cutout's and the mask's alpha). */
  alpha: Uint8Array;
}

/**
 * The encoded file of a kind for one image (`instance`: which character, for a per-instance kind), or null
 * when there is nothing to write (a crop of a character with no pixel left).
 */
type Render = (src: RenderSource, opts: OutputRenderOptions, ext: FileExtension, instance: number) => Promise<Uint8Array | null>;

/** The encoder's name of an image extension. */
const encoderFormat = (ext: FileExtension): ImageFormat => (ext === 'jpg' ? 'jpeg' : (ext as ImageFormat));

export interface OutputKind {
  /** Whether there is one file per character (named with instanceTag) rather than one per image. */
  perInstance: boolean;
  /** The name part after NAME (and after `.instNN` for a per-instance kind), given the extension. */
  suffix: (ext: string) => string;
  extensions: ExtensionRule;
  /** Whether a run with these settings writes this kind. */
  planned: (opts: OutputPlanOptions) => boolean;
  /** Written even for an image with no character under --skip-empty (the record of the image). */
  keptWhenSkipped?: true;
  /** How the file is drawn and encoded; null for NAME.json, which the run writes itself, last (it marks the image done). */
  render: Render | null;
}

/** In the order an image's outputs are planned (JSON last: it is the record that the others are done). */
export const OUTPUT_KINDS = {
  cutout: {
    perInstance: false,
    suffix: (ext) => `.${ext}`,
    extensions: 'format',
    planned: (o) => !o.onlyMask,
    render: (s, o, ext) => encodeImage(cutout(s.image, s.alpha, { bgColor: o.bgColor, crop: o.crop }), encoderFormat(ext)),
  },
  mask: { perInstance: false, suffix: () => '.mask.png', extensions: 'png', planned: () => true, render: (s) => encodeImage(alphaImage(s.alpha, s.width, s.height), 'png') },
  overlay: {
    perInstance: false,
    suffix: () => '.overlay.png',
    extensions: 'png',
    planned: (o) => !!o.overlay,
    render: async (s) => encodeImage(await overlayImage(s.image, s.instances), 'png'),
  },
  // --only-mask --instances: one mask per character, no colour file.
  instance: {
    perInstance: true,
    suffix: (ext) => `.${ext}`,
    extensions: 'format',
    planned: (o) => !!o.instances && !o.onlyMask,
    render: (s, o, ext, k) => encodeImage(instanceCutout(s.image, s.instances, k, { bgColor: o.bgColor, inputAlpha: s.inputAlpha }), encoderFormat(ext)),
  },
  instanceMask: {
    perInstance: true,
    suffix: () => '.mask.png',
    extensions: 'png',
    planned: (o) => !!o.instances && !!o.onlyMask,
    render: (s, _o, _ext, k) => encodeImage(instanceMask(s, k), 'png'),
  },
  crop: {
    perInstance: true,
    suffix: (ext) => `.crop.${ext}`,
    extensions: 'crop',
    planned: (o) => !!o.crops,
    render: async (s, o, ext, k) => {
      const alpha = resultAlpha(s, [k]);
      const bounds = contentBounds(alpha, s.width, s.height);
      if (!bounds) return null;
      return encodeImage(await renderCrop(s.image, alpha, bounds, o.crops!), encoderFormat(ext), ext === 'jpg' ? { quality: 95 } : {});
    },
  },
  json: { perInstance: false, suffix: () => '.json', extensions: 'json', planned: () => true, keptWhenSkipped: true, render: null },
} as const satisfies Record<string, OutputKind>;
export type OutputKindKey = keyof typeof OUTPUT_KINDS;

/** The kinds a server's queue job can have (GET /v1/jobs/:id/result?file=, and what retention removes). */
export const JOB_RESULT_KINDS = ['cutout', 'mask', 'json'] as const satisfies readonly OutputKindKey[];

/** Training crops are JPEG where there is no alpha (an opaque background), else the cutout format. */
export function cropExtension(opts: OutputPlanOptions): string {
  return opts.crops?.bg ? 'jpg' : (opts.format ?? OUTPUT_DEFAULTS.format);
}

/** The extension a kind is written with under these settings. */
export function outputExtension(kind: OutputKindKey, opts: OutputPlanOptions): FileExtension {
  const rule: ExtensionRule = OUTPUT_KINDS[kind].extensions;
  if (rule === 'png' || rule === 'json') return rule;
  return (rule === 'format' ? (opts.format ?? OUTPUT_DEFAULTS.format) : cropExtension(opts)) as FileExtension;
}

/** Every extension a kind can be written with, over all settings. */
function possibleExtensions(rule: ExtensionRule): readonly string[] {
  if (rule === 'png' || rule === 'json') return [rule];
  return rule === 'format' ? OUTPUT_FORMATS : IMAGE_EXTENSIONS;
}

/** The file name of an output: NAME + (`.instNN` for a per-instance kind) + the kind's suffix. */
export function outputName(name: string, kind: OutputKindKey, ext: string, instance?: number): string {
  const k: OutputKind = OUTPUT_KINDS[kind];
  return `${name}${k.perInstance ? `.${instanceTag(instance ?? 0)}` : ''}${k.suffix(ext)}`;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every output name ending, as one pattern anchored at the end. Per-instance endings come first so that
 * `a.inst00.mask.png` is read as image `a` (not `a.inst00` with a mask); RegExp.exec takes the leftmost match.
 */
const OUTPUT_ENDING = (() => {
  const endings: string[] = [];
  for (const perInstance of [true, false]) {
    for (const k of Object.values(OUTPUT_KINDS) as OutputKind[]) {
      if (k.perInstance !== perInstance) continue;
      for (const ext of possibleExtensions(k.extensions)) endings.push((perInstance ? '\\.inst\\d{2,}' : '') + escapeRegExp(k.suffix(ext)));
    }
  }
  return new RegExp(`(?:${[...new Set(endings)].join('|')})$`);
})();

/** The image name (relative stem) of a file the batch could have written, or null when no kind has its name. */
export function ownedOutputStem(relName: string): string | null {
  const m = OUTPUT_ENDING.exec(relName);
  return m === null ? null : relName.slice(0, m.index);
}
