/** YOLOv8-seg: contract, letterbox, NMS, masks, post-processing (pure TS) and the Node model loader. */
export * from './contract.js';
export * from './letterbox.js';
export * from './nms.js';
export * from './masks.js';
export * from './postprocess.js';
export * from './predictor.js';
export { loadYoloModel, type YoloModel, type LoadYoloOptions } from './model.js';
