export { createServer, DEFAULT_LIMITS, type AnimesegServer, type CreateServerOptions, type ServerLimits } from './server.js';
export { createPipelineEngine, probeImage, type PipelineEngineOptions } from './pipeline-engine.js';
export type { SegmentEngine, EngineInfo, EngineResult, RefinerInfo, SegmentParams } from './segment-engine.js';
export { HttpError, STATUS_BY_CODE, toErrorResponse, type ErrorBody } from './http-errors.js';
export { WorkQueue, type QueueStats, type Admission } from './work-queue.js';
export { ensureWebBundle, buildWebBundle, bundlePath } from './build-web.js';
export { parseSegmentOptions, SEGMENT_OPTION_NAMES, type SegmentRequest } from './request-options.js';
