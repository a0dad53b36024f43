/**
 * The HTTP service: Fastify with one shared segmentation engine, a bounded work queue, strict option and
 * size checks, the web page and its in-browser inference files, and graceful shutdown.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { AnimesegError } from '../errors.js';
import type { SegmentEngine } from './segment-engine.js';
import { HttpError, toErrorResponse } from './http-errors.js';
import { parseSegmentOptions } from './request-options.js';
import { resolveSegmentSettings, settingsJson, type SegmentOptions, type SegmentSettings } from '../pipeline/settings.js';
import { renderImage, renderJson, type RenderedImage } from './render.js';
import { WorkQueue } from './work-queue.js';
import { buildOpenApi } from './openapi.js';
import { docsCsp, docsPage } from './docs-page.js';
import { API_CSP, BASE_SECURITY_HEADERS, HostAllowList, PAGE_CSP, checkRequest, parseCorsOrigins } from './security.js';
import { clientErrorHandler, notReceivedInTime } from './client-errors.js';
import type { Admission } from './work-queue.js';
import { etagOf, fileEntry, openStatic, ortDistDir, tableFromDir, webDir, type StaticFile } from './static-files.js';
import { listModels } from './models-list.js';
import { hideServerPaths } from './public-text.js';
import { MAX_PART_HEADER_BYTES, multipartBoundary, partHeaderGuard } from './multipart-guard.js';

export interface ServerLimits {
  /** Largest accepted upload in bytes (raw body or the multipart file). */
  maxUploadBytes: number;
  /** Largest accepted image in pixels (width * height, read from the header before decoding). */
  maxPixels: number;
  /**
   * A request that has not finished (queue wait + work) after this many ms gets 503 TIMEOUT; one whose
   * headers and body have not all arrived by then gets 408 and its connection is closed (slow uploaders).
   */
  timeoutMs: number;
  /** Requests allowed to wait beyond the running ones; more get 503 + Retry-After. */
  queue: number;
  /** Requests segmented at the same time. */
  concurrency: number;
  /** Open connections at most; more are closed at once by Node (server.maxConnections). */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUploadBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  timeoutMs: 60_000,
  queue: 16,
  concurrency: 1,
  maxConnections: 128,
};

export interface CreateServerOptions {
  engine: SegmentEngine;
  limits?: Partial<ServerLimits>;
  /** One line per finished request (method, url, status, ms); default: silent. */
  log?: (line: string) => void;
  /** Serve the page and in-browser inference files (default true). */
  web?: boolean;
  /** Folder holding animeseg-browser.js, served as /dist/ (default web/dist; tests build into a temp dir). */
  bundleDir?: string;
  /**
   * Extra host names (Host header) to answer besides localhost, 127.0.0.1, ::1 and the bound address
   * (DNS-rebinding guard); '*' accepts any.
   */
  allowHosts?: string[];
  /** Origins allowed to call the API from another site (CORS); '*' = any. Default none. */
  cors?: string[];
  /** Extra routes (e.g. the job-queue routes of queue-routes.ts), given the upload reader and limits. */
  routes?: (app: FastifyInstance, ctx: ExtraRouteContext) => Promise<void>;
}

