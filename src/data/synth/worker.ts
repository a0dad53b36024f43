/** Worker thread: renders the images the pool sends, one message per finished image. */
import { parentPort, workerData } from 'node:worker_threads';
import { Renderer, type RendererInit, type RenderTask } from './render.js';

const renderer = new Renderer(workerData.init as RendererInit);
// The pool keeps two tasks in flight per worker and both run at once: while one image is JPEG-encoded and
// written (sharp's threads, file system), the next one is composed on this thread.
parentPort!.on('message', (task: RenderTask) => {
  void renderer.render(task).then((r) => parentPort!.postMessage(r));
});
