/**
 * `animeseg fg2mask`: binary mask PNGs (0 / 255) from the alpha of RGBA cut-outs, one per foreground, same
 * relative path with .png. Existing masks are kept (reruns resume); each mask is written atomically.
 */
import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { describeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import { listInputImages } from './files.js';

export interface Fg2MaskOptions {
  fg: string;
  out: string;
  /** Alpha at or above this is foreground (default 128, i.e. alpha >= 0.5). */
  threshold?: number;
  overwrite?: boolean;
  concurrency?: number;
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
}

export interface Fg2MaskStats {
  written: number;
  existing: number;
  failed: { file: string; reason: string }[];
}

export async function fg2mask(opts: Fg2MaskOptions): Promise<Fg2MaskStats> {
  const threshold = opts.threshold ?? 128;
  const root = resolve(opts.fg);
  const files = await listInputImages(root, 'foreground (--fg)');
  const stats: Fg2MaskStats = { written: 0, existing: 0, failed: [] };
  const progress = new Progress({ total: files.length, label: 'fg2mask', unit: 'img', mode: opts.progress ?? 'auto' });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const dst = join(resolve(opts.out), relative(root, file).replace(/\.[^./\\]+$/, '') + '.png');
      let ok = true;
      try {
        if (!opts.overwrite && (await stat(dst).then(() => true, () => false))) {
          stats.existing++;
        } else {
          const meta = await sharp(file).metadata();
          if (!meta.hasAlpha) throw new Error('no alpha channel (foregrounds must be RGBA cut-outs)');
          const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
          const n = info.width * info.height;
          const mask = new Uint8Array(n);
          let on = 0;
          for (let i = 0, a = info.channels - 1; i < n; i++, a += info.channels) {
            if (data[a] >= threshold) {
              mask[i] = 255;
              on++;
            }
          }
          if (on === 0) throw new Error('alpha is empty (fully transparent)');
          const png = await sharp(mask, { raw: { width: info.width, height: info.height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
          await writeFileAtomic(dst, png);
          stats.written++;
        }
      } catch (e) {
        ok = false;
        const reason = describeError(e).split('\n')[0];
        stats.failed.push({ file, reason });
        progress.log(`skipped ${file}: ${reason}`);
      }
      progress.tick(1, ok);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, files.length) }, worker));
  progress.finish();
  return stats;
}
