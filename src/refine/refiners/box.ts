/** 'box': Segment Anything prompted with each YOLO box and points inside its mask (../sam-box.ts). */
import type { RefinerDescriptor } from '../descriptor.js';

export const BOX_REFINER = {
  name: 'box',
  description: 'Segment Anything prompted with each YOLO box and points (one decoder run per character)',
  needs: 'sam',
  inWorkers: false,
  inBrowser: false,
  options: ['sam_model', 'sam_encoder', 'sam_decoder', 'box_points'],
  fromFlags: (f) => ({ box: { model: f.sam_model, encoder: f.sam_encoder, decoder: f.sam_decoder, points: f.box_points } }),
  async create(o) {
    // Lazy: box.ts loads SAM's sessions.
    const box = await import('../sam-box.js');
    return box.createSamBoxRefiner(o.box ?? {});
  },
} as const satisfies RefinerDescriptor;
