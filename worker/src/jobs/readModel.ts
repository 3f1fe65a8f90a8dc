/**
 * The queue's read model (docs/design.md §6): what the health report (alerts/) and the Prometheus
 * queue gauges (metrics/collectors.ts) read from the job backend. One contract, two
 * implementations: SQL over queue.db (sqliteFacts.ts, sqliteGauges.ts) and Redis sorted sets and
 * counters kept by the BullMQ backend (bullmq/readModel.ts), so both report the same numbers for
 * the same jobs. The small pure helpers below are shared by both. Times are ms since epoch.
 */
import type { SourceName } from '../../../shared/columns.js';
import type { ErrorCategory } from '../../../shared/errors.js';
import type { JobStatus } from '../../../shared/schemas.js';

export interface SourceCounts {
  completed: number;
  failed: number;
  /** completed / (completed + failed), 0…1; null when none finished */
  successRate: number | null;
}

export interface FailureCategory {
  category: ErrorCategory;
  count: number;
  /** one job's error message of that category (the latest) */
  example: string;
}

export interface LanePause {
  lane: string;
  /** when this pause began, ms since epoch (an extension keeps it) */
  since: number;
  /** when its jobs may run again, ms since epoch */
  until: number;
  /** jobs waiting in the lane (queued or retrying) */
  jobs: number;
}

export interface TrendBucket {
  /** start of the hour bucket, ms since epoch */
  start: number;
  completed: number;
  failed: number;
}

/** What the health report reads from the queue. */
export interface QueueFacts {
  /** finished jobs in the window, per source */
  bySource: Record<SourceName, SourceCounts>;
  /** failed jobs in the window by error category, most first (then by name) */
  failures: FailureCategory[];
  /** the latest `window` finished jobs: how many, how many failed, and their failures by category */
  recent: { finished: number; failed: number; byCategory: FailureCategory[] };
  open: { queued: number; retrying: number; downloading: number; uploading: number; total: number };
  /** queued jobs waiting longer than the threshold, and the oldest wait (ms; null when none queued) */
  stuckQueued: number;
  oldestQueuedMs: number | null;
  /** leased jobs whose lease expired (their worker died or hangs) */
  expiredLeases: number;
  /** lanes paused now, by lane name */
  lanes: LanePause[];
  /** the last 24 hours, one bucket per hour, oldest first; the last is the current hour */
  trend: TrendBucket[];
  /** jobs with a data_corruption error or a refused status write (their writeBack) changed in the window */
  dataCorruption: number;
}

/** What facts() is asked. */
export interface FactsOptions {
  now: number;
  /** window start for success rates, failure categories and data_corruption */
  sinceMs: number;
  /** how many of the latest finished jobs the recent failure rate covers */
  window: number;
  /** a queued job older than this counts as stuck, ms */
  maxQueuedAgeMs: number;
}

/** What the queue gauges show. */
export interface QueueGaugeSnapshot {
  /** jobs per (status, source); absent pairs are 0 */
  jobs: { status: JobStatus; source: SourceName; n: number }[];
  /** jobs waiting to run (queued or retrying) per lane (jobs/lanes.ts); '' for jobs older than lanes */
  depthByLane: { lane: string; n: number }[];
  /** the earliest time a job now runnable (queued, or retrying and due) became runnable; null when none waits */
  oldestWaitingSince: number | null;
}

/** The read side of a job backend, for the report and the gauges (JobAdmin extends it). */
export interface QueueReadModel {
  /** The report's facts, as one consistent read where the store allows it. */
  facts(o: FactsOptions): Promise<QueueFacts>;
  /** The gauges' counts now. @param now ms since epoch */
  gauges(now: number): Promise<QueueGaugeSnapshot>;
}

export const HOUR_MS = 3600_000;

/** bySource with every source at 0. */
export function emptyBySource(): Record<SourceName, SourceCounts> {
  return { youtube: { completed: 0, failed: 0, successRate: null }, drive: { completed: 0, failed: 0, successRate: null } };
}

/** Fills in each source's successRate from its counts (in place). */
export function withRates(bySource: Record<SourceName, SourceCounts>): Record<SourceName, SourceCounts> {
  for (const c of Object.values(bySource)) c.successRate = c.completed + c.failed ? c.completed / (c.completed + c.failed) : null;
  return bySource;
}

/** The 24 empty hourly buckets ending with the hour of `now`. */
export function emptyTrend(now: number): TrendBucket[] {
  const start = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  return Array.from({ length: 24 }, (_, i) => ({ start: start + i * HOUR_MS, completed: 0, failed: 0 }));
}

/**
 * The recent failure summary of the latest finished jobs, newest first: each failed job counts in
 * its category (none recorded: `system`), the example is the newest message of the category.
 */
export function summarizeRecent(
  rows: readonly { status: string; category: ErrorCategory | null; message: string | null }[],
): QueueFacts['recent'] {
  const cats = new Map<ErrorCategory, FailureCategory>();
  let failed = 0;
  for (const r of rows) {
    if (r.status !== 'failed') continue;
    failed++;
    const cat = r.category ?? 'system';
    const f = cats.get(cat) ?? { category: cat, count: 0, example: r.message ?? '' };
    f.count++;
    cats.set(cat, f);
  }
  return { finished: rows.length, failed, byCategory: [...cats.values()].sort((a, b) => b.count - a.count) };
}
