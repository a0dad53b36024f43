/**
 * Where the job queue lives: a Redis URL (redis:// or rediss://) and a queue name. BullMQ takes the URL
 * as is; the raw ioredis client is for the few reads BullMQ has no call for (ZCOUNT over finish times,
 * ZMSCORE over a run's job ids, INFO memory).
 */
import { Redis } from 'ioredis';
import { AnimesegError, invalidParameterError } from '../errors.js';

export const DEFAULT_QUEUE_NAME = 'animeseg';

export interface QueueTarget {
  url: string;
  name: string;
}

/** Check a --queue URL (and --name) up front, so a typo is a usage error and not a hang on connect. */
export function queueTarget(url: string | undefined, name: string = DEFAULT_QUEUE_NAME): QueueTarget {
  if (!url) throw new AnimesegError('BAD_OPTION', 'missing --queue redis://HOST:PORT (the Redis that holds the job queue)');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidParameterError('--queue', 'a redis:// or rediss:// URL', url, 'e.g. --queue redis://127.0.0.1:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw invalidParameterError('--queue', 'a redis:// or rediss:// URL', url, 'e.g. --queue redis://127.0.0.1:6379');
  }
  if (!/^[\w.-]{1,64}$/.test(name)) throw invalidParameterError('--name', "1-64 letters, digits, '.', '_' or '-'", name);
  return { url, name };
}

/**
 * Wait before reconnect attempt `attempt` (1, 2, ...) to a Redis that went away: 0.5 s, doubling, at most
 * 10 s, so a worker or server left running while Redis is down tries a few times a minute, not twice a second.
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}

/** BullMQ connection options (workers need maxRetriesPerRequest null for their blocking reads). */
export function bullConnection(t: QueueTarget): { url: string; maxRetriesPerRequest: null; retryStrategy: (attempt: number) => number } {
  return { url: t.url, maxRetriesPerRequest: null, retryStrategy: reconnectDelayMs };
}

/** Whether a connection error (Redis down, refused, dropped), as opposed to an error of a command or job. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const message = (e as Error | undefined)?.message ?? '';
  return (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code)) || /ECONNREFUSED|Connection is closed|connect ETIMEDOUT/.test(message);
}

/** A plain client for raw reads (errors surface on the commands; reconnects are BullMQ's and ioredis' own). */
export function openRedis(t: QueueTarget): Redis {
  const r = new Redis(t.url, { maxRetriesPerRequest: 2, retryStrategy: reconnectDelayMs });
  r.on('error', () => undefined);
  return r;
}

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * One connect + PING with no retries, before a command starts: an unreachable Redis is one clear error
 * instead of a command that hangs while the client reconnects forever.
 */
export async function assertReachable(t: QueueTarget, timeoutMs = 5000): Promise<void> {
  const c = new Redis(t.url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let last: NodeJS.ErrnoException | undefined;
  c.on('error', (e: NodeJS.ErrnoException) => (last = e));
  try {
    await c.connect();
    await c.ping();
  } catch (e) {
    const why = last?.code ?? (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new AnimesegError('IO', `cannot reach Redis at ${safeUrl(t.url)} (${why})`, { hint: 'start redis-server there, or check --queue redis://HOST:PORT' });
  } finally {
    c.disconnect();
  }
}
