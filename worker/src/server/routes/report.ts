/**
 * `GET /v1/report?since=24h` (issue 11): the health report (alerts/report.ts) as JSON, signed like
 * every /v1 route. `since` is a duration (`90m`, `24h`, `7d`; at most 30 days); anything else is
 * a 400 naming `since`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../../alerts/duration.js';
import type { HealthReport } from '../../alerts/report.js';
import type { AppEnv } from '../signed.js';
import { validQuery } from '../validate.js';

export const MAX_REPORT_WINDOW_MS = 30 * 86_400_000;

/** A report window: a duration up to 30 days. */
export const SinceSchema = z
  .string()
  .max(20, 'a duration like 24h (at most 30d)')
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || ms > MAX_REPORT_WINDOW_MS) {
      ctx.addIssue({ code: 'custom', message: 'a duration like 90m, 24h or 7d (at most 30d)' });
      return z.NEVER;
    }
    return { text: v.trim(), ms };
  });

const ReportQuerySchema = z.object({ since: SinceSchema.optional() });

/** Builds a report over the last `sinceMs` ms; `since` is the window as the client wrote it. */
export type ReportFn = (since: string, sinceMs: number) => Promise<HealthReport>;

/** The report route, to mount after the /v1 signature middleware. */
export function reportRoutes(report: ReportFn): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/v1/report', validQuery(ReportQuerySchema), async (c) => {
    const since = c.req.valid('query').since ?? { text: '24h', ms: 24 * 3600_000 };
    return c.json(await report(since.text, since.ms));
  });
  return app;
}
