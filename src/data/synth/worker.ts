/** Worker thread: renders the images the pool sends, one message per finished image. */
import { parentPort, workerData } from 'node:worker_threads';
import { Renderer, type RendererInit, type RenderTask } from './render.js';

const renderer = new Renderer(workerData.init as RendererInit);
// Tasks run one after another: the pool keeps two queued per worker so the thread never waits on a message.
let chain: Promise<void> = Promise.resolve();
parentPort!.on('message', (task: RenderTask) => {
  chain = chain.then(async () => {
    parentPort!.postMessage(await renderer.render(task));
  });
});
