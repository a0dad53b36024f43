import { AnimesegError } from '../errors.js';
import type { Mask } from './types.js';

/**
 * Shape checks shared by the mask modules. A mask whose buffer does not match its size would make every
 * loop read garbage or throw a RangeError deep inside; we fail early with an AnimesegError instead.
 */
export function checkMask(m: Mask, what = 'mask'): void {
  if (!m || !(m.data instanceof Uint8Array)) {
    throw new AnimesegError('BAD_INPUT', `${what} has no Uint8Array data`, { hint: 'masks are { data: Uint8Array, width, height }' });
  }
  checkSize(m.width, m.height, what);
  if (m.data.length !== m.width * m.height) {
    throw new AnimesegError('BAD_INPUT', `${what} data length ${m.data.length} does not match ${m.width}x${m.height}`, {
      hint: 'mask data must hold exactly width*height bytes',
    });
  }
}

export function checkSize(width: number, height: number, what = 'mask'): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new AnimesegError('BAD_INPUT', `${what} size ${width}x${height} is not a pair of non-negative integers`);
  }
}

export function checkSameSize(a: Mask, b: Mask, what = 'masks'): void {
  checkMask(a);
  checkMask(b);
  if (a.width !== b.width || a.height !== b.height) {
    throw new AnimesegError('BAD_INPUT', `${what} differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`, {
      hint: 'resize one mask to the other first (resizeMaskNearest)',
    });
  }
}
