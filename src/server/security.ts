/**
 * Browser-facing defences of the service, in one place:
 * - response headers: nosniff, no framing, a Content-Security-Policy (the page's allows what the page and
 *   onnxruntime-web need: same-origin scripts, WebAssembly compilation, blob: workers; nothing remote);
 * - a Host allow-list, so a web page on another name cannot reach this server through DNS rebinding;
 * - CORS, off unless the operator names origins; without it a cross-origin POST is refused outright
 *   (a form post needs no preflight, so "the browser will not let them read it" is not enough).
 */
import { networkInterfaces, hostname } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';

/** The page, its scripts and onnxruntime-web's workers ('wasm-unsafe-eval' = WebAssembly.compile only). */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** API answers (JSON, images) are data, never documents that run anything. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** Headers every response carries (the page and static files add PAGE_CSP, the API API_CSP). */
export const BASE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Host names a request may be addressed to. `*` in the list turns the check off. */
export class HostAllowList {
  private readonly names = new Set<string>();
  private any = false;

  constructor(extra: readonly string[] = []) {
    for (const n of ['localhost', '127.0.0.1', '::1']) this.names.add(n);
    for (const n of extra) this.add(n);
  }

  add(name: string): void {
    const n = name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (n === '*') this.any = true;
    else if (n) this.names.add(n);
  }

  /** The address the server listens on; a wildcard address adds this machine's addresses and name. */
  addBound(host: string): void {
    const h = host.replace(/^\[(.*)\]$/, '$1');
    if (h === '0.0.0.0' || h === '::') {
      for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) this.add(a.address.replace(/%.*$/, ''));
      this.add(hostname());
    } else this.add(h);
  }

  /** `Host` header value (name[:port], [v6]:port) allowed? Names under .localhost resolve to loopback (RFC 6761). */
  allows(hostHeader: string | undefined): boolean {
    if (this.any || hostHeader === undefined) return true; // HTTP/1.0 without Host: no browser sends that
    const name = hostName(hostHeader);
    return this.names.has(name) || name.endsWith('.localhost');
  }

  list(): string[] {
    return this.any ? ['*'] : [...this.names];
  }
}

export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.indexOf(':');
  // One colon: name:port. More than one without brackets is not a valid Host; keep it whole (never matches).
  return colon >= 0 && h.indexOf(':', colon + 1) < 0 ? h.slice(0, colon) : h;
}

/** Parse `--cors` / `cors`: origins like https://app.example:8443, or `*`. */
export function parseCorsOrigins(list: readonly string[]): string[] {
  return list.map((o) => o.trim().replace(/\/+$/, '')).filter((o) => o.length > 0);
}

const EXPOSED = 'x-instances, x-image-size, server-timing, retry-after, content-disposition';

/**
 * onRequest check: Host allow-list, then Origin. Answers a CORS preflight itself (returns true when it did).
 * Same-origin requests (Origin's host = Host) are always allowed.
 */
export function checkRequest(req: FastifyRequest, reply: FastifyReply, hosts: HostAllowList, cors: readonly string[]): boolean {
  // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400 (HTTP/1.0 has no Host; allowed below).
  if (req.headers.host === undefined && req.raw.httpVersion !== '1.0') {
    throw new HttpError(400, 'BAD_INPUT', 'the request has no Host header', 'HTTP/1.1 requests must name the host, e.g. Host: 127.0.0.1:7860');
  }
  if (!hosts.allows(req.headers.host)) {
    throw new HttpError(403, 'HOST_NOT_ALLOWED', `requests for host '${hostName(req.headers.host ?? '')}' are not accepted by this server`, 'use http://127.0.0.1 or localhost, or start the server with --allow-host NAME for the name you use');
  }
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const sameOrigin = originHost(origin) === (req.headers.host ?? '').toLowerCase();
  const allowed = cors.includes('*') || cors.includes(origin);
  if (allowed && !sameOrigin) {
    reply.header('access-control-allow-origin', cors.includes('*') ? '*' : origin).header('vary', 'Origin').header('access-control-expose-headers', EXPOSED);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '600')
        .send();
      return true;
    }
    return false;
  }
  // Reading is what CORS guards; a cross-origin POST is work done for a page the operator never allowed.
  if (!sameOrigin && req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(403, 'ORIGIN_NOT_ALLOWED', `cross-origin requests from ${origin} are not accepted`, 'start the server with --cors ORIGIN to let that page call the API');
  }
  return false;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}
