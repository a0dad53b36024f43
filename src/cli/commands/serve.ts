/**
 * `animeseg serve`: the HTTP service and web page. A thin layer over createServer()/createPipelineEngine().
 */
import { usageError } from '../args.js';
import { defineCommand, readNumber } from '../schema-args.js';
import { AnimesegError } from '../../errors.js';
import { DEFAULT_MODEL } from '../../models/resolver/index.js';
import { REFINER_NAMES } from '../../refine/index.js';
import type { OptionSpec } from '../../util/option-spec.js';
import { DEVICE_OPTION } from '../run-options.js';

/** --queue N: the number form of --queue (the other is a redis:// URL), read with this range. */
export const QUEUE_WAITING = { key: 'queue', type: 'integer', default: 16, min: 0, max: 10_000, help: 'requests allowed to wait' } as const satisfies OptionSpec;

export const command = defineCommand({
  name: 'serve',
  head: `Usage: animeseg serve [options]

HTTP service and web page: POST /v1/segment, GET /v1/models, /v1/refiners, /healthz, /openapi.json, /docs,
and the page at / (upload, overlay, toggle characters, compare edges, download; in-browser mode).`,
  options: [
    { key: 'host', type: 'string', default: '127.0.0.1', metavar: 'HOST', help: 'address to listen on; 0.0.0.0 exposes it to the network' },
    { key: 'port', type: 'integer', default: 7860, min: 0, max: 65535, metavar: 'N', help: 'port; 0 = any free port' },
    { key: 'model', type: 'string', metavar: 'NAME|PATH', defaultHelp: DEFAULT_MODEL, help: "YOLO-seg model; see 'animeseg models list'" },
    { key: 'refine', type: 'enum', choices: REFINER_NAMES, default: 'none', metavar: 'MODE', help: `default refinement for requests that do not say: ${REFINER_NAMES.join(' | ')}` },
    { key: 'max-upload-mb', type: 'number', default: 20, min: 0.001, max: 4096, metavar: 'N', help: 'largest upload in MiB -> 413 beyond' },
    { key: 'max-pixels', type: 'integer', default: 40_000_000, min: 1, max: 2 ** 31, metavar: 'N', help: 'largest image in pixels -> 413 beyond' },
    {
      key: 'timeout-ms',
      type: 'integer',
      default: 60_000,
      min: 100,
      max: 3_600_000,
      metavar: 'N',
      help: 'per-request limit incl. queue wait -> 503; a request whose headers/body have not\nall arrived by then -> 408 and the connection is closed',
    },
    {
      key: 'queue',
      type: 'string',
      metavar: 'N|redis://...',
      defaultHelp: '',
      help:
        `N: ${QUEUE_WAITING.help} (default ${QUEUE_WAITING.default}) -> 503 + Retry-After beyond;\n` +
        "redis://...: also offer POST /v1/jobs, GET /v1/jobs/ID[/result]: uploads become jobs\non this BullMQ queue for 'animeseg worker' (needs --queue-dir; see docs/QUEUE.md)",
    },
    { key: 'queue-dir', type: 'string', metavar: 'DIR', help: 'shared folder the workers see: uploads/ and results/ go there' },
    // The default is queueTarget's (src/queue/connection.ts, not loaded for --help: it pulls in ioredis).
    { key: 'queue-name', type: 'string', metavar: 'NAME', defaultHelp: 'animeseg', help: 'queue name' },
    // Retention of POST /v1/jobs (src/queue/retention.ts): on by default, so a public service cannot fill its disk.
    { key: 'keep-hours', type: 'number', default: 24, min: 0.001, max: 87_600, metavar: 'N', help: 'with --queue redis://: finished jobs, their uploads and outputs go after N hours' },
    { key: 'keep-jobs', type: 'integer', default: 1000, min: 1, max: 10_000_000, metavar: 'N', help: 'with --queue redis://: at most N finished jobs (and their files) are kept' },
    { key: 'upload-budget-mb', type: 'number', default: 2048, min: 1, max: 10_485_760, metavar: 'N', help: 'with --queue redis://: MiB the upload folder may hold -> 503 beyond' },
    { key: 'concurrency', type: 'integer', default: 1, min: 1, max: 64, metavar: 'N', help: 'requests segmented at once' },
    { key: 'max-connections', type: 'integer', default: 128, min: 1, max: 100_000, metavar: 'N', help: 'open connections at most; more are closed at once' },
    {
      key: 'allow-host',
      type: 'strings',
      metavar: 'NAME[,NAME]',
      help: "host names (Host header) to answer besides localhost, 127.0.0.1, ::1 and\nthe --host address (guards against DNS rebinding); '*' = any",
    },
    {
      key: 'cors',
      type: 'strings',
      metavar: 'ORIGIN[,ORIGIN]',
      help: "let pages from these origins call the API (CORS; default: none, and\ncross-origin POSTs are refused); '*' = any",
    },
    { ...DEVICE_OPTION, help: 'onnxruntime execution provider' },
    { key: 'threads', type: 'integer', min: 1, max: 256, metavar: 'N', defaultHelp: "onnxruntime's choice", help: 'onnxruntime intra-op threads' },
    { key: 'quiet', type: 'boolean', help: 'no per-request log lines' },
  ],
  foot: '\nSIGINT/SIGTERM stop accepting requests and finish those in flight; a second signal exits at once.',
});
export const usage = command.usage;

/** Each value of a repeatable flag may itself be a comma list: --cors a,b --cors c = a, b, c (blanks dropped). */
const splitList = (v: string[]) => v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');

export async function run(argv: string[]): Promise<number> {
  const { values } = command.parse(argv);
  // --queue takes a number (waiting requests) or a redis:// URL (submit jobs to a BullMQ queue).
  const jobQueue = values.queue !== undefined && /^rediss?:\/\//.test(values.queue) ? values.queue : undefined;
  if ((values['queue-dir'] !== undefined || values['queue-name'] !== undefined) && !jobQueue) throw usageError('--queue-dir and --queue-name need --queue redis://...');
  if (jobQueue && values['queue-dir'] === undefined) throw usageError('--queue redis://... needs --queue-dir DIR (the folder the workers share)');
  const { device, port, host, threads } = values;
  const limits = {
    maxUploadBytes: Math.round(values['max-upload-mb'] * 1024 * 1024),
    maxPixels: values['max-pixels'],
    timeoutMs: values['timeout-ms'],
    queue: jobQueue ? QUEUE_WAITING.default : readNumber(QUEUE_WAITING, values.queue),
    concurrency: values.concurrency,
    maxConnections: values['max-connections'],
  };
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
  const routes = jobQueue ? (await import('../../server/queue-routes.js')).queueRoutes({
        target: queueTarget(jobQueue, values['queue-name']),
        dir: values['queue-dir']!,
        model: values.model,
        retention: {
          maxAgeMs: Math.round(values['keep-hours'] * 3600_000),
          maxJobs: values['keep-jobs'],
          uploadBytes: Math.round(values['upload-budget-mb'] * 1024 * 1024),
          onSweep: (r) => {
            if (r.error) log(`retention sweep failed: ${r.error}`);
            else if (r.jobs || r.uploads) log(`retention: removed ${r.jobs} job(s), ${r.uploads} upload(s) (${r.uploadBytesFreed} bytes), ${r.outputs} output file(s)`);
          },
        },
      }) : undefined;
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
