/**
 * Download one file over HTTP(S) into a destination path, safely:
 * - streams into a temp file in the destination folder (same filesystem, so the final rename is atomic);
 * - hashes while streaming (sha256 and/or md5, as the manifest gives), checks the byte count against
 *   Content-Length and the manifest size, so a truncated transfer or a wrong file never lands;
 * - on any failure removes the temp file and throws DOWNLOAD_FAILED naming the URL, what was expected,
 *   what arrived and what the user can do instead.
 * Uses the global fetch (undici), which follows redirects; `fetchImpl` lets tests and embedders swap it.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AnimesegError } from '../../errors.js';
import { TEMP_PREFIX, tempPathFor } from '../../util/atomic.js';
import { Progress } from '../../util/progress.js';
import { isOffline } from './offline.js';

export interface DownloadProgress {
  /** Bytes received so far. */
  received: number;
  /** Expected bytes (Content-Length or manifest size), undefined when unknown. */
  total?: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  sha256?: string;
  md5?: string;
  size?: number;
  /**
   * Refuse a file larger than this (checked against Content-Length before the transfer, and while
   * receiving) when `size` is not known: an unverified download must not fill the disk.
   */
  maxBytes?: number;
  /** Called for every chunk; for library users and tests. */
  onProgress?: (p: DownloadProgress) => void;
  /** Progress bar on stderr: 'auto' (default: bar on a TTY, plain lines otherwise) or 'silent'. */
  progress?: 'auto' | 'bar' | 'plain' | 'silent';
  /** Label for the progress bar, usually the model name. */
  label?: string;
  fetchImpl?: typeof fetch;
  /** Abort when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Environment read for ANIMESEG_OFFLINE (default process.env): offline refuses before any network call. */
  env?: NodeJS.ProcessEnv;
  /** Text appended to every error hint, e.g. where else the file can be put. */
  hint?: string;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  md5?: string;
}

function fail(opts: DownloadOptions, what: string, cause?: unknown): AnimesegError {
  const hint =
    opts.hint ??
    `check your connection and retry, or download ${opts.url} yourself and put it in a folder named by $ANIMESEG_MODELS`;
  return new AnimesegError('DOWNLOAD_FAILED', `download of ${opts.url} failed: ${what}`, {
    file: opts.dest,
    hint,
    cause,
  });
}

/** KiB granularity keeps the shared Progress (integer counts) readable for files of any size. */
const KIB = 1024;

export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  if (isOffline(opts.env)) {
    throw new AnimesegError('DOWNLOAD_FAILED', `not downloading ${opts.url}: ANIMESEG_OFFLINE is set`, {
      file: opts.dest,
      hint: opts.hint ?? `fetch the file on a machine with network access and put it at ${opts.dest}, or unset ANIMESEG_OFFLINE`,
    });
  }
  const fetchFn = opts.fetchImpl ?? globalThis.fetch;
  await mkdir(dirname(opts.dest), { recursive: true });
  await removeAbandonedDownloads(dirname(opts.dest));
  const tmp = tempPathFor(opts.dest);
  const idle = new IdleWatchdog(opts.idleTimeoutMs ?? 60_000);
  try {
    idle.arm();
    const res = await openResponse(fetchFn, opts, idle.signal);
    const { declared, cap } = await checkAnnouncedLength(res, opts);
    const total = opts.size ?? declared;
    const meter = new KibMeter(opts, total);
    const got = await receiveInto(tmp, res.body!, opts, { cap, total, idle, meter });
    meter.finish(got.received);
    const digests = checkReceived(opts, got, res.headers.get('content-encoding') ? undefined : declared);
    await rename(tmp, opts.dest);
    return { path: opts.dest, bytes: got.received, ...digests };
  } catch (e) {
    await rm(tmp, { force: true });
    if (e instanceof AnimesegError) throw e;
    throw fail(opts, errText(e), e);
  } finally {
    idle.stop();
  }
}

/** Aborts the transfer when no byte arrives for `ms`: armed at the start and again at every chunk. */
class IdleWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly ms: number) {}
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error(`no data for ${this.ms / 1000} s`)), this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

