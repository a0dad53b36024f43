/**
 * Job-queue routes of the HTTP service (`serve --queue redis://...`): an upload is stored on the shared
 * folder (--queue-dir) and becomes a BullMQ job that any `animeseg worker` runs, instead of being segmented
 * in this process. POST /v1/jobs -> 202 {id}; GET /v1/jobs/:id -> state; GET /v1/jobs/:id/result -> the file.
 * Same upload and option rules as POST /v1/segment (request-options.ts), with the outputs of `segment`.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AnimesegError } from '../errors.js';
import { outputPaths, runSettings } from '../pipeline/run/batch.js';
import { settingsHash } from '../pipeline/run/run-record.js';
import { CONTENT_TYPES, JOB_RESULT_KINDS, OUTPUT_KINDS, outputExtension } from '../pipeline/run/output-kinds.js';
import { resolveSegmentSettings, type SegmentOptions } from '../pipeline/settings.js';
import { OUTPUT_DEFAULTS } from '../pipeline/options.js';
import { openQueue, openRedis, JOB_NAME, JOB_OPTIONS } from '../queue/producer.js';
import { jobIdFor, type ImageJob, type JobSettings } from '../queue/settings.js';

import { assertReachable, type QueueTarget } from '../queue/connection.js';
import { FolderStorage } from '../queue/storage.js';
import { DEFAULT_RETENTION, UploadRetention, type RetentionOptions, type SweepResult } from '../queue/retention.js';
import { hideServerPaths } from './public-text.js';
import { HttpError } from './http-errors.js';
import { parseSegmentOptions } from './request-options.js';
import type { ExtraRouteContext } from './server.js';

export interface QueueRoutesOptions {
  target: QueueTarget;
  /** The shared folder workers also see: uploads go to uploads/, outputs to results/. */
  dir: string;
  /** Model name or path the workers load (serve's --model). */
  model?: string;
  /** Retention of finished jobs, their uploads and outputs (DEFAULT_RETENTION for what is not given). */
  retention?: Partial<RetentionOptions> & {
    /** How often the retention sweep runs (ms; default a tenth of the age limit, at least 1 s, at most 10 min). */
    sweepEveryMs?: number;
    /** Called after each periodic sweep (logging, tests). */
    onSweep?: (r: SweepResult) => void;
  };
}


