// Source checkouts run TypeScript through tsx, whose loader hooks do not reach worker threads by themselves:
// register tsx here, then load the real worker (workerData.entry). Built packages load worker.js directly
// (see worker-spec.ts).
import { workerData } from 'node:worker_threads';
const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
