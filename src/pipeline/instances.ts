import type { Detection } from '../models/yolo/postprocess.js';
import type { Instance } from './types.js';

/**
 * A YOLO detection (with its native mask) as a pipeline Instance. Shared by the segmenter, the evaluation
 * runner and the in-browser entry, so every path names classes and tags the mask source the same way.
 */
export function detectionToInstance(d: Detection, names: readonly string[]): Instance {
  if (!d.mask) throw new Error('detectionToInstance needs detections post-processed with native masks');
  return {
    classId: d.classId,
    className: names[d.classId] ?? String(d.classId),
    score: d.score,
    box: d.box,
    mask: d.mask,
    maskSource: 'yolo',
  };
}
