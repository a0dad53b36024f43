/** 'vote': Segment Anything's automatic masks fused with YOLO by vote (the original method). */
import type { RefinerDescriptor } from '../descriptor.js';
import { createVoteRefiner } from '../vote-refiner.js';
import { resolveVoteOptions } from '../vote.js';

export const VOTE_REFINER = {
  name: 'vote',
  description: 'Segment Anything automatic masks fused with YOLO by vote (the original method; slow)',
  needs: 'sam',
  inWorkers: false,
  inBrowser: false,
  options: ['sam_model', 'sam_encoder', 'sam_decoder', 'sam_preset'],
  // AMG takes minutes per image on CPU: the CLI shows its progress.
  fromFlags: (f) => ({ sam: { model: f.sam_model, encoder: f.sam_encoder, decoder: f.sam_decoder, preset: f.sam_preset, progress: true } }),
  async create(o) {
    // Check the cheap options before loading SAM, so a typo does not cost a model load (or leak one).
    resolveVoteOptions(o.vote);
    // Lazy: SAM code and its models are loaded only when 'vote' is asked for.
    const sam = await import('../../models/sam/index.js');
    const proposer = await sam.createSamProposer(o.sam ?? {});
    return createVoteRefiner({ ...o.vote, proposer, name: 'vote', holeFill: o.holeFill });
  },
} as const satisfies RefinerDescriptor;
