/** Worker thread: renders the images the pool sends (see pool.ts), one answer per finished image. */
import { workerData } from 'node:worker_threads';
import { serveTasks } from '../../util/worker-serve.js';
import { Renderer, type RendererInit, type RenderResult, type RenderTask } from './render.js';

await serveTasks<RenderTask, RenderResult>(() => {
  const renderer = new Renderer(workerData.init as RendererInit);
  return async (task) => ({ value: await renderer.render(task) });
});
