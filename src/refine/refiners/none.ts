/** 'none': the instances as YOLO made them (a soft edge may still be added by the refinement stage). */
import type { Instance, Refiner } from '../../contracts.js';
import type { RefinerDescriptor } from '../descriptor.js';

export function createIdentityRefiner(): Refiner {
  return {
    name: 'none',
    async refine(_image, instances: Instance[]) {
      return instances;
    },
  };
}

export const NONE_REFINER = {
  name: 'none',
  description: "YOLO's own masks, unchanged (fastest)",
  needs: 'nothing',
  inWorkers: true,
  inBrowser: true,
  options: [],
  create: async () => createIdentityRefiner(),
} as const satisfies RefinerDescriptor;
