/**
 * Every error the service returns has one JSON shape: { error: { code, message, hint? } }.
 * AnimesegError codes (src/errors.ts) map to HTTP statuses here, so handlers just throw.
 */
import { AnimesegError, type ErrorCode } from '../errors.js';
import { hideServerPaths } from './public-text.js';

/** Codes the HTTP layer adds on top of the library's ErrorCode. */
export type HttpErrorCode =
  | ErrorCode
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'HOST_NOT_ALLOWED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'BUSY'
  | 'TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; hint?: string };
}

/** An error with an HTTP status; handlers throw it, the error handler renders it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly hint?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * Status for each library error code. User mistakes are 4xx; problems with the server's own models or
 * tools are 5xx because the caller cannot fix them by changing the request.
 */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  BAD_OPTION: 400,
  BAD_DATASET: 400,
  TOO_LARGE: 413,
  MODEL_NOT_FOUND: 404,
  BAD_MODEL: 500,
  DOWNLOAD_FAILED: 502,
  MISSING_TOOL: 501,
  EXTERNAL_FAILED: 502,
  IO: 500,
};

/** Turn anything thrown into (status, body, headers). Unknown errors become a 500 without internals. */
export function toErrorResponse(e: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (e instanceof HttpError) {
    return { status: e.status, body: errorBody(e.code, e.message, e.hint), headers: e.headers };
  }
  if (e instanceof AnimesegError) {
    // The library's `file` is a server-side path or a field name; the message already says what is wrong.
    return { status: STATUS_BY_CODE[e.code] ?? 500, body: errorBody(e.code, e.message, e.hint), headers: {} };
  }
  const fst = fastifyStatus(e);
  if (fst) return fst;
  return {
    status: 500,
    body: errorBody('INTERNAL', 'internal error while handling the request', 'the server log has the details; please report it'),
    headers: {},
  };
}

/** The JSON error body; server paths in the message or hint are shortened (public-text.ts). */
export function errorBody(code: HttpErrorCode, message: string, hint?: string): ErrorBody {
  const m = hideServerPaths(message);
  return { error: hint ? { code, message: m, hint: hideServerPaths(hint) } : { code, message: m } };
}

/** Fastify's own errors (body too large, bad JSON, unsupported content type, multipart limits). */
function fastifyStatus(e: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } | null {
  if (!e || typeof e !== 'object') return null;
  const err = e as { code?: string; statusCode?: number; message?: string };
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return { status: 413, body: errorBody('TOO_LARGE', err.message ?? 'request body too large', 'send a smaller file (see GET /healthz for limits)'), headers: {} };
    case 'FST_FILES_LIMIT':
      // The documented answer for two files is a 400: the request is wrong, not too big.
      return { status: 400, body: errorBody('BAD_INPUT', 'more than one file in the upload', 'send one image per request'), headers: {} };
    case 'FST_ERR_BAD_URL':
      return { status: 400, body: errorBody('BAD_INPUT', 'the URL is not valid percent-encoding', 'encode special characters in the path as %XX (UTF-8)'), headers: {} };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return {
        status: 415,
        body: errorBody('UNSUPPORTED_MEDIA_TYPE', err.message ?? 'unsupported content type', 'send multipart/form-data with a "file" field, or the raw image with an image/* or application/octet-stream content type'),
        headers: {},
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return { status: 400, body: errorBody('BAD_INPUT', err.message ?? 'bad request body'), headers: {} };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: errorBody(err.statusCode === 413 ? 'TOO_LARGE' : 'BAD_INPUT', err.message ?? 'bad request'), headers: {} };
  }
  return null;
}
