/** 'regions': the weight-free over-segmentation fused with YOLO by vote (regions/refiner.ts). */
import type { RefinerDescriptor } from '../descriptor.js';
import { createRegionsRefiner } from '../regions/refiner.js';

export const REGIONS_REFINER = {
  name: 'regions',
  description: 'weight-free colour over-segmentation fused with YOLO by vote (no extra model)',
  needs: 'nothing',
  inWorkers: true,
  inBrowser: true,
  options: [],
  create: async (o) => createRegionsRefiner({ ...o.vote, regions: o.regions, colour: o.colour, holeFill: o.holeFill }),
} as const satisfies RefinerDescriptor;
