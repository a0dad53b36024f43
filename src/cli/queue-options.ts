/** --queue URL and --name NAME, as `queue add|status|retry-failed|drain` and `worker` declare them. */
import { DEFAULT_QUEUE_NAME } from '../queue/connection.js';
import type { OptionSpec } from '../util/option-spec.js';

/**
 * The queue a producer and its workers share. --queue is checked by queueTarget (src/queue/connection.ts,
 * which `serve --queue` shares: missing, not redis://), so it is not `required` here.
 */
export const QUEUE_TARGET_OPTIONS = [
  { key: 'queue', type: 'string', metavar: 'URL', help: 'Redis holding the queue: redis://[user:pass@]HOST:PORT[/DB] or rediss://' },
  { key: 'name', type: 'string', default: DEFAULT_QUEUE_NAME, metavar: 'NAME', help: 'queue name, to keep several runs apart' },
] as const satisfies readonly OptionSpec[];
