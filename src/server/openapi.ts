/**
 * The OpenAPI 3.1 document served at /openapi.json. Written by hand except the segment options, which come from the shared option table (no schema generator is a dependency);
 * test/server/openapi.test.ts checks that every route the server answers is in it and vice versa.
 */

import { jsonSchemaOf } from '../pipeline/options.js';
import { SERVER_FORMATS, SERVER_OPTIONS } from './request-options.js';

const errorRef = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } };

/** The limits the document quotes (server.ts's ServerLimits has them; declared here so the two do not import each other). */
export interface DocumentedLimits {
  maxUploadBytes: number;
  maxPixels: number;
  timeoutMs: number;
  concurrency: number;
  queue: number;
}

/** The document: the API's description with its limits, the routes, and the shared schemas. */
export function buildOpenApi(ctx: { refiners: string[]; limits: DocumentedLimits }) {
  const { limits } = ctx;
  return {
    openapi: '3.1.0',
    info: {
      title: 'animeseg',
      version: '1',
      description:
        'Find anime characters in an illustration (YOLOv8-seg) and cut them out, with optional mask refinement. ' +
        `Limits: uploads up to ${limits.maxUploadBytes} bytes, images up to ${limits.maxPixels} pixels, ` +
        `${limits.timeoutMs} ms per request, ${limits.concurrency} at a time and ${limits.queue} waiting.`,
      license: { name: 'MIT (service); model weights carry their own licence, see GET /v1/models', identifier: 'MIT' },
    },
    paths: { '/v1/segment': { post: segmentOperation(optionSchemas(ctx.refiners)) }, ...infoPaths() },
    components: { schemas: SCHEMAS },
  };
}

/** The segment options' JSON Schemas, from the shared option table; only what the server says differently is here. */
function optionSchemas(refiners: readonly string[]): Record<string, Record<string, unknown>> {
  const described: Record<string, { choices?: readonly string[]; description?: string }> = {
    refine: { choices: refiners, description: "Mask refinement mode (GET /v1/refiners); default: the server's --refine" },
    classes: { description: "Comma-separated class ids or names (names ignore case), or 'all'; default: person for COCO models, every class otherwise" },
    soft_edge: { description: 'Edge-aware partial alpha on the outline (guided filter) in image outputs; JSON masks stay binary' },
    only_mask: { description: 'Return the 8-bit mask (alpha) instead of the cutout' },
    crop: { description: 'Crop the image output to the selected instances' },
    format: { choices: SERVER_FORMATS, description: 'png/webp: the cutout (or mask); json: the instances' },
  };
  return Object.fromEntries(SERVER_OPTIONS.map((o) => [o.key, jsonSchemaOf(o, described[o.key])]));
}

/** POST /v1/segment: the options as query parameters and multipart fields, the image and its answers. */
function segmentOperation(optionProps: Record<string, Record<string, unknown>>) {
  const queryParams = Object.entries(optionProps).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
  return {
    operationId: 'segment',
    summary: 'Segment one image: cutout, mask or instances JSON',
    description: 'Send the image as multipart/form-data (field `file`, options as fields or query) or as the raw request body with an image/* or application/octet-stream content type (options in the query). Unknown options are an error.',
    parameters: queryParams,
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The image (png, jpeg, webp, gif, avif, tiff, bmp)' }, ...optionProps } },
        },
        'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
        'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
      },
    },
    responses: {
      '200': {
        description: 'The cutout/mask image, or the instances as JSON (format=json)',
        headers: {
          'X-Instances': { description: 'Number of instances found', schema: { type: 'integer' } },
          'X-Image-Size': { description: 'WIDTHxHEIGHT of the returned image', schema: { type: 'string' } },
          'Server-Timing': { description: 'Milliseconds per stage', schema: { type: 'string' } },
        },
        content: {
          'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
          'image/webp': { schema: { type: 'string', contentMediaType: 'image/webp' } },
          'application/json': { schema: { $ref: '#/components/schemas/SegmentResult' } },
        },
      },
      '400': errorResponse('Not an image, truncated image, empty body, bad or unknown option'),
      '403': errorResponse('Host not on the allow-list (HOST_NOT_ALLOWED) or a cross-origin request without --cors (ORIGIN_NOT_ALLOWED)'),
      '404': errorResponse('No such route'),
      '408': errorResponse('Headers or body not received within the time limit (TIMEOUT); the connection is closed'),
      '413': errorResponse('Upload larger than the byte limit or image larger than the pixel limit'),
      '415': errorResponse('Content type that carries no image (e.g. application/json)'),
      '500': errorResponse('Internal error (the server keeps running)'),
      '503': { ...errorResponse('Queue full (BUSY), request timed out (TIMEOUT) or shutting down'), headers: retryAfter },
    },
  };
}

