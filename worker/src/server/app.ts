/**
 * The worker's HTTP API (design §3): public /healthz and /readyz; signed /v1/* for dispatch,
 * jobs, retry, cancel, stats and lookup. Built on Hono; served by @hono/node-server.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { SOURCES } from '../../../shared/columns.js';
import {
  JOB_KINDS,
  JOB_STATUSES,
  OPEN_JOB_STATUSES,
  DispatchRequestSchema,
  type DispatchRequest,
  type JobRecord,
} from '../../../shared/schemas.js';
import type { EventBus } from '../events/bus.js';
import type { JobEvents } from '../events/jobEvents.js';
import type { Logger } from '../log.js';
import type { NewJob, JobBackend } from '../jobs/types.js';
import { VERSION } from '../version.js';
import { HttpError, httpErrorHandler, notFound } from './errors.js';
import { mountEvents } from './events.js';
import { mountDashboard, type DashboardOptions } from '../dashboard/routes.js';
import { signatureMiddleware, type AppEnv } from './signed.js';
import { catalogueRoutes, type CatalogueRouteDeps } from './routes/catalogue.js';
import { contentRoutes } from './routes/content.js';
import { reprocessRoutes } from './routes/reprocess.js';
import { eraseRoutes, type EraseRouteDeps } from './routes/erase.js';
import { reportRoutes, type ReportFn } from './routes/report.js';
import { runsRoutes } from './routes/runs.js';
import { JobIdParam, NoQuery, validParam, validQuery, validSignedJson } from './validate.js';

export type { AppEnv } from './signed.js';

/** What /readyz reports. Versions and booleans only: no paths, hosts or secrets. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string; warning?: string }>;
}

export interface AppDeps {
  secret: string;
  queue: JobBackend;
  log: Logger;
  maxBodyBytes: number;
  /** ms since epoch the process started */
  startedAt: number;
  readiness: () => Promise<Readiness>;
  /**
   * An accepted dispatch and what its enqueue answered (serve: the dispatch's run log,
   * runs/runLogs.ts); called before the 202 is sent.
   */
  onDispatched?: (req: DispatchRequest, results: readonly { job: JobRecord; created: boolean }[]) => void;
  /** wakes the runner after an enqueue */
  onEnqueued?: () => void;
  /** kills a running job in this process */
  abortJob?: (jobId: string) => boolean;
  /** file → row (design §5); null when the key is unknown */
  lookup?: (key: string) => Promise<unknown | null>;
  /** the catalogue's query API (routes/catalogue.ts); absent: those routes answer 404 */
  catalogue?: CatalogueRouteDeps;
  /** DELETE of people and assets (routes/erase.ts); absent: those routes answer 404 */
  erase?: EraseRouteDeps;
  /** job events (docs/design.md §9): recorded on dispatch, retry and cancel; streamed at /v1/events */
  events?: JobEvents<EventBus | null>;
  /** SSE heartbeat interval, ms (default 15 s) */
  sseHeartbeatMs?: number;
  /** middleware run before every route (HTTP request metrics, metrics/registry.ts) */
  before?: MiddlewareHandler[];
  /** adds routes outside /v1 before the not-found handler (GET /metrics with its token, metrics/expose.ts) */
  routes?: (app: Hono<AppEnv>) => void;
  /** the run logs folder (runs/ids.ts runLogDir) behind GET /v1/runs and /v1/runs/:runId; absent: 404 */
  runLogDir?: string;
  /** the health report (alerts/report.ts) behind GET /v1/report; absent: that route answers 404 */
  report?: ReportFn;
  /** the operator dashboard at /ui (dashboard/routes.ts, docs/dashboard.md); absent: no /ui */
  dashboard?: Omit<DashboardOptions, 'secret' | 'log'>;
}

/** Query of `GET /v1/jobs`. Numbers are plain decimal digits (no `1e2`, `0x10`, spaces). */
const ListQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  rowId: z.string().min(1).max(200).optional(),
  source: z.enum(SOURCES).optional(),
  kind: z.enum(JOB_KINDS).optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'a whole number 1…500')
    .transform(Number)
    .pipe(z.number().int().min(1).max(500))
    .optional(),
  // opaque to clients; the queue checks it decodes to one of its own (QueueError field `cursor`)
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'not a cursor this worker returned (use nextCursor as given)')
    .optional(),
});

const LookupQuerySchema = z.object({ key: z.string({ error: 'required (an object key or a local path)' }).min(1).max(1024) });

const OPEN = new Set<string>(OPEN_JOB_STATUSES);

/** Turns a dispatch into one new job per (row, source) that has links (design §4). */
export function jobsOfDispatch(req: DispatchRequest): NewJob[] {
  const jobs: NewJob[] = [];
  for (const row of req.rows) {
    for (const source of req.options.sources) {
      const links = row[source];
      if (links.length === 0) continue;
      jobs.push({
        dispatchId: req.dispatchId,
        spreadsheetId: req.spreadsheetId,
        sheetId: req.sheetId,
        sheetName: req.sheetName,
        rowId: row.rowId.trim(),
        rowNumber: row.rowNumber,
        name: row.name,
        email: row.email,
        type: row.type,
        source,
        links: [...new Set(links.map((l) => l.trim()))],
        attempt: row.attempt,
        options: req.options,
        // the row's archive_options win over the dispatch options (design §1)
        ...(row.archiveOptions && Object.keys(row.archiveOptions).length ? { archiveOptions: row.archiveOptions } : {}),
      });
    }
  }
  return jobs;
}

