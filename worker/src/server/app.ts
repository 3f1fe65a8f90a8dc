/**
 * The worker's HTTP API (design §3): public /healthz and /readyz; signed /v1/* for dispatch,
 * jobs, retry, cancel, stats and lookup. Built on Hono; served by @hono/node-server.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { SOURCES } from '../../../shared/columns.js';
import { JOB_STATUSES, DispatchRequestSchema, describeZodError, type DispatchRequest } from '../../../shared/schemas.js';
import { SIGNATURE_HEADER } from '../../../shared/signature.js';
import type { Logger } from '../log.js';
import type { NewJob, JobQueue } from '../queue/types.js';
import { VERSION } from '../version.js';
import { catalogueRoutes, type CatalogueRouteDeps } from './routes/catalogue.js';
import { verifySignature } from './signature.js';

/** What /readyz reports. Versions and booleans only: no paths, hosts or secrets. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface AppDeps {
  secret: string;
  queue: JobQueue;
  log: Logger;
  maxBodyBytes: number;
  /** ms since epoch the process started */
  startedAt: number;
  readiness: () => Promise<Readiness>;
  /** wakes the runner after an enqueue */
  onEnqueued?: () => void;
  /** kills a running job in this process */
  abortJob?: (jobId: string) => boolean;
  /** file → row (design §5); null when the key is unknown */
  lookup?: (key: string) => Promise<unknown | null>;
  /** the catalogue's query API (routes/catalogue.ts); absent: those routes answer 404 */
  catalogue?: CatalogueRouteDeps;
}

type Env = { Variables: { rawBody: string } };

const ListQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  rowId: z.string().min(1).max(200).optional(),
  source: z.enum(SOURCES).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(200).optional(),
});

function badRequest(c: Context, message: string, field?: string) {
  return c.json({ error: 'invalid_request', message, ...(field ? { field } : {}) }, 400);
}

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
      });
    }
  }
  return jobs;
}

/** Builds the app. Pure wiring: every dependency is passed in. */
export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();

  app.get('/healthz', (c) =>
    c.json({ status: 'ok', service: 'sheet-archiver', version: VERSION, uptimeS: Math.round((Date.now() - deps.startedAt) / 1000) }),
  );

  app.get('/readyz', async (c) => {
    const r = await deps.readiness();
    return c.json({ status: r.ready ? 'ready' : 'not_ready', version: VERSION, checks: r.checks }, r.ready ? 200 : 503);
  });

  // Everything under /v1 is signed. The body is read once, raw, because the signature covers its exact bytes.
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) => c.json({ error: 'payload_too_large', message: `body exceeds ${deps.maxBodyBytes} bytes; send fewer rows per dispatch` }, 413),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    const raw = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text();
    const url = new URL(c.req.url);
    const v = verifySignature(deps.secret, c.req.header(SIGNATURE_HEADER), c.req.method, url.pathname + url.search, raw);
    if (!v.ok) {
      deps.log.warn({ path: url.pathname, reason: v.reason }, 'rejected unsigned request');
      return c.json({ error: 'unauthorized', message: v.reason }, 401);
    }
    c.set('rawBody', raw);
    await next();
  });

  app.post('/v1/dispatch', (c) => {
    let body: unknown;
    try {
      body = JSON.parse(c.get('rawBody'));
    } catch {
      return badRequest(c, 'body: not valid JSON', 'body');
    }
    const parsed = DispatchRequestSchema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return badRequest(c, describeZodError(parsed.error), first?.path.join('.'));
    }
    const results = deps.queue.enqueue(jobsOfDispatch(parsed.data));
    if (results.some((r) => r.created)) deps.onEnqueued?.();
    deps.log.info(
      { dispatchId: parsed.data.dispatchId, rows: parsed.data.rows.length, created: results.filter((r) => r.created).length, existing: results.filter((r) => !r.created).length },
      'dispatch accepted',
    );
    return c.json({ jobs: results.map(({ job }) => ({ jobId: job.jobId, rowId: job.rowId, source: job.source, status: job.status })) }, 202);
  });

  app.get('/v1/jobs', (c) => {
    const q = ListQuerySchema.safeParse(c.req.query());
    if (!q.success) return badRequest(c, describeZodError(q.error), q.error.issues[0]?.path.join('.'));
    return c.json(deps.queue.list(q.data));
  });

  app.get('/v1/jobs/stats', (c) => c.json(deps.queue.stats()));

  app.get('/v1/jobs/:jobId', (c) => {
    const job = deps.queue.get(c.req.param('jobId'));
    return job ? c.json(job) : c.json({ error: 'not_found', message: `no job ${c.req.param('jobId')}` }, 404);
  });

  app.post('/v1/jobs/:jobId/retry', (c) => {
    try {
      const job = deps.queue.retry(c.req.param('jobId'));
      deps.onEnqueued?.();
      return c.json(job, 202);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const message = (err as Error).message;
      if (code === 'not_found') return c.json({ error: 'not_found', message }, 404);
      if (code === 'conflict' || code === 'attempts_exhausted') return c.json({ error: code, message }, 409);
      throw err;
    }
  });

  app.post('/v1/jobs/:jobId/cancel', (c) => {
    const jobId = c.req.param('jobId');
    const job = deps.queue.cancel(jobId);
    if (!job) return c.json({ error: 'not_found', message: `no job ${jobId}` }, 404);
    const killed = deps.abortJob?.(jobId) ?? false;
    return c.json({ ...job, killed }, 200);
  });

  app.get('/v1/lookup', async (c) => {
    const key = c.req.query('key');
    if (!key) return badRequest(c, 'key: required (an object key or a local path)', 'key');
    const found = deps.lookup ? await deps.lookup(key) : null;
    return found ? c.json(found) : c.json({ error: 'not_found', message: `no archived file for ${key}` }, 404);
  });

  if (deps.catalogue) app.route('/', catalogueRoutes(deps.catalogue));

  app.notFound((c) => c.json({ error: 'not_found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((err, c) => {
    deps.log.error({ err: err.message, path: new URL(c.req.url).pathname }, 'request failed');
    return c.json({ error: 'internal', message: 'the worker could not handle this request; see its log' }, 500);
  });
  return app;
}
