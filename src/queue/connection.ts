/**
 * Where the job queue lives: a Redis URL (redis:// or rediss://) and a queue name. BullMQ takes the URL
 * as is; the raw ioredis client is for the few reads BullMQ has no call for (ZCOUNT over finish times,
 * ZMSCORE over a run's job ids, INFO memory).
 */
import { Redis } from 'ioredis';
import { AnimesegError } from '../errors.js';

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
    throw new AnimesegError('BAD_OPTION', `--queue must be a redis:// or rediss:// URL, got '${url}'`, { hint: 'e.g. --queue redis://127.0.0.1:6379' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new AnimesegError('BAD_OPTION', `--queue must be a redis:// or rediss:// URL, got '${url}'`, { hint: 'e.g. --queue redis://127.0.0.1:6379' });
  }
  if (!/^[\w.-]{1,64}$/.test(name)) throw new AnimesegError('BAD_OPTION', `--name must be 1-64 letters, digits, '.', '_' or '-', got '${name}'`);
  return { url, name };
}

/** BullMQ connection options (workers need maxRetriesPerRequest null for their blocking reads). */
export function bullConnection(t: QueueTarget): { url: string; maxRetriesPerRequest: null } {
  return { url: t.url, maxRetriesPerRequest: null };
}

/** A plain client for raw reads; fails fast instead of queueing commands while Redis is unreachable. */
export function openRedis(t: QueueTarget): Redis {
  return new Redis(t.url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
}
