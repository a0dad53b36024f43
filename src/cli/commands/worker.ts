/**
 * animeseg worker: take images off the BullMQ queue and segment them, until SIGTERM/SIGINT (finish the
 * active jobs, then exit; a second signal exits at once and the jobs are picked up by other workers).
 */
import { AnimesegError } from '../../errors.js';
import { checkDevice } from '../../models/session.js';
import { intOption, optionalInt, parseCommandArgs } from '../args.js';
import { assertReachable, queueTarget } from '../../queue/connection.js';

export const usage = `Usage: animeseg worker --queue redis://HOST:PORT [options]

Runs queued images (from 'animeseg queue add') through the 'segment' pipeline: the same outputs, written
atomically to the run's output folder. Start one per machine; all must see the shared folder at the same path.

Options:
  --queue URL          Redis holding the queue (redis:// or rediss://)
  --name NAME          queue name (default animeseg)
  --concurrency N      images in flight in this process (default 2)
  --device cpu|cuda    execution provider (default cpu)
  --threads N          onnxruntime threads per model run
  --lock-ms N          job lock length (default 30000): a killed worker's jobs are redone by others after
                       about lock-ms + stalled-ms; a live worker renews its locks every lock-ms/2
  --stalled-ms N       how often to look for jobs of dead workers (default lock-ms/2)
  --exit-when-drained  exit once no waiting jobs are left (one-off runs, benchmarks)
  --quiet              no log lines
SIGTERM/SIGINT: finish the active jobs, then exit; a second signal exits at once (its jobs are redone).`;

export async function run(argv: string[]): Promise<number> {
  let o;
  try {
    const { values: v, positionals } = parseCommandArgs('worker', argv, {
      queue: { type: 'string' },
      name: { type: 'string' },
      concurrency: { type: 'string' },
      device: { type: 'string' },
      threads: { type: 'string' },
      'lock-ms': { type: 'string' },
      'stalled-ms': { type: 'string' },
      'exit-when-drained': { type: 'boolean' },
      quiet: { type: 'boolean' },
    }, false);
    if (positionals.length) throw new AnimesegError('BAD_OPTION', `worker: unexpected argument '${positionals[0]}'`);
    const lockMs = intOption('lock-ms', v['lock-ms'], 30_000, 500, 3_600_000);
    o = {
      ...queueTarget(v.queue, v.name),
      concurrency: intOption('concurrency', v.concurrency, 2, 1, 64),
      device: checkDevice(v.device ?? 'cpu'),
      threads: optionalInt('threads', v.threads, 1, 256),
      lockMs,
      stalledMs: intOption('stalled-ms', v['stalled-ms'], Math.max(1000, Math.round(lockMs / 2)), 200, 3_600_000),
      exitWhenDrained: v['exit-when-drained'] ?? false,
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
  await w.stopped;
  o.log?.('stopped');
  return 0;
}