/** The server's answer with a body, or DOWNLOAD_FAILED saying why not (no connection, an HTTP error, no body). */
async function openResponse(fetchFn: typeof fetch, opts: DownloadOptions, signal: AbortSignal): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  let res: Response;
  try {
    res = await fetchFn(opts.url, { redirect: 'follow', signal });
  } catch (e) {
    throw fail(opts, `could not connect (${errText(e)})`, e);
  }
  if (!res.ok) {
    throw fail(opts, `server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${res.url && res.url !== opts.url ? ` (at ${res.url})` : ''}`);
  }
  if (!res.body) throw fail(opts, 'server sent no body');
  return res as Response & { body: ReadableStream<Uint8Array> };
}

/**
 * The announced length (Content-Length) and the size cap of an unverified file; refuses before the
 * transfer a length that is not the manifest's size, or over the cap (unless the transfer is encoded).
 */
async function checkAnnouncedLength(res: Response & { body: ReadableStream<Uint8Array> }, opts: DownloadOptions): Promise<{ declared?: number; cap?: number }> {
  const declared = headerLength(res.headers.get('content-length'));
  if (opts.size !== undefined && declared !== undefined && declared !== opts.size) {
    // Cheaper to stop before transferring the wrong file; the encoding check keeps gzip'd transfers legal.
    if (!res.headers.get('content-encoding')) {
      await res.body.cancel().catch(() => undefined);
      throw fail(opts, `server announces ${declared} bytes, the manifest expects ${opts.size}`);
    }
  }
  const cap = opts.size === undefined ? opts.maxBytes : undefined;
  if (cap !== undefined && declared !== undefined && declared > cap && !res.headers.get('content-encoding')) {
    await res.body.cancel().catch(() => undefined);
    throw tooLarge(opts, cap, `the server announces ${declared} bytes`);
  }
  return { declared, cap };
}

/** The progress bar in KiB (none when silent or the size is unknown). */
class KibMeter {
  private readonly bar?: Progress;
  private ticked = 0;
  constructor(opts: DownloadOptions, total: number | undefined) {
    if (opts.progress !== 'silent' && total !== undefined) {
      this.bar = new Progress({ total: Math.ceil(total / KIB), unit: 'KiB', label: opts.label ?? 'download', mode: opts.progress ?? 'auto' });
    }
  }
  /** Whole KiB received so far. */
  at(received: number): void {
    if (!this.bar) return;
    const kib = Math.floor(received / KIB);
    if (kib > this.ticked) {
      this.bar.tick(kib - this.ticked);
      this.ticked = kib;
    }
  }
  /** The transfer is complete: count the last partial KiB and end the bar. */
  finish(received: number): void {
    if (!this.bar) return;
    const rest = Math.ceil(received / KIB) - this.ticked;
    if (rest > 0) this.bar.tick(rest);
    this.bar.finish();
  }
}

interface Received {
  received: number;
  sha: Hash;
  md5?: Hash;
}

/**
 * Stream the body into `tmp`, hashing as it comes and stopping as soon as more than the expected size or
 * the cap arrived; fsync'd at the end. A broken stream is DOWNLOAD_FAILED saying how much had arrived.
 */