export interface ExtraRouteContext {
  engine: SegmentEngine;
  limits: ServerLimits;
  readUpload: typeof readUpload;
  /** onRequest hook that takes an upload place before the body is read (503 BUSY when full). */
  admitUpload: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export interface AnimesegServer {
  app: FastifyInstance;
  limits: ServerLimits;
  queue: WorkQueue;
  /**
   * For routes added later (e.g. a job API in its own module): an onRequest hook that takes a queue place
   * before the body is read (503 BUSY when full), and the place it took, to pass to queue.run().
   */
  admitUpload: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  admissionOf: (req: FastifyRequest) => Admission | undefined;
  /** Start listening; resolves to the base URL (port 0 picks a free port). */
  listen(port?: number, host?: string): Promise<string>;
  /** Stop accepting requests, finish those in flight, free the model. Safe to call twice. */
  close(): Promise<void>;
  readonly closing: boolean;
}

const RAW_TYPES: (string | RegExp)[] = ['application/octet-stream', /^image\/[\w.+-]+$/i];

/** The 404 (or 405 with Allow, for a known path) of a request no route answers. */
type NotFound = (req: FastifyRequest, what: string) => HttpError;
/** onRequest hook that takes an upload place before the body is read. */
type AdmitHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Fastify with the service's transport rules: upload size and time limits, slow-client handling, security
 * headers, Host allow-list and CORS, 405 for a known path with another method, and every error as the
 * JSON error body (http-errors.ts). Routes are added by the caller.
 */
async function createHttpApp(limits: ServerLimits, opts: CreateServerOptions, hosts: HostAllowList, isClosing: () => boolean): Promise<{ app: FastifyInstance; notFound: NotFound }> {
  const cors = parseCorsOrigins(opts.cors ?? []);
  const app = Fastify({
    logger: false,
    // Raw uploads: Fastify enforces this before buffering (Content-Length or streamed count).
    bodyLimit: limits.maxUploadBytes,
    // Slowloris: headers and body must all have arrived within the request's time limit. Node checks
    // these deadlines on a timer (default every 30 s, which made a trickling client last 90-120 s), so
    // the check runs often enough that a slow client is closed close to --timeout-ms.
    requestTimeout: limits.timeoutMs,
    // Node answers an HTTP/1.1 request without Host itself (an empty 400 with none of our headers); the
    // Host check in checkRequest answers it in the project's error shape instead.
    http: { headersTimeout: limits.timeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.round(limits.timeoutMs / 4))), requireHostHeader: false },
    clientErrorHandler: clientErrorHandler(limits.timeoutMs),
    frameworkErrors: (err, _req, res) => {
      const r = toErrorResponse(err);
      const reply = res as unknown as FastifyReply;
      reply.code(r.status).headers({ ...BASE_SECURITY_HEADERS, 'content-security-policy': API_CSP }).type('application/json; charset=utf-8').send(r.body);
    },
    // Keep-alive connections that are idle are closed on shutdown; busy ones finish their request.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  app.server.maxConnections = limits.maxConnections;
  // Node closes idle keep-alive connections once, when close() starts. An upload answered before its body
  // was read (403 for its Origin, 503 when full) is still arriving then, so its connection turns idle only
  // later and stayed open until the keep-alive timeout (72 s). Close each one that turns idle while closing.
  app.server.on('request', (req: IncomingMessage) => {
    req.once('end', () => {
      if (isClosing()) setImmediate(() => app.server.closeIdleConnections());
    });
  });
  // Only images and multipart are bodies here: JSON or text (well-formed or not) is a 415, not a parse error.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  await app.register(multipart, {
    limits: { fileSize: limits.maxUploadBytes, files: 1, fields: 20, fieldSize: 1024, parts: 24 },
  });
  for (const type of RAW_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: limits.maxUploadBytes }, (_req, body, done) => done(null, body));
  }

  // While shutting down, every response closes its connection, so keep-alive sockets of requests that
  // were in flight do not hold the process open until their idle timeout.
  app.addHook('onSend', async (req, reply, payload) => {
    // Also when answering before the body has all arrived (an early 403/503): a client may stop sending
    // once it has the answer, and the half-read request would hold the connection (and close()) until
    // --timeout-ms.
    if (isClosing() || !req.raw.complete) reply.header('connection', 'close');
    reply.headers(BASE_SECURITY_HEADERS);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    return payload;
  });
  // First of all: Host allow-list (DNS rebinding), Origin / CORS (answers preflights itself).
  app.addHook('onRequest', async (req, reply) => {
    if (checkRequest(req, reply, hosts, cors)) return reply;
  });

  // Methods per path, to answer 405 (with Allow) instead of 404 for a known path.
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (r) => {
    if (r.url.includes('*')) return;
    const set = methodsByPath.get(r.url) ?? new Set<string>();
    for (const m of [r.method].flat()) set.add(m);
    methodsByPath.set(r.url, set);
  });
  const notFound: NotFound = (req, what) => {
    const path = req.url.split('?')[0]!;
    const allowed = methodsByPath.get(path);
    if (allowed && !allowed.has(req.method)) {
      const allow = [...allowed].sort().join(', ');
      return new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported for ${path}`, `use ${allow}`, { allow });
    }
    return new HttpError(404, 'NOT_FOUND', what, 'see GET /openapi.json or /docs for the routes');
  };

  app.setErrorHandler((err, req, reply) => {
    const r = toErrorResponse(err);
    if (r.status >= 500 && !(err instanceof HttpError)) opts.log?.(`error ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
    reply.code(r.status).headers(r.headers).type('application/json; charset=utf-8').send(r.body);
  });
  app.setNotFoundHandler((req) => {
    throw notFound(req, `no route ${req.method} ${req.url.split('?')[0]}`);
  });
  if (opts.log) {
    const log = opts.log;
    app.addHook('onResponse', async (req, reply) => {
      log(`${req.method} ${req.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)}ms`);
    });
  }

  return { app, notFound };
}

