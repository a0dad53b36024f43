/**
 * Errors Node's HTTP parser raises before Fastify sees a request (slow or oversized headers, garbage on
 * the wire, a body that never finishes) and Fastify's own routing errors (a URL that is not valid
 * percent-encoding), answered in the service's one error shape instead of the frameworks' defaults.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { errorBody, type HttpErrorCode } from './http-errors.js';
import { API_CSP, BASE_SECURITY_HEADERS } from './security.js';

interface ClientError extends Error {
  code?: string;
}

type Answer = { status: number; code: HttpErrorCode; message: string; hint?: string };

/** The 408 of a request whose headers or body have not all arrived within the time limit. */
export function notReceivedInTime(timeoutMs: number): Answer & { hint: string } {
  return { status: 408, code: 'TIMEOUT', message: `the request was not received within ${timeoutMs} ms`, hint: 'send the whole request at once; the server closes slow connections' };
}

function classify(err: ClientError, timeoutMs: number): Answer {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return notReceivedInTime(timeoutMs);
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'TOO_LARGE', message: 'the request headers are too large', hint: 'send fewer or shorter headers (cookies)' };
    default:
      return { status: 400, code: 'BAD_INPUT', message: 'malformed HTTP request', hint: 'send a valid HTTP/1.1 request' };
  }
}

/** Fastify `clientErrorHandler`: write the JSON answer on the raw socket (when still possible) and close it. */
export function clientErrorHandler(timeoutMs: number) {
  return (err: ClientError, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const c = classify(err, timeoutMs);
    const body = JSON.stringify(errorBody(c.code, c.message, c.hint));
    // A response already under way on this socket cannot be replaced; just close.
    const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (socket.writable && !busy) {
      const headers = {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
        'content-security-policy': API_CSP,
        ...BASE_SECURITY_HEADERS,
      };
      const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(`HTTP/1.1 ${c.status} ${STATUS_CODES[c.status]}\r\n${head}\r\n${body}`);
    }
    socket.destroySoon?.();
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}
