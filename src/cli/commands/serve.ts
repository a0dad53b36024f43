/**
 * `animeseg serve`: the HTTP service and web page. A thin layer over createServer()/createPipelineEngine().
 */
import { enumOption, intOption, numberOption, optionalInt, parseCommandArgs, usageError } from '../args.js';
import { AnimesegError } from '../../errors.js';

export const usage = `Usage: animeseg serve [options]

HTTP service and web page: POST /v1/segment, GET /v1/models, /v1/refiners, /healthz, /openapi.json, /docs,
and the page at / (upload, overlay, toggle characters, compare edges, download; in-browser mode).

Options:
  --host HOST           address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)
  --port N              port (default 7860; 0 = any free port)
  --model NAME|PATH     YOLO-seg model (default yolov8n-seg-int8; see 'animeseg models list')
  --refine MODE         default refinement for requests that do not say: none | regions | vote | box (default none)
  --max-upload-mb N     largest upload in MiB (default 20) -> 413 beyond
  --max-pixels N        largest image in pixels (default 40000000) -> 413 beyond
  --timeout-ms N        per-request limit incl. queue wait (default 60000) -> 503; a request whose
                        headers/body have not all arrived by then -> 408 and the connection is closed
  --queue N             requests allowed to wait (default 16) -> 503 + Retry-After beyond
  --queue redis://...   also offer POST /v1/jobs, GET /v1/jobs/ID[/result]: uploads become jobs on this
                        BullMQ queue for 'animeseg worker' (needs --queue-dir; see docs/QUEUE.md)
  --queue-dir DIR       shared folder the workers see: uploads/ and results/ go there
  --queue-name NAME     queue name (default animeseg)
  --concurrency N       requests segmented at once (default 1)
  --max-connections N   open connections at most (default 128); more are closed at once
  --allow-host NAME[,NAME]  host names (Host header) to answer besides localhost, 127.0.0.1, ::1 and
                        the --host address (guards against DNS rebinding); '*' = any
  --cors ORIGIN[,ORIGIN]  let pages from these origins call the API (CORS; default: none, and
                        cross-origin POSTs are refused); '*' = any
  --device cpu|cuda     onnxruntime execution provider (default cpu)
  --threads N           onnxruntime intra-op threads (default: onnxruntime's choice)
  --quiet               no per-request log lines

SIGINT/SIGTERM stop accepting requests and finish those in flight; a second signal exits at once.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'serve',
    argv,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      model: { type: 'string' },
      refine: { type: 'string' },
      'max-upload-mb': { type: 'string' },
      'max-pixels': { type: 'string' },
      'timeout-ms': { type: 'string' },
      queue: { type: 'string' },
      'queue-dir': { type: 'string' },
      'queue-name': { type: 'string' },
      concurrency: { type: 'string' },
      'max-connections': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      cors: { type: 'string', multiple: true },
      device: { type: 'string' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    false,
  );
  if (positionals.length) throw new AnimesegError('BAD_OPTION', `serve: unexpected argument '${positionals[0]}'`, { hint: "run 'animeseg serve --help'" });
  const device = enumOption('device', values.device, ['cpu', 'cuda'], 'cpu');
  const port = intOption('port', values.port, 7860, 0, 65535);
  // --queue takes a number (waiting requests) or a redis:// URL (submit jobs to a BullMQ queue).
  const jobQueue = values.queue !== undefined && /^rediss?:\/\//.test(values.queue) ? values.queue : undefined;
  if ((values['queue-dir'] !== undefined || values['queue-name'] !== undefined) && !jobQueue) throw usageError('--queue-dir and --queue-name need --queue redis://...');
  if (jobQueue && values['queue-dir'] === undefined) throw usageError('--queue redis://... needs --queue-dir DIR (the folder the workers share)');
  const host = values.host ?? '127.0.0.1';
  const limits = {
    maxUploadBytes: Math.round(numberOption('max-upload-mb', values['max-upload-mb'], 20, 0.001, 4096) * 1024 * 1024),
    maxPixels: intOption('max-pixels', values['max-pixels'], 40_000_000, 1, 2 ** 31),
    timeoutMs: intOption('timeout-ms', values['timeout-ms'], 60_000, 100, 3_600_000),
    queue: jobQueue ? 16 : intOption('queue', values.queue, 16, 0, 10_000),
    concurrency: intOption('concurrency', values.concurrency, 1, 1, 64),
    maxConnections: intOption('max-connections', values['max-connections'], 128, 1, 100_000),
  };
  const threads = optionalInt('threads', values.threads, 1, 256);
  const splitList = (v: string[] | undefined) => (v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  const allowHosts = splitList(values['allow-host']);
  const cors = splitList(values.cors);
  for (const o of cors) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+\/?$/i.test(o)) {
      throw new AnimesegError('BAD_OPTION', `--cors: '${o}' is not an origin`, { hint: "give scheme://host[:port], e.g. https://app.example.com, or '*'" });
    }
  }

  // libvips' operation cache only pays off for repeated work on the same input; a server sees unique
  // uploads, so the cache would just hold memory (sharp's own advice for long-running services).
  const sharp = (await import('sharp')).default;
  sharp.cache(false);
  const { createServer } = await import('../../server/server.js');
  const { createPipelineEngine } = await import('../../server/pipeline-engine.js');
  const { ensureWebBundle } = await import('../../server/build-web.js');
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

  const bundle = await ensureWebBundle();
  if (!bundle.ok) log(`in-browser mode unavailable: ${bundle.reason}`);
  else if (bundle.built) log(`built ${bundle.path}`);
  log(`loading model ${values.model ?? '(default)'}...`);
  const engine = await createPipelineEngine({ model: values.model, refine: values.refine, device, threads });
  const { queueTarget } = await import('../../queue/connection.js');
  const routes = jobQueue ? (await import('../../server/queue-routes.js')).queueRoutes({ target: queueTarget(jobQueue, values['queue-name']), dir: values['queue-dir']!, model: values.model }) : undefined;
  const server = await createServer({ engine, limits, allowHosts, cors, log: values.quiet ? undefined : log, routes });
  const url = await server.listen(port, host);
  log(`animeseg serving ${engine.info.model} (${engine.info.licence ?? 'licence unknown'}) at ${url}  page: ${url}/  API docs: ${url}/docs`);

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log(`${sig} again: exiting without waiting`);
        process.exit(130);
      }
      const { running, queued } = server.queue.stats;
      log(`${sig}: finishing ${running + queued} request(s) in flight, then exiting (send again to force)`);
      server.close().then(
        () => {
          log('stopped');
          resolve(0);
        },
        (e: unknown) => {
          log(`error while stopping: ${e instanceof Error ? e.message : String(e)}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