/** Health, models, refiners, the OpenAPI document and its page. */
function registerInfoRoutes(app: FastifyInstance, opts: CreateServerOptions, ctx: { limits: ServerLimits; queue: WorkQueue; started: number; isClosing: () => boolean }): void {
  const { engine } = opts;
  const { limits, queue, started } = ctx;
  app.get('/healthz', async () => ({
    status: ctx.isClosing() ? 'shutting_down' : 'ok',
    model: engine.info.model,
    uptime_s: Math.round((Date.now() - started) / 1000),
    queue: { ...queue.stats, max_queued: limits.queue, concurrency: limits.concurrency },
    limits: { max_upload_bytes: limits.maxUploadBytes, max_pixels: limits.maxPixels, timeout_ms: limits.timeoutMs, max_connections: limits.maxConnections },
  }));

  app.get('/v1/models', async () => listModels(engine.info, opts.web !== false));

  // A refiner's reason (e.g. "no SAM model; searched FOLDERS") names server folders: shortened for clients.
  app.get('/v1/refiners', async () => ({ default: engine.defaultRefine, refiners: engine.refiners().map((r) => (r.reason ? { ...r, reason: hideServerPaths(r.reason) } : r)) }));

  const openapi = buildOpenApi({ refiners: engine.refiners().map((r) => r.name), limits });
  app.get('/openapi.json', async () => openapi);
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', docsCsp()).send(docsPage()));
}

/** POST /v1/segment: upload → options → header probe → queue → segment → render. */
function registerSegmentRoute(app: FastifyInstance, engine: SegmentEngine, ctx: { limits: ServerLimits; queue: WorkQueue; admit: AdmitHook; admissionOf: (req: FastifyRequest) => Admission | undefined }): void {
  const { limits, queue } = ctx;
  app.post('/v1/segment', { onRequest: ctx.admit }, async (req, reply) => {
    const t0 = performance.now();
    const { bytes, raw, fileName } = await readUpload(req);
    const request = parseSegmentOptions(raw, engine.refiners().map((r) => r.name));
    // Resolved now against the model (class names, every value): a bad one is a 400 before the image is read.
    resolveSegmentSettings({ ...request.options, refine: request.options.refine ?? (engine.defaultRefine as SegmentOptions['refine']) }, engine.info);
    // Header check before queueing: a bad or huge image costs nothing and never takes a slot.
    await engine.probe(bytes, limits.maxPixels);
    const tQueued = performance.now();
    const out = await queue.run(async () => {
      const tStart = performance.now();
      const result = await engine.segment(bytes, request.options, limits.maxPixels);
      const tEncode = performance.now();
      const timings: Record<string, number> = { probe: tQueued - t0, queue: tStart - tQueued, ...result.timings };
      if (request.json) {
        // The settings record NAME.json has, from the settings the request ran with.
        const json = renderJson(result, { image: fileName, model: engine.info.model, settings: settingsJson(result.settings, engine.info) }, timings);
        json.timings_ms.total = Math.round((performance.now() - t0) * 100) / 100;
        return { kind: 'json' as const, json };
      }
      const img = await renderImage(result, request.select);
      timings.encode = performance.now() - tEncode;
      return { kind: 'image' as const, img, result, timings };
    }, limits.timeoutMs, ctx.admissionOf(req));
    if (out.kind === 'json') return reply.type('application/json; charset=utf-8').send(out.json);
    return sendImage(reply, out.img, out.result.instances.length, out.result.settings.outputs, out.timings, t0);
  });
}

