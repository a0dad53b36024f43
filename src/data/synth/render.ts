/**
 * One synthetic image end to end (compose → labels → encode → files), shared by the worker threads and by
 * tests that call it in-process. The label file is written after the image: a label marks a finished item.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../../util/atomic.js';
import { formatLabelRow } from '../labels.js';
import { composeImage, type ComposedImage, type ComposeSources } from './compose.js';
import type { SynthParams } from './params.js';
import { ByteLru, loadBackground, loadForeground, type Background, type Foreground, type SharedInputs } from './sources.js';
import { normalisePolygon, visibleLabel } from './visible.js';

export interface RendererInit {
  params: SynthParams;
  fgFiles: string[];
  bgFiles: string[];
  out: string;
  /** Inputs decoded once by the main thread (shared memory); the rest are decoded here on demand. */
  shared?: SharedInputs;
  /** Cache for inputs decoded here (bytes). */
  cacheBytes?: number;
}

export interface RenderTask {
  index: number;
  split: 'train' | 'val';
  name: string;
}

export interface RenderResult {
  index: number;
  ok: boolean;
  error?: string;
  instances?: number;
  rows?: number;
}

export interface LabelledImage {
  image: ComposedImage;
  /** One entry per pasted instance that got a row (in paste order). */
  rows: { id: number; area: number; polygon: number[]; normalised: number[] }[];
}

export class Renderer {
  private readonly fgCache: ByteLru<Foreground>;
  private readonly bgCache: ByteLru<Background>;
  /** Views of shared inputs (plus this thread's pyramid levels of them). */
  private readonly sharedFg = new Map<number, Foreground>();
  private readonly sharedBg = new Map<number, Background>();
  readonly sources: ComposeSources;

  constructor(private readonly init: RendererInit) {
    const budget = init.cacheBytes ?? 768 * 2 ** 20;
    this.fgCache = new ByteLru<Foreground>(budget * 0.6);
    this.bgCache = new ByteLru<Background>(budget * 0.4);
    this.sources = {
      fgCount: init.fgFiles.length,
      bgCount: init.bgFiles.length,
      foreground: async (i) => {
        let v = this.sharedFg.get(i) ?? this.fgCache.get(i);
        if (v) return v;
        const s = init.shared?.fg[i];
        if (s) {
          v = { levels: [{ data: new Uint8Array(s.data), width: s.width, height: s.height }], meanGray: s.meanGray, bytes: 0 };
          this.sharedFg.set(i, v);
        } else this.fgCache.set(i, (v = await loadForeground(init.fgFiles[i])));
        return v;
      },
      background: async (i) => {
        let v = this.sharedBg.get(i) ?? this.bgCache.get(i);
        if (v) return v;
        const s = init.shared?.bg[i];
        if (s) {
          v = { rgb: new Uint8Array(s.data), width: s.width, height: s.height, bytes: 0 };
          this.sharedBg.set(i, v);
        } else this.bgCache.set(i, (v = await loadBackground(init.bgFiles[i])));
        return v;
      },
    };
  }

  /** Compose image `index` and trace its label rows (no files written). */
  async label(index: number): Promise<LabelledImage> {
    const p = this.init.params;
    const image = await composeImage(p, index, this.sources);
    const rows: LabelledImage['rows'] = [];
    for (const inst of image.instances) {
      const v = visibleLabel(image.owner, image.width, inst.box, inst.id, p);
      if (!v) continue;
      rows.push({ id: inst.id, area: v.area, polygon: v.polygon, normalised: normalisePolygon(v.polygon, image.width, image.height) });
    }
    return { image, rows };
  }

  async render(task: RenderTask): Promise<RenderResult> {
    try {
      const p = this.init.params;
      const { image, rows } = await this.label(task.index);
      const raw = sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } });
      const encoded = p.format === 'png' ? await raw.png({ compressionLevel: 6 }).toBuffer() : await raw.jpeg({ quality: image.plan.jpegQuality }).toBuffer();
      const ext = p.format === 'png' ? 'png' : 'jpg';
      await writeFileAtomic(join(this.init.out, 'images', task.split, `${task.name}.${ext}`), encoded);
      const text = rows.map((r) => formatLabelRow(0, r.normalised)).join('\n') + (rows.length ? '\n' : '');
      await writeFileAtomic(join(this.init.out, 'labels', task.split, `${task.name}.txt`), text);
      return { index: task.index, ok: true, instances: image.instances.length, rows: rows.length };
    } catch (e) {
      return { index: task.index, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
}
