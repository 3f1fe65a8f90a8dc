/**
 * `GET /v1/runs?limit=20` and `GET /v1/runs/:runId` (issue 11, run logs), signed like every /v1
 * route: the recent runs from `<ARCHIVER_DATA>/logs/runs/` (runs/read.ts), and one run with its
 * log lines. A bad `limit` or run id is a 400 naming it; an unknown (or rotated) run a 404.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { RUN_ID_PATTERN } from '../../runs/ids.js';
import { listRuns, readRun } from '../../runs/read.js';
import { notFound } from '../errors.js';
import type { AppEnv } from '../signed.js';
import { NoQuery, validParam, validQuery } from '../validate.js';

const RunsQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'a whole number 1…200')
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .optional(),
});

const RunIdParam = z.object({ runId: z.string().regex(RUN_ID_PATTERN, 'not a run id (r_… or a dispatch id)') });

/** The run routes over the run log folder `dir`, to mount after the /v1 signature middleware. */
export function runsRoutes(dir: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/v1/runs', validQuery(RunsQuerySchema), async (c) => c.json({ runs: await listRuns(dir, c.req.valid('query').limit ?? 20) }));
  app.get('/v1/runs/:runId', validParam(RunIdParam), validQuery(NoQuery), async (c) => {
    const { runId } = c.req.valid('param');
    const run = await readRun(dir, runId);
    if (!run) throw notFound(`no run log for ${runId}`);
    return c.json(run);
  });
  return app;
}