async function receiveInto(
  tmp: string,
  body: ReadableStream<Uint8Array>,
  opts: DownloadOptions,
  o: { cap?: number; total?: number; idle: IdleWatchdog; meter: KibMeter },
): Promise<Received> {
  const sha = createHash('sha256');
  const md5: Hash | undefined = opts.md5 ? createHash('md5') : undefined;
  const fh = await open(tmp, 'w');
  let received = 0;
  // One write in flight while the next chunk is received and hashed: disk and hashing overlap
  // instead of taking turns (bench/download.ts measures the difference).
  let pendingWrite: Promise<unknown> = Promise.resolve();
  try {
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        o.idle.arm();
        sha.update(chunk);
        md5?.update(chunk);
        await pendingWrite;
        pendingWrite = fh.write(chunk);
        pendingWrite.catch(() => undefined); // awaited on the next chunk or below; never unhandled
        received += chunk.byteLength;
        if (opts.size !== undefined && received > opts.size) {
          throw fail(opts, `received more than the expected ${opts.size} bytes: not the file the manifest describes`);
        }
        if (o.cap !== undefined && received > o.cap) throw tooLarge(opts, o.cap, `more than ${o.cap} bytes arrived`);
        opts.onProgress?.({ received, total: o.total });
        o.meter.at(received);
      }
    } catch (e) {
      if (e instanceof AnimesegError) throw e;
      // undici reports a connection closed before Content-Length bytes as a stream error.
      throw fail(opts, `transfer interrupted after ${received} bytes${o.total !== undefined ? ` of ${o.total}` : ''} (${errText(e)})`, e);
    }
    await pendingWrite;
    await fh.sync();
  } finally {
    await pendingWrite.catch(() => undefined);
    await fh.close();
  }
  return { received, sha, md5 };
}

/**
 * The file is the one announced and described: every byte the server announced (`declared`, undefined for
 * an encoded transfer), the manifest's size and digests. Returns the digests (hex).
 */
function checkReceived(opts: DownloadOptions, got: Received, declared: number | undefined): { sha256: string; md5?: string } {
  const { received } = got;
  if (declared !== undefined && received !== declared) {
    throw fail(opts, `truncated transfer: got ${received} bytes, server announced ${declared}`);
  }
  if (opts.size !== undefined && received !== opts.size) {
    throw fail(opts, `size mismatch: expected ${opts.size} bytes, got ${received}`);
  }
  const shaHex = got.sha.digest('hex');
  const md5Hex = got.md5?.digest('hex');
  if (opts.sha256 && shaHex !== opts.sha256.toLowerCase()) {
    throw fail(opts, `sha256 mismatch: expected ${opts.sha256}, got ${shaHex} (${received} bytes)`);
  }
  if (opts.md5 && md5Hex !== opts.md5.toLowerCase()) {
    throw fail(opts, `md5 mismatch: expected ${opts.md5}, got ${md5Hex} (${received} bytes)`);
  }
  return { sha256: shaHex, md5: md5Hex };
}

/** Download temp files (TEMP_PREFIX) untouched this long are abandoned: a live download writes at least every idle timeout (60 s by default) or gives up. */
export const ABANDONED_DOWNLOAD_MS = 10 * 60_000;

/**
 * Remove the temp files of downloads that were killed or cut off (Ctrl-C, a crash) from a folder (the
 * cache), run before each download starts. Only files untouched for ABANDONED_DOWNLOAD_MS: another
 * process may be downloading into the same folder right now. Returns how many were removed.
 */
export async function removeAbandonedDownloads(dir: string, now = Date.now()): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let n = 0;
  for (const f of names) {
    if (!f.startsWith(TEMP_PREFIX)) continue;
    const p = join(dir, f);
    const st = await stat(p).catch(() => null);
    if (!st?.isFile() || now - st.mtimeMs < ABANDONED_DOWNLOAD_MS) continue;
    await rm(p, { force: true });
    n++;
  }
  return n;
}

function tooLarge(opts: DownloadOptions, cap: number, what: string): AnimesegError {
  return new AnimesegError('DOWNLOAD_FAILED', `download of ${opts.url} stopped: ${what}, over the limit of ${cap} bytes for a file whose size is not published`, {
    file: opts.dest,
    hint: `if you trust the file, raise the limit (animeseg models pull NAME --no-verify --max-size 2G), or download ${opts.url} yourself and put it in a folder named by $ANIMESEG_MODELS`,
  });
}

function headerLength(v: string | null): number | undefined {
  if (v === null) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function errText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // undici wraps the useful reason ("other side closed", ECONNREFUSED) in `cause`.
  const cause = (e as Error & { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause.message : cause !== undefined ? String(cause) : '';
  return inner && inner !== e.message ? `${e.message}: ${inner}` : e.message;
}