export function queueRoutes(o: QueueRoutesOptions) {
  return async (app: FastifyInstance, ctx: ExtraRouteContext): Promise<void> => {
    await assertReachable(o.target);
    const storage = new FolderStorage(o.dir);
    const queue = openQueue(o.target);
    const redis = openRedis(o.target);
    const { sweepEveryMs, onSweep, ...limits } = o.retention ?? {};
    const retention = new UploadRetention(queue, storage, { ...DEFAULT_RETENTION, ...limits });
    const every = sweepEveryMs ?? Math.min(600_000, Math.max(1000, Math.round(retention.options.maxAgeMs / 10)));
    let stopSweeping = false;
    // The next sweep is scheduled when one ends, so sweeps never pile up behind a slow Redis or disk.
    let timer: NodeJS.Timeout | undefined;
    const sweepLater = () => {
      if (stopSweeping) return;
      timer = setTimeout(() => {
        retention.sweep().then((r) => onSweep?.(r), (e: unknown) => onSweep?.({ jobs: 0, uploads: 0, uploadBytesFreed: 0, outputs: 0, uploadBytes: -1, error: e instanceof Error ? e.message : String(e) })).finally(sweepLater);
      }, every);
      timer.unref();
    };
    sweepLater();
    app.addHook('onClose', async () => {
      stopSweeping = true;
      clearTimeout(timer);
      // A sweep under way finishes first (it holds the lock the closing queue would pull away).
      await retention.exclusive(async () => undefined);
      await queue.close();
      redis.disconnect();
    });

    // Admitted before the body is read, like /v1/segment: a burst of uploads beyond the queue is a 503.
    app.post('/v1/jobs', { onRequest: ctx.admitUpload }, async (req, reply) => {
      const { bytes, raw } = await ctx.readUpload(req);
      const request = parseSegmentOptions(raw, ctx.engine.refiners().map((r) => r.name));
      if (request.select !== undefined) throw new AnimesegError('BAD_OPTION', "option 'select': not available for queued jobs", { hint: 'a job writes the whole cutout; pick characters from its JSON' });
      if (request.json) throw new AnimesegError('BAD_OPTION', "option 'format': jobs write png or webp cutouts (the JSON is always written)", { hint: 'GET /v1/jobs/ID/result?file=json' });
      // Refuse a bad or huge image now (header only), not in a worker later.
      await ctx.engine.probe(bytes, ctx.limits.maxPixels);
      // As given (the worker's segmenter resolves them against its model, as `segment` does), with this server's refiner.
      const options: SegmentOptions = { ...request.options, refine: request.options.refine ?? (ctx.engine.defaultRefine as SegmentOptions['refine']), refineOptions: {} };
      const settings: JobSettings = {
        // A model path must read the same on every worker machine; names are resolved by each worker.
        ...(o.model !== undefined && { model: /\.onnx$/i.test(o.model) ? resolve(o.model) : o.model }),
        maxPixels: ctx.limits.maxPixels,
        options,
      };
      // Content-addressed: the same image with the same options is one job, stored once.
      const name = createHash('sha256').update(bytes).digest('hex').slice(0, 24);
      // The run record's hash with this server's model, from the one resolver (a bad value or class name is a
      // 400 here). The server knows no model kinds, so the box prior of detection-only models is left out. It
      // names the job and its result folder; the worker writes the hash its own segmenter gives into the record.
      // A job's run always filters instances (filter {}: the table's defaults), as the worker's batch does.
      const run = resolveSegmentSettings({ ...options, filter: options.filter ?? {} }, ctx.engine.info);
      const hash = settingsHash(await runSettings(run, { ...ctx.engine.info, models: [] }));
      const source = storage.localPath(`uploads/${name}`);
      const outDir = storage.localPath(`results/${hash}`);
      const data: ImageJob = { source, name, outDir, settings, settingsHash: hash };
      const id = jobIdFor(source, outDir, name, hash);
      // Under the retention lock: no sweep removes the upload between its write and its job's add.
      const added = await retention.exclusive(async () => {
        // Already answered at its --timeout-ms deadline (server.ts): the client was told it failed.
        if (reply.sent) return false;
        if (!(await storage.exists(source))) {
          if (!(await retention.makeRoom(bytes.length))) {
            throw new HttpError(503, 'BUSY', `the upload folder is full: the uploads of waiting jobs fill its budget of ${retention.options.uploadBytes} bytes`, 'retry once queued jobs are done (more workers help), or ask the operator to raise --upload-budget-mb', { 'retry-after': '30' });
          }
          await storage.writeAtomic(source, bytes);
        }
        await queue.add(JOB_NAME, data, { ...JOB_OPTIONS, jobId: id });
        return true;
      });
      if (!added) return reply;
      return reply.code(202).header('location', `/v1/jobs/${id}`).send({ id, status_url: `/v1/jobs/${id}`, result_url: `/v1/jobs/${id}/result` });
    });

    const jobOr404 = async (id: string) => {
      const job = /^img-[0-9a-f]{32}$/.test(id) ? await queue.getJob(id) : undefined;
      if (!job) throw new HttpError(404, 'NOT_FOUND', `no job '${id}'`, 'POST /v1/jobs returns the id');
      return job;
    };
    /** The job and its state, read so that a finished state comes with the finished job's fields. */
    const jobWithState = async (id: string) => {
      let job = await jobOr404(id);
      const state = await job.getState();
      // It may have finished between the two reads: read it again to get its reason or return value.
      if ((state === 'completed' || state === 'failed') && !job.finishedOn) job = await jobOr404(id);
      return { job, state };
    };

    app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (req) => {
      const { job, state } = await jobWithState(req.params.id);
      return {
        id: job.id,
        state,
        attempts: job.attemptsMade,
        // The reason starts with the upload's path on the shared folder: shortened for clients.
        ...(state === 'failed' && { reason: hideServerPaths(job.failedReason) }),
        ...(state === 'completed' && { instances: (job.returnvalue as { instances?: number } | null)?.instances, result_url: `/v1/jobs/${job.id}/result` }),
      };
    });

    app.get<{ Params: { id: string }; Querystring: { file?: string } }>('/v1/jobs/:id/result', async (req, reply) => {
      const { job, state } = await jobWithState(req.params.id);
      if (state === 'failed') throw new HttpError(422, 'BAD_INPUT', `job failed: ${job.failedReason}`);
      if (state !== 'completed') {
        // Not an error of the request: the project's error shape with its own code, and when to come back.
        return reply.code(409).header('retry-after', '1').send({ error: { code: 'NOT_READY', message: `job is ${state}`, hint: `poll GET /v1/jobs/${job.id} until its state is completed` } });
      }
      const data = job.data as ImageJob;
      const outputs = data.settings.options.outputs ?? {};
      const format = outputs.format ?? OUTPUT_DEFAULTS.format;
      const onlyMask = outputs.onlyMask ?? OUTPUT_DEFAULTS.onlyMask;
      const which = req.query.file ?? (onlyMask ? 'mask' : 'cutout');
      // One of the kinds this route serves that the job's settings planned (the registry says which).
      const kind = JOB_RESULT_KINDS.find((k) => k === which && OUTPUT_KINDS[k].planned({ ...outputs, format, onlyMask }));
      if (!kind) throw new HttpError(400, 'BAD_OPTION', `file must be ${JOB_RESULT_KINDS.slice(0, -1).join(', ')} or ${JOB_RESULT_KINDS.at(-1)}, got '${which}'`);
      const file = outputPaths(data.outDir, data.name, format)[kind];
      const type = CONTENT_TYPES[outputExtension(kind, { format })];
      const body = await storage.read(file).catch((e: unknown) => {
        // Removed by retention (or by hand) between the state read and this one.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new HttpError(404, 'NOT_FOUND', `the result of job '${job.id}' is no longer kept`, 'POST the image again');
        throw e;
      });
      if (which !== 'json') return reply.type(type).send(Buffer.from(body));
      // The JSON names the image by its path on the shared folder; a client knows it by the job's name.
      const json = JSON.parse(Buffer.from(body).toString('utf8')) as { image?: unknown };
      return reply.type(type).send({ ...json, image: data.name });
    });
  };
}
