/** YOLO instances for the refinement checks: the project's own segmenter with refinement off. */
import { createSegmenter } from '../../../src/pipeline/segmenter.js';
import type { RawImage } from '../../../src/image/types.js';
import type { Instance } from '../../../src/pipeline/types.js';

export const YOLO_MODEL = new URL('../../../../shared/models/yolov8n-seg_int8.onnx', import.meta.url).pathname;

export interface YoloRunner {
  detect(image: RawImage): Promise<Instance[]>;
  dispose(): Promise<void>;
}

export async function loadYolo(modelPath = YOLO_MODEL, threads?: number): Promise<YoloRunner> {
  const seg = await createSegmenter({ model: modelPath, refine: 'none', threads });
  return { detect: async (img) => (await seg.segment(img)).instances, dispose: () => seg.dispose() };
}
