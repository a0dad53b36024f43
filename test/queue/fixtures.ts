// Inputs for the queue tests: small generated PNGs plus downsized real illustrations, and a fake YOLO-seg
// model with one fixed detection (a 200x240 box, an elliptical mask) so 200 images segment in seconds.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { anchorCount, fakeYoloModel } from '../../testing/onnx/fake-models.js';

export const ILLUSTRATIONS = resolve('../shared/data/illustrations/images');

/**
 * 320 px static model, one class; anchor 0 is a 0.9-score box at the centre, mask = ellipse from protos
 * channel 0. More class names make a different file (other size) that finds the same box.
 */
export function oneBoxModel(names: string[] = ['character']): Uint8Array {
  const imgsz = 320;
  const n = anchorCount(imgsz);
  const nc = names.length;
  const rows = 4 + nc + 32;
  const output0 = new Float32Array(rows * n);
  const set = (row: number, v: number) => (output0[row * n] = v);
  set(0, 160), set(1, 160), set(2, 200), set(3, 240), set(4, 0.9), set(4 + nc, 4);
  const p = imgsz / 4;
  const protos = new Float32Array(32 * p * p);
  for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) protos[y * p + x] = 1 - (((x - 40) / 22) ** 2 + ((y - 40) / 28) ** 2);
  return fakeYoloModel({ imgsz, names, output0, protos });
}

/** `real` downsized illustrations (256 px wide) and `total - real` generated 64x48 PNGs, each different. */
export async function makeImages(dir: string, total: number, real: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = (await readdir(ILLUSTRATIONS)).sort().slice(0, real);
  const out: string[] = [];
  for (const f of files) {
    const p = join(dir, f.replace(/\.\w+$/, '.png'));
    await sharp(join(ILLUSTRATIONS, f)).resize({ width: 256 }).png().toFile(p);
    out.push(p);
  }
  for (let i = 0; out.length < total; i++) {
    const w = 64, h = 48, d = Buffer.alloc(w * h * 3);
    for (let k = 0; k < d.length; k++) d[k] = (k * 7 + i * 31 + (((k / 3) | 0) % w) * i) & 255;
    const p = join(dir, `gen${String(i).padStart(3, '0')}.png`);
    await sharp(d, { raw: { width: w, height: h, channels: 3 } }).png().toFile(p);
    out.push(p);
  }
  return out;
}

export async function writeModel(path: string, names?: string[]): Promise<string> {
  await writeFile(path, oneBoxModel(names));
  return path;
}