/** The routes beside POST /v1/segment: models, refiners, health, this document and the page. */
function infoPaths() {
  return {
    '/v1/models': {
      get: {
        operationId: 'models',
        summary: 'The model manifest with licences, and the model this server uses',
        responses: { '200': { description: 'Models', content: { 'application/json': { schema: { $ref: '#/components/schemas/Models' } } } } },
      },
    },
    '/v1/refiners': {
      get: {
        operationId: 'refiners',
        summary: 'Refinement modes this server offers',
        responses: {
          '200': {
            description: 'Refiners',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['default', 'refiners'],
                  properties: {
                    default: { type: 'string' },
                    refiners: { type: 'array', items: { type: 'object', required: ['name', 'description', 'in_browser', 'available'], properties: { name: { type: 'string' }, description: { type: 'string' }, in_browser: { type: 'boolean', description: 'it also runs in the page (in-browser mode)' }, available: { type: 'boolean' }, reason: { type: 'string' } } } },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness, queue state and limits',
        responses: {
          '200': {
            description: 'Health',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['status', 'model', 'queue', 'limits'],
                  properties: {
                    status: { type: 'string', enum: ['ok', 'shutting_down'] },
                    model: { type: 'string' },
                    uptime_s: { type: 'integer' },
                    queue: { type: 'object', properties: { running: { type: 'integer' }, queued: { type: 'integer' }, admitted: { type: 'integer', description: 'uploads admitted whose body is still being read or checked' }, completed: { type: 'integer' }, rejected: { type: 'integer' }, timedOut: { type: 'integer' }, avgRunMs: { type: 'number' }, max_queued: { type: 'integer' }, concurrency: { type: 'integer' } } },
                    limits: { type: 'object', properties: { max_upload_bytes: { type: 'integer' }, max_pixels: { type: 'integer' }, timeout_ms: { type: 'integer' } } },
                  },
                },
              },
            },
          },
          '503': errorResponse('Shutting down'),
        },
      },
    },
    '/openapi.json': { get: { operationId: 'openapi', summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    '/docs': { get: { operationId: 'docs', summary: 'This document as a web page', responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } } },
    '/': { get: { operationId: 'page', summary: 'The web page (upload, overlay, toggle, compare, download; in-browser mode)', responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } } },
    '/models/active.onnx': { get: { operationId: 'activeModel', summary: 'The loaded YOLO model file, for in-browser inference', responses: { '200': { description: 'ONNX', content: { 'application/octet-stream': { schema: { type: 'string' } } } } } } },
  };
}

/** The schemas the routes refer to: the error shape, an instance, the segment result, the models list. */
const SCHEMAS = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: ['BAD_INPUT', 'TOO_LARGE', 'BAD_OPTION', 'BAD_MODEL', 'MODEL_NOT_FOUND', 'DOWNLOAD_FAILED', 'BAD_DATASET', 'MISSING_TOOL', 'EXTERNAL_FAILED', 'IO', 'UNSUPPORTED_MEDIA_TYPE', 'NOT_FOUND', 'BUSY', 'TIMEOUT', 'SHUTTING_DOWN', 'INTERNAL'] },
          message: { type: 'string' },
          hint: { type: 'string' },
        },
      },
    },
  },
  Instance: {
    type: 'object',
    required: ['id', 'class_id', 'class_name', 'score', 'box', 'area', 'polygons', 'rle'],
    properties: {
      id: { type: 'integer', description: '0-based, in result order (descending score); what `select=` refers to' },
      class_id: { type: 'integer' },
      class_name: { type: 'string' },
      score: { type: 'number' },
      box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4, description: 'x1, y1, x2, y2 in image pixels' },
      area: { type: 'integer', description: 'Mask pixels' },
      mask_source: { type: 'string', description: "'yolo' or the refiner that produced the mask" },
      rle: { type: 'object', required: ['size', 'counts'], description: 'COCO uncompressed RLE (column-major, first run is background), size = [height, width]', properties: { size: { type: 'array', items: { type: 'integer' } }, counts: { type: 'array', items: { type: 'integer' } } } },
      polygons: { type: 'array', items: { type: 'array', items: { type: 'number' } }, description: 'Outer contours as flat x,y lists, largest first' },
    },
  },
  SegmentResult: {
    type: 'object',
    description: 'The same document `animeseg segment --json` writes per image',
    required: ['image', 'width', 'height', 'model', 'settings', 'instances', 'timings_ms'],
    properties: {
      image: { type: 'string', description: 'Uploaded file name (or "upload")' },
      width: { type: 'integer' },
      height: { type: 'integer' },
      model: { type: 'string' },
      settings: { type: 'object', description: 'The settings as applied, as NAME.json records them: conf, iou, max_det, agnostic, classes, from (where each came from: option, model or default), refine, soft_edge when on, imgsz, default_classes for models that have them' },
      instances: { type: 'array', items: { $ref: '#/components/schemas/Instance' } },
      timings_ms: { type: 'object', additionalProperties: { type: 'number' }, description: 'Milliseconds per stage' },
    },
  },
  Models: {
    type: 'object',
    required: ['active', 'models'],
    properties: {
      active: { type: 'object', properties: { name: { type: 'string' }, licence: { type: 'string' }, classes: { type: 'array', items: { type: 'string' } }, default_classes: { type: ['array', 'null'], items: { type: 'integer' } }, imgsz: { type: 'array', items: { type: 'integer' }, description: '[height, width] of the network input' }, browser_url: { type: ['string', 'null'] } } },
      models: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' }, licence: { type: 'string' }, description: { type: 'string' }, size: { type: 'integer' }, local: { type: 'boolean' }, active: { type: 'boolean' }, pair: { type: 'string' } } } },
      manifest_error: { type: 'string' },
    },
  },
};