export async function createServer(opts: CreateServerOptions): Promise<AnimesegServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const engine = opts.engine;
  const queue = new WorkQueue({ concurrency: limits.concurrency, maxQueued: limits.queue });
  const started = Date.now();
  let closing = false;
  let closePromise: Promise<void> | null = null;
  const isClosing = (): boolean => closing;
  // The bound address joins the allow-list at listen().
  const hosts = new HostAllowList(opts.allowHosts ?? []);
  const { app, notFound } = await createHttpApp(limits, opts, hosts, isClosing);

  // An upload takes its place in the queue before its body is read: a burst beyond the queue is
  // refused (503 + Retry-After) without buffering any of it. The place is given back when the response
  // ends or the connection drops, or handed to queue.run().
  const admissions = new WeakMap<FastifyRequest, Admission>();
  const admit = async (req: FastifyRequest, reply: FastifyReply) => {
    if (closing) throw new HttpError(503, 'SHUTTING_DOWN', 'the server is shutting down', 'retry on another instance or after restart', { 'retry-after': '5' });
    const a = queue.admit();
    if (!a) throw queue.busyError();
    admissions.set(req, a);
    // Every admitted upload ends within --timeout-ms whatever it is waiting on (a body the parser never
    // finishes, the header check, the queue, the model): if nothing has been sent by then it is answered
    // 408 (body still arriving) or 503 TIMEOUT, and its connection closed, which gives its place back.
    const deadline = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      const late = notReceivedInTime(limits.timeoutMs);
      const err = req.raw.complete ? queue.timeoutError(limits.timeoutMs) : new HttpError(late.status, late.code, late.message, late.hint);
      const r = toErrorResponse(err);
      reply.code(r.status).headers({ ...r.headers, connection: 'close' }).type('application/json; charset=utf-8').send(r.body);
    }, limits.timeoutMs);
    reply.raw.once('close', () => {
      clearTimeout(deadline);
      a.release();
    });
  };

  registerInfoRoutes(app, opts, { limits, queue, started, isClosing });
  registerSegmentRoute(app, engine, { limits, queue, admit, admissionOf: (req) => admissions.get(req) });
  if (opts.routes) await opts.routes(app, { engine, limits, readUpload, admitUpload: admit });

  // ---- page + in-browser inference files ----
  if (opts.web !== false) registerWeb(app, engine, opts.bundleDir, notFound);

  const server: AnimesegServer = {
    app,
    limits,
    queue,
    admitUpload: admit,
    admissionOf: (req) => admissions.get(req),
    get closing() {
      return closing;
    },
    async listen(port = 7860, host = '127.0.0.1') {
      hosts.addBound(host);
      try {
        await app.listen({ port, host });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs more privileges' : 'is not an address of this machine';
          throw new AnimesegError('IO', `cannot listen on ${host}:${port}: the address ${why}`, { hint: 'choose another --port (0 picks a free one) or --host' });
        }
        throw e;
      }
      const addr = app.server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
    },
    close() {
      if (closePromise) return closePromise;
      closing = true;
      closePromise = (async () => {
        // app.close() stops accepting, answers new requests on open connections with 503, and waits for
        // in-flight handlers; the queue can only hold jobs of those handlers, so it is empty afterwards.
        await app.close();
        await queue.onIdle();
        await engine.dispose();
      })();
      return closePromise;
    },
  };
  return server;
}

function sendImage(reply: FastifyReply, img: RenderedImage, count: number, options: SegmentSettings['outputs'], timings: Record<string, number>, t0: number) {
  timings.total = performance.now() - t0;
  // Server-Timing lets browser dev tools and clients see the stages without asking for JSON.
  const st = Object.entries(timings)
    .map(([k, v]) => `${k.replace(/[^\w-]/g, '_')};dur=${v.toFixed(1)}`)
    .join(', ');
  return reply
    .type(img.contentType)
    .header('x-instances', String(count))
    .header('x-image-size', `${img.width}x${img.height}`)
    .header('server-timing', st)
    .header('content-disposition', `inline; filename="${options.onlyMask ? 'mask' : 'cutout'}.${options.format}"`)
    .send(Buffer.from(img.body.buffer, img.body.byteOffset, img.body.length));
}

/** The image bytes and the string options (query merged with multipart fields; fields win). */
async function readUpload(req: FastifyRequest): Promise<{ bytes: Uint8Array; raw: Record<string, string | undefined>; fileName: string }> {
  const raw: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    raw[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }
  if (req.isMultipart()) {
    const parts = readParts(req, raw);
    // Part headers beyond the cap: answered at once (busboy would keep 80 KB of them and drop the rest).
    const boundary = multipartBoundary(req.headers['content-type']);
    if (!boundary) return { ...(await parts), raw };
    let refuse: (e: HttpError) => void = () => undefined;
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    const feed = partHeaderGuard(boundary, MAX_PART_HEADER_BYTES, (n) =>
      refuse(new HttpError(431, 'TOO_LARGE', `a multipart part's header block is over ${MAX_PART_HEADER_BYTES} bytes (${n} seen)`, 'send the file with ordinary part headers, e.g. curl -F file=@image.png', { connection: 'close' })),
    );
    req.raw.on('data', feed);
    try {
      return { ...(await Promise.race([parts, refused])), raw };
    } finally {
      req.raw.off('data', feed);
      // The parts reader may still be waiting on the parser when the cap answered first.
      parts.catch(() => undefined);
    }
  }
  const body = req.body;
  if (!Buffer.isBuffer(body)) {
    const ct = req.headers['content-type'] ?? '(none)';
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `cannot read an image from a '${ct}' body`, 'send multipart/form-data with a file field, or the raw image bytes with Content-Type image/* or application/octet-stream');
  }
  if (body.length === 0) throw new AnimesegError('BAD_INPUT', 'the request body is empty', { hint: 'send the image bytes' });
  return { bytes: body, raw, fileName: 'upload' };
}

