/**
 * The health report (issue 11): status, success rates, failure categories, disk, pending and
 * stuck jobs, tool ages, lane pauses, a 24-hour trend, and the alerts that hold. Shared by
 * `sheet-archiver report` / `alerts`, `GET /v1/report` and the alert monitor in `serve`.
 * Readings that need I/O (disk, yt-dlp, cookies) are injectable so tests can pin them.
 */
import { mkdir, statfs } from 'node:fs/promises';
import type { SourceName } from '../../../shared/columns.js';
import { cookiesAgeMs, ytdlpAge } from '../health/tools.js';
import { evaluateAlerts, type Alert, type Readings } from './alerts.js';
import type { FailureCategory, LanePause, QueueReadModel, SourceCounts, TrendBucket } from '../jobs/readModel.js';
import type { AlertThresholds } from './thresholds.js';

export type HealthStatus = 'healthy' | 'warning' | 'critical';

/** The report as JSON (`--json`, GET /v1/report). Times ISO 8601 UTC; ages in ms unless named. */
export interface HealthReport {
  status: HealthStatus;
  generatedAt: string;
  /** the window of the success rates and failure categories */
  window: { since: string; sinceMs: number; from: string };
  successRate: { overall: number | null; completed: number; failed: number; bySource: Record<SourceName, SourceCounts> };
  failures: FailureCategory[];
  /** the latest finished jobs the failure-rate alert looks at */
  recent: { finished: number; failed: number; failureRate: number | null };
  disk: { freeBytes: number | null; minFreeBytes: number };
  jobs: {
    pending: number;
    queued: number;
    retrying: number;
    running: number;
    /** queued longer than the queued-age threshold */
    stuckQueued: number;
    oldestQueuedMs: number | null;
    /** downloading/uploading with an expired lease */
    expiredLeases: number;
  };
  tools: { ytdlpVersion: string | null; ytdlpAgeDays: number | null; cookiesSet: boolean; cookiesAgeDays: number | null };
  lanes: (Omit<LanePause, 'since' | 'until'> & { since: string; until: string; pausedMs: number })[];
  trend: (Omit<TrendBucket, 'start'> & { start: string })[];
  alerts: Alert[];
}

export interface ReportDeps {
  /** the job backend the facts come from (JobBackend: SQLite or BullMQ, docs/design.md §6) */
  queue: QueueReadModel;
  /** ARCHIVER_DATA: where free space is measured */
  dataDir: string;
  thresholds: AlertThresholds;
  /** YTDLP_COOKIES, only to read its age */
  cookiesPath?: string | undefined;
  /** environment for locating yt-dlp (YTDLP_PATH, PATH) */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** free bytes under dir (default statfs); tests inject a reading */
  freeBytes?: (dir: string) => Promise<number>;
  /** yt-dlp version and age (default health/tools.ts ytdlpAge) */
  ytdlp?: () => Promise<{ version: string | null; ageDays: number | null }>;
}

/** Free bytes available to this user under `dir` (statfs bavail × bsize). */
export async function statfsFreeBytes(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** The status the alerts give: critical when a critical alert holds, warning for any other, else healthy. */
export function statusOf(alerts: readonly Alert[]): HealthStatus {
  if (alerts.some((a) => a.severity === 'critical')) return 'critical';
  return alerts.length ? 'warning' : 'healthy';
}

/**
 * Builds the report.
 * @param since the window as typed (`24h`), echoed back; @param sinceMs its length in ms
 */
export async function buildReport(d: ReportDeps, since = '24h', sinceMs = 24 * 3600_000): Promise<HealthReport> {
  const now = (d.now ?? Date.now)();
  const [free, yt, cookies] = await Promise.all([
    (d.freeBytes ?? statfsFreeBytes)(d.dataDir).catch(() => null),
    (d.ytdlp ?? (() => ytdlpAge(d.env, new Date(now))))().catch(() => ({ version: null, ageDays: null })),
    cookiesAgeMs({ YTDLP_COOKIES: d.cookiesPath }, now),
  ]);
  const t = d.thresholds;
  const f = await d.queue.facts({ now, sinceMs: now - sinceMs, window: t.failureWindow, maxQueuedAgeMs: t.maxQueuedAgeMs });
  const readings: Readings = { diskFreeBytes: free, ytdlpAgeDays: yt.ageDays, cookiesAgeMs: cookies };
  const alerts = evaluateAlerts(f, readings, t, now);
  const completed = f.bySource.youtube.completed + f.bySource.drive.completed;
  const failed = f.bySource.youtube.failed + f.bySource.drive.failed;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    status: statusOf(alerts),
    generatedAt: iso(now),
    window: { since, sinceMs, from: iso(now - sinceMs) },
    successRate: { overall: completed + failed ? completed / (completed + failed) : null, completed, failed, bySource: f.bySource },
    failures: f.failures,
    recent: {
      finished: f.recent.finished,
      failed: f.recent.failed,
      failureRate: f.recent.finished ? f.recent.failed / f.recent.finished : null,
    },
    disk: { freeBytes: free, minFreeBytes: t.minDiskBytes },
    jobs: {
      pending: f.open.total,
      queued: f.open.queued,
      retrying: f.open.retrying,
      running: f.open.downloading + f.open.uploading,
      stuckQueued: f.stuckQueued,
      oldestQueuedMs: f.oldestQueuedMs,
      expiredLeases: f.expiredLeases,
    },
    tools: {
      ytdlpVersion: yt.version,
      ytdlpAgeDays: yt.ageDays,
      cookiesSet: Boolean(d.cookiesPath),
      cookiesAgeDays: cookies === null ? null : Math.floor(cookies / 86_400_000),
    },
    lanes: f.lanes.map((l) => ({ ...l, since: iso(l.since), until: iso(l.until), pausedMs: now - l.since })),
    trend: f.trend.map((b) => ({ ...b, start: iso(b.start) })),
    alerts,
  };
}
