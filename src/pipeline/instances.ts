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
    className: classNameOf(names, d.classId),
    score: d.score,
    box: d.box,
    mask: d.mask,
    maskSource: 'yolo',
  };
}

/** A class id's name in a model (the id itself when the model has no name for it). */
export function classNameOf(names: readonly string[], id: number): string {
  return names[id] ?? String(id);
}