/** The file of a multipart upload (one, not empty) and its fields, merged into `raw` (fields win). */
async function readParts(req: FastifyRequest, raw: Record<string, string | undefined>): Promise<{ bytes: Buffer; fileName: string }> {
  let bytes: Buffer | null = null;
  let fileName = 'upload';
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (bytes) throw new AnimesegError('BAD_INPUT', 'more than one file in the upload', { hint: 'send one image per request' });
        bytes = await part.toBuffer();
        if (part.filename) fileName = part.filename;
      } else {
        raw[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
      }
    }
  } catch (e) {
    // Limits (FST_* codes) and our own errors keep their status; anything else is the parser (busboy)
    // failing on a malformed body: the client's fault, not a server error.
    const code = (e as { code?: unknown }).code;
    if (e instanceof AnimesegError || e instanceof HttpError || (typeof code === 'string' && code.startsWith('FST_'))) throw e;
    throw new AnimesegError('BAD_INPUT', `malformed multipart upload: ${(e as Error).message}`, { hint: 'send multipart/form-data with one file field (curl -F file=@image.png)' });
  }
  if (!bytes) throw new AnimesegError('BAD_INPUT', 'the multipart upload has no file', { hint: 'add the image as a file field, e.g. curl -F file=@image.png' });
  if (bytes.length === 0) throw new AnimesegError('BAD_INPUT', 'the uploaded file is empty');
  return { bytes, fileName };
}

/** Headers that make the page cross-origin isolated, so onnxruntime-web may use threads (SharedArrayBuffer). */
const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

function registerWeb(app: FastifyInstance, engine: SegmentEngine, bundleDir: string | undefined, notFound: (req: FastifyRequest, what: string) => HttpError): void {
  // Tables are read once here; a file that is not in them cannot be requested.
  const pageFiles = tableFromDir(webDir(), '/');
  if (bundleDir) {
    for (const k of [...pageFiles.keys()]) if (k.startsWith('/dist/')) pageFiles.delete(k);
    for (const [k, v] of tableFromDir(bundleDir, '/dist/')) pageFiles.set(k, v);
  }
  const ortDir = ortDistDir();
  const ortFiles = ortDir ? tableFromDir(ortDir, '/ort/', (n) => /^ort[\w.-]*\.(mjs|wasm)$/.test(n)) : new Map<string, StaticFile>();
  const modelFile = fileEntry(engine.info.path);

  const send = async (req: FastifyRequest, reply: FastifyReply, f: StaticFile, cache: string) => {
    const etag = etagOf(f);
    reply.headers(ISOLATION_HEADERS).header('content-security-policy', PAGE_CSP).header('etag', etag).header('cache-control', cache).type(f.contentType);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    reply.header('content-length', String(f.size));
    // Small text files are read whole; big binaries (wasm, onnx) stream.
    return reply.send(f.size < 512 * 1024 ? await readFile(f.path) : openStatic(f));
  };

  app.get('/', (req, reply) => {
    const f = pageFiles.get('/index.html');
    if (!f) throw new HttpError(404, 'NOT_FOUND', 'the web page files are missing from this installation', 'reinstall animeseg');
    return send(req, reply, f, 'no-cache');
  });
  app.get('/*', (req, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0]!);
    } catch {
      throw new HttpError(400, 'BAD_INPUT', 'the URL is not valid percent-encoding', 'encode special characters in the path as %XX (UTF-8)');
    }
    const f = pageFiles.get(path) ?? ortFiles.get(path);
    if (!f) throw notFound(req, `no file ${path}`);
    // ort files are versioned by the package; page files revalidate so edits show at once.
    return send(req, reply, f, ortFiles.has(path) ? 'public, max-age=86400' : 'no-cache');
  });
  app.get('/models/active.onnx', (req, reply) => send(req, reply, modelFile, 'public, max-age=3600'));
}
