/**
 * Health report and alerts (issue 11), wired from the worker's configuration: one function the
 * CLI, GET /v1/report and the serve-side monitor share.
 */
import type { Config } from '../config/env.js';
import { ytdlpAge } from '../health/tools.js';
import type { QueueReadModel } from '../jobs/readModel.js';
import { buildReport, type HealthReport, type ReportDeps } from './report.js';
import { thresholdsFromEnv, type AlertThresholds } from './thresholds.js';

export { buildReport, statusOf, statfsFreeBytes, type HealthReport, type HealthStatus, type ReportDeps } from './report.js';
export { evaluateAlerts, ALERT_KINDS, type Alert, type AlertKind, type Readings } from './alerts.js';
export { thresholdsFromEnv, DEFAULT_THRESHOLDS, ThresholdError, type AlertThresholds } from './thresholds.js';
export { AlertMonitor, type AlertMonitorOptions } from './monitor.js';
export { parseDuration, formatDuration } from './duration.js';

/** yt-dlp's version changes only on update-tools: asking it once per 10 minutes is plenty. */
const YTDLP_TTL_MS = 10 * 60_000;

/**
 * A report builder for this worker: its job backend (SQLite, or BullMQ with REDIS_URL), ARCHIVER_DATA,
 * YTDLP_COOKIES and the ARCHIVER_ALERT_* thresholds.
 * @throws ThresholdError when a threshold variable does not parse.
 */
export function reporterFor(
  queue: QueueReadModel,
  config: Config,
  o: { env?: NodeJS.ProcessEnv; thresholds?: AlertThresholds } & Pick<ReportDeps, 'freeBytes' | 'now' | 'ytdlp'> = {},
): (since?: string, sinceMs?: number) => Promise<HealthReport> {
  const env = o.env ?? process.env;
  const thresholds = o.thresholds ?? thresholdsFromEnv(env);
  let cached: { at: number; value: Promise<{ version: string | null; ageDays: number | null }> } | null = null;
  const ytdlp =
    o.ytdlp ??
    (() => {
      if (!cached || Date.now() - cached.at > YTDLP_TTL_MS) cached = { at: Date.now(), value: ytdlpAge(env) };
      return cached.value;
    });
  const deps: ReportDeps = {
    queue,
    dataDir: config.dataDir,
    thresholds,
    cookiesPath: config.env.YTDLP_COOKIES,
    env,
    ytdlp,
    ...(o.freeBytes ? { freeBytes: o.freeBytes } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
  return (since, sinceMs) => buildReport(deps, since, sinceMs);
}
