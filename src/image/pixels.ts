/** Channel conversions of RawImage (no Node imports: also bundled for the browser). */
import type { RawImage } from './types.js';

/**
 * RGB view of any RawImage. Alpha is dropped WITHOUT compositing (what OpenCV's imread and therefore
 * Ultralytics do with RGBA PNGs); gray is replicated. Returns the input itself when already RGB.
 */
export function toRgb(img: RawImage): RawImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const s = img.data;
  if (img.channels === 4) {
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      out[i * 3] = s[j];
      out[i * 3 + 1] = s[j + 1];
      out[i * 3 + 2] = s[j + 2];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = s[i];
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}
