/**
 * Ultralytics' validation settings, declared once: the evaluation runner (model-runner.ts) predicts with them
 * and the report (evaluate.ts) records them. From ../shared/vendor/ultralytics-8.2.103: engine/validator.py
 * `self.args.conf = 0.001` when conf is unset ("default conf=0.001"; cfg/default.yaml: "0.25 predict, 0.001
 * val"), cfg/default.yaml `iou: 0.7` and `max_det: 300`. Kept apart from model-runner.ts, which loads
 * onnxruntime: scoring stored predictions must not.
 */
export const VAL_SETTINGS = Object.freeze({ conf: 0.001, iou: 0.7, maxDet: 300 } as const);
