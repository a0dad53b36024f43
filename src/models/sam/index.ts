/**
 * Segment Anything over ONNX: encoder, decoder, the automatic mask generator (a port of
 * SamAutomaticMaskGenerator) and a SegmentProposer over it for the vote refiner.
 */
import type { RawImage } from '../../image/types.js';
import type { Mask } from '../../mask/types.js';
import type { SegmentProposer } from '../../contracts.js';
import { Progress } from '../../util/progress.js';
import { AutomaticMaskGenerator, ORIGINAL_PRESET, type AmgOptions, type AmgTimings } from './amg/generator.js';
import { disposeSam, loadSam, type SamModelOptions } from './models.js';

export { SamEncoder, type SamEmbedding, type SamEncoderOptions } from './encoder.js';
export { SamDecoder, DECODER_INPUTS, type SamPrompts, type SamDecoderOutput } from './decoder.js';
export {
  AutomaticMaskGenerator,
  AMG_DEFAULTS,
  type AmgHooks,
  ORIGINAL_PRESET,
  validateAmgOptions,
  type AmgOptions,
  type AmgResult,
  type AmgSegment,
  type AmgTimings,
} from './amg/generator.js';
export { loadSam, disposeSam, DEFAULT_SAM_PAIR, type SamModelOptions, type LoadedSam } from './models.js';
export { applyCoords, applyBox, getPreprocessShape, preprocessForEncoder, resizeBilinearPil } from './transforms.js';

export interface SamProposerOptions extends SamModelOptions {
  /** AMG settings over the preset. */
  amg?: Partial<AmgOptions>;
  /** 'original' (default: the original method's settings, algorithms.md §5) or 'sam' (segment-anything's defaults). */
  preset?: 'original' | 'sam';
  warn?: (msg: string) => void;
  /** Show a progress bar (stderr) over the decoder prompts of each image: SAM's AMG takes minutes on CPU. */
  progress?: boolean;
}

export interface SamProposer extends SegmentProposer {
  readonly generator: AutomaticMaskGenerator;
  /** Timings of the last propose() call. */
  lastTimings?: AmgTimings;
  /** Set when the last propose() call ran degraded (a single-mask decoder export): for NAME.json and the summary. */
  lastNotes?: string[];
}

/** The note a result carries when the decoder gave one mask per point instead of SAM's three. */
export function singleMaskNote(decoderPath: string): string {
  return `the SAM decoder ${decoderPath} returns one mask per prompt (exported with return_single_mask), so the automatic mask generator used 1 mask per point instead of 3 and finds fewer segments than the original method; export the decoder with return_single_mask=False`;
}

/** The AMG as a SegmentProposer: one full-size mask per SAM segment. */
export async function createSamProposer(opts: SamProposerOptions = {}): Promise<SamProposer> {
  const sam = await loadSam(opts);
  const amg = { ...(opts.preset === 'sam' ? {} : ORIGINAL_PRESET), ...opts.amg };
  let generator: AutomaticMaskGenerator;
  let bar: Progress | undefined;
  let shown = 0;
  const onProgress = opts.progress
    ? (done: number, total: number) => {
        if (!bar) {
          bar = new Progress({ total, label: 'SAM automatic masks', unit: 'prompt' });
          shown = 0;
        }
        bar.tick(done - shown);
        shown = done;
        if (done >= total) {
          bar.finish();
          bar = undefined;
        }
      }
    : undefined;
  try {
    generator = new AutomaticMaskGenerator(sam.encoder, sam.decoder, amg, { warn: opts.warn, onProgress });
  } catch (e) {
    await disposeSam(sam);
    throw e;
  }
  const proposer: SamProposer = {
    name: 'sam-amg',
    generator,
    async propose(image: RawImage): Promise<Mask[]> {
      const r = await generator.generate(image);
      proposer.lastTimings = r.timings;
      proposer.lastNotes = r.masksPerPrompt === 1 ? [singleMaskNote(sam.decoder.path)] : undefined;
      return r.segments.map((s) => s.mask);
    },
    async dispose() {
      await disposeSam(sam);
    },
  };
  return proposer;
}
