/**
 * A small HTTP server on 127.0.0.1 (port 0) with the behaviours a model download can meet:
 * a good file (sent in several chunks), a redirect chain, a 404, and a truncated transfer
 * (Content-Length declared, connection closed half-way). Counts hits per path.
 */
import { createServer, type Server } from 'node:http';
import { randomBytes, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  base: string;
  payload: Buffer;
  sha256: string;
  md5: string;
  hits: Map<string, number>;
  /** Bytes written to the socket per path (for /endless: how far the transfer got before the client stopped). */
  sent: Map<string, number>;
  close(): Promise<void>;
}

export async function startServer(payloadSize = 200_000): Promise<TestServer> {
  const payload = randomBytes(payloadSize);
  const hits = new Map<string, number>();
  const sent = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const sendChunks = (bytes: Buffer, declared: number, stopAt?: number) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(declared) });
      const chunk = 16_384;
      let off = 0;
      const end = stopAt ?? bytes.length;
      const step = () => {
        if (off >= end) {
          if (stopAt !== undefined) res.socket?.destroy(); // close early: a truncated transfer
          else res.end();
          return;
        }
        const next = Math.min(end, off + chunk);
        res.write(bytes.subarray(off, next));
        off = next;
        setTimeout(step, 2); // separate chunks on the wire, so progress sees several
      };
      step();
    };
    if (url.startsWith('/good')) return sendChunks(payload, payload.length);
    if (url.startsWith('/endless')) {
      // No Content-Length, 64 KiB chunks up to 256 MiB or until the client goes away (a wrong URL's stream).
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(65_536, 7);
      let off = 0;
      const step = () => {
        if (res.destroyed || off >= 256 << 20) return res.end();
        off += chunk.length;
        sent.set(url, off);
        if (res.write(chunk)) setImmediate(step);
        else res.once('drain', step);
      };
      res.on('close', () => undefined);
      return step();
    }
    if (url.startsWith('/huge')) {
      // Announces 2 GiB, sends one chunk, then hangs up after a moment (a bounded stand-in for a huge file).
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(2 ** 31) });
      res.write(Buffer.alloc(16_384));
      setTimeout(() => res.socket?.destroy(), 300);
      return;
    }
    if (url === '/truncated') return sendChunks(payload, payload.length, Math.floor(payload.length / 2));
    if (url === '/redirect') {
      res.writeHead(302, { location: '/redirect2' });
      return res.end();
    }
    if (url === '/redirect2') {
      res.writeHead(301, { location: '/good-after-redirect' });
      return res.end();
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    payload,
    // Expected digests computed independently of the downloader, with node:crypto over the served bytes.
    sha256: createHash('sha256').update(payload).digest('hex'),
    md5: createHash('md5').update(payload).digest('hex'),
    hits,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A manifest entry whose URL is this server's good file (checksum and size of the served bytes). */
export function servedEntry(srv: TestServer, name: string) {
  return {
    name,
    file: `${name}.onnx`,
    url: `${srv.base}/good/${name}.onnx`,
    sha256: srv.sha256,
    size: srv.payload.length,
    licence: 'CC-BY-4.0',
    description: 'a test download',
    kind: 'yolo-seg' as const,
  };
}
