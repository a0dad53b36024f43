/**
 * animeseg worker: take images off the BullMQ queue and segment them, until SIGTERM/SIGINT (finish the
 * active jobs, then exit; a second signal exits at once and the jobs are picked up by other workers).
 */
import { AnimesegError } from '../../errors.js';
import { defineCommand } from '../schema-args.js';
import { QUEUE_TARGET_OPTIONS } from '../queue-options.js';
import { DEVICE_OPTION } from '../run-options.js';
import { assertReachable, queueTarget } from '../../queue/connection.js';

export const command = defineCommand({
  name: 'worker',
  head: `Usage: animeseg worker --queue redis://HOST:PORT [options]

Runs queued images (from 'animeseg queue add') through the 'segment' pipeline: the same outputs, written
atomically to the run's output folder. Start one per machine; all must see the shared folder at the same path.`,
  options: [
    ...QUEUE_TARGET_OPTIONS,
    { key: 'concurrency', type: 'integer', default: 2, min: 1, max: 64, metavar: 'N', help: 'images in flight in this process' },
    DEVICE_OPTION,
    { key: 'threads', type: 'integer', min: 1, max: 256, metavar: 'N', help: 'onnxruntime threads per model run' },
    {
      key: 'lock-ms',
      type: 'integer',
      default: 30_000,
      min: 500,
      max: 3_600_000,
      metavar: 'N',
      help: "job lock length: a killed worker's jobs are redone by others after\nabout lock-ms + stalled-ms; a live worker renews its locks every lock-ms/2",
    },
    // No default value: it follows --lock-ms (below).
    { key: 'stalled-ms', type: 'integer', min: 200, max: 3_600_000, defaultHelp: 'lock-ms/2', metavar: 'N', help: 'how often to look for jobs of dead workers' },
    { key: 'exit-when-drained', type: 'boolean', help: 'exit once no waiting jobs are left (one-off runs, benchmarks)' },
    { key: 'quiet', type: 'boolean', help: 'no log lines' },
  ],
  foot: 'SIGTERM/SIGINT: finish the active jobs, then exit; a second signal exits at once (its jobs are redone).\nWith Redis unreachable, a signal stops it within seconds, exit 1 (its jobs are redone once Redis is back).',
});
export const usage = command.usage;

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    const { values: v } = command.parse(argv);
    o = {
      ...queueTarget(v.queue, v.name),
      concurrency: v.concurrency,
      device: v.device,
      threads: v.threads,
      lockMs: v['lock-ms'],
      stalledMs: v['stalled-ms'] ?? Math.max(1000, Math.round(v['lock-ms'] / 2)),
      exitWhenDrained: v['exit-when-drained'],
      log: v.quiet ? undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} worker ${process.pid} ${line}\n`),
    };
  } catch (e) {
    if (e instanceof AnimesegError && e.code === 'BAD_OPTION') {
      console.error(`animeseg worker: ${e.describe()}\n\n${usage}`);
      return 2;
    }
    throw e;
  }
  await assertReachable({ url: o.url, name: o.name });
  const { startWorker } = await import('../../queue/worker.js');
  const w = await startWorker(o);
  o.log?.(`ready on queue '${o.name}' (concurrency ${o.concurrency})`);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    o.log?.(signals > 1 ? `${sig} again: stopping now` : `${sig}: finishing active jobs, then exiting (send again to stop now)`);
    void w.close(signals > 1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const { clean } = await w.stopped;
  if (!clean) {
    // Its jobs stay locked in Redis until their lock expires (stalled-job recovery); reconnect timers or
    // model threads must not keep a process alive that was asked to stop.
    o.log?.('stopped without Redis (exit 1)');
    process.exit(1);
  }
  o.log?.('stopped');
  return 0;
}