/** Builds the app. Pure wiring: every dependency is passed in. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const m of deps.before ?? []) app.use('*', m);

  // Probes stay lenient about their query (a load balancer may add one); they read none.
  app.get('/healthz', (c) =>
    c.json({ status: 'ok', service: 'sheet-archiver', version: VERSION, uptimeS: Math.round((Date.now() - deps.startedAt) / 1000) }),
  );

  app.get('/readyz', async (c) => {
    const r = await deps.readiness();
    return c.json({ status: r.ready ? 'ready' : 'not_ready', version: VERSION, checks: r.checks }, r.ready ? 200 : 503);
  });

  // Everything under /v1 is signed (signed.ts); errors of every route are answered by errors.ts.
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new HttpError(413, 'payload_too_large', `body exceeds ${deps.maxBodyBytes} bytes; send fewer rows per dispatch`);
      },
    }),
  );
  app.use('/v1/*', signatureMiddleware(deps.secret, deps.log));

  app.post('/v1/dispatch', validQuery(NoQuery), validSignedJson(DispatchRequestSchema), async (c) => {
    const req = c.req.valid('json');
    const results = await deps.queue.enqueue(jobsOfDispatch(req));
    // in the log before the 202 is sent (docs/design.md §9)
    for (const r of results) if (r.created) deps.events?.queued(r.job);
    deps.onDispatched?.(req, results);
    if (results.some((r) => r.created)) deps.onEnqueued?.();
    deps.log.info(
      {
        dispatchId: req.dispatchId,
        rows: req.rows.length,
        created: results.filter((r) => r.created).length,
        existing: results.filter((r) => !r.created).length,
      },
      'dispatch accepted',
    );
    return c.json(
      { jobs: results.map(({ job }) => ({ jobId: job.jobId, rowId: job.rowId, source: job.source, status: job.status })) },
      202,
    );
  });

  app.get('/v1/jobs', validQuery(ListQuerySchema), async (c) => c.json(await deps.queue.list(c.req.valid('query'))));

  // the counts, and the lanes paused now with when each resumes (design §4)
  app.get('/v1/jobs/stats', validQuery(NoQuery), async (c) => {
    const [stats, pauses] = await Promise.all([deps.queue.stats(), deps.queue.lanePauses()]);
    return c.json({
      ...stats,
      pausedLanes: pauses.map((p) => ({ lane: p.lane, until: new Date(p.untilMs).toISOString(), reason: p.reason })),
    });
  });

  app.get('/v1/jobs/:jobId', validParam(JobIdParam), validQuery(NoQuery), async (c) => {
    const { jobId } = c.req.valid('param');
    const job = await deps.queue.get(jobId);
    if (!job) throw notFound(`no job ${jobId}`);
    return c.json(job);
  });

  app.post('/v1/jobs/:jobId/retry', validParam(JobIdParam), validQuery(NoQuery), async (c) => {
    const job = await deps.queue.retry(c.req.valid('param').jobId);
    deps.events?.queued(job);
    deps.onEnqueued?.();
    return c.json(job, 202);
  });

  app.post('/v1/jobs/:jobId/cancel', validParam(JobIdParam), validQuery(NoQuery), async (c) => {
    const { jobId } = c.req.valid('param');
    const wasOpen = OPEN.has((await deps.queue.get(jobId))?.status ?? '');
    const job = await deps.queue.cancel(jobId);
    if (!job) throw notFound(`no job ${jobId}`);
    if (wasOpen && job.status === 'cancelled') deps.events?.cancelled(job);
    const killed = deps.abortJob?.(jobId) ?? false;
    return c.json({ ...job, killed }, 200);
  });

  app.get('/v1/lookup', validQuery(LookupQuerySchema), async (c) => {
    const { key } = c.req.valid('query');
    const found = deps.lookup ? await deps.lookup(key) : null;
    if (!found) throw notFound(`no archived file for ${key}`);
    return c.json(found);
  });

  if (deps.catalogue) app.route('/', catalogueRoutes(deps.catalogue));
  if (deps.catalogue) app.route('/', contentRoutes({ ...deps.catalogue, secret: deps.secret }));
  if (deps.catalogue) {
    const { catalogue } = deps.catalogue;
    app.route(
      '/',
      reprocessRoutes({
        catalogue,
        queue: deps.queue,
        log: deps.log,
        ...(deps.events ? { events: deps.events } : {}),
        ...(deps.onEnqueued ? { onEnqueued: deps.onEnqueued } : {}),
      }),
    );
  }
  if (deps.erase) app.route('/', eraseRoutes(deps.erase));
  if (deps.report) app.route('/', reportRoutes(deps.report));
  if (deps.runLogDir) app.route('/', runsRoutes(deps.runLogDir));
  if (deps.events?.bus)
    mountEvents(app, { bus: deps.events.bus, log: deps.log, ...(deps.sseHeartbeatMs ? { heartbeatMs: deps.sseHeartbeatMs } : {}) });

  if (deps.dashboard) mountDashboard(app, { secret: deps.secret, log: deps.log, ...deps.dashboard });
  deps.routes?.(app);
  app.notFound((c) => c.json({ error: 'not_found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError(httpErrorHandler(deps.log));
  return app;
}
