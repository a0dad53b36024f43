/**
 * `animeseg/browser`: the in-browser segmenter for other web apps (and the project's own page). The package
 * maps this entry to one ESM bundle with no Node module in it (web/dist/animeseg-browser.js, built by
 * src/server/build-web.ts) and to these declarations. onnxruntime-web is not bundled: pass the module your
 * app imports (`ort`), or a URL serving its dist files (`ortBase`).
 *
 *   import * as ort from 'onnxruntime-web';
 *   import { createBrowserSegmenter } from 'animeseg/browser';
 *   const seg = await createBrowserSegmenter({ ort, modelUrl: '/models/animeseg-char-n416.onnx', provider: 'wasm' });
 *   const { instances } = await seg.segment({ data: imageData.data, width, height, channels: 4 }, { conf: 0.45 });
 */
export { createBrowserSegmenter, BROWSER_REFINERS } from './segment-browser.js';
export type { BrowserSegmenter, BrowserSegmenterOptions, BrowserInstance, BrowserResult, BrowserRefine } from './segment-browser.js';
export type { OrtWebBackendOptions } from './ort-web-backend.js';
