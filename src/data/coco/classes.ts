/**
 * COCO class ids. Ultralytics' `coco91_to_coco80_class()` maps the paper's 91 category ids (1-based in the
 * annotation files) to the 80 contiguous training classes; `null` marks ids that have no annotations.
 * Values copied from ultralytics/data/converter.py; names from ultralytics/cfg/datasets/coco.yaml.
 */
export const COCO91_TO_80: readonly (number | null)[] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, null, 24, 25, null,
  null, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, null, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
  52, 53, 54, 55, 56, 57, 58, 59, null, 60, null, null, 61, null, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, null,
  73, 74, 75, 76, 77, 78, 79, null,
];

export const COCO80_NAMES: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant',
  'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard',
  'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli',
  'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet',
  'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
  'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/** 80-class id of a COCO category id (1..90), or null when Ultralytics has no class for it. */
export function coco91to80(categoryId: number): number | null {
  const v = COCO91_TO_80[categoryId - 1];
  return v === undefined ? null : v;
}
