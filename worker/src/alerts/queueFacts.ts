/**
 * What the health report reads from the SQLite queue (docs/design.md §4, §6), in a handful of
 * indexed queries: finished jobs by `finished_at` (indexes this module adds if missing: ensureReportIndexes), open
 * jobs by `status` (jobs_status), lane pauses from the rate-limited retrying jobs. Times are ms
 * since epoch.
 */
import type Database from 'better-sqlite3';
import type { SourceName } from '../../../shared/columns.js';
import type { ErrorCategory } from '../../../shared/errors.js';

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
  /** when the first of its rate-limited jobs was put back, ms since epoch */
  since: number;
  /** when its jobs may run again, ms since epoch */
  until: number;
  /** jobs waiting in the lane */
  jobs: number;
}

export interface TrendBucket {
  /** start of the hour bucket, ms since epoch */
  start: number;
  completed: number;
  failed: number;
}

export interface QueueFacts {
  bySource: Record<SourceName, SourceCounts>;
  failures: FailureCategory[];
  /** the latest `window` finished jobs: how many, how many failed, and their failures by category */
  recent: { finished: number; failed: number; byCategory: FailureCategory[] };
  open: { queued: number; retrying: number; downloading: number; uploading: number; total: number };
  /** queued jobs waiting longer than the threshold, and the oldest wait (ms; null when none queued) */
  stuckQueued: number;
  oldestQueuedMs: number | null;
  /** leased jobs whose lease expired (their worker died or hangs) */
  expiredLeases: number;
  lanes: LanePause[];
  trend: TrendBucket[];
  /** jobs with a data_corruption error or a refused status write (their writeBack) in the window */
  dataCorruption: number;
}

const HOUR = 3600_000;
const CATEGORY = "json_extract(error, '$.category')";

/** Ensures the index on finished_at the windowed queries use (idempotent, outside the queue's migrations). */
export function ensureReportIndexes(db: Database.Database): void {
  if (indexed.has(db)) return;
  // covering for the windowed counts and the trend; (status, ready_at) covering for queued ages;
  // the error category (json_extract is deterministic, so SQLite can index it) for data_corruption
  db.exec(`
    CREATE INDEX IF NOT EXISTS jobs_report_finished ON jobs (finished_at, status, source) WHERE finished_at IS NOT NULL;
    CREATE INDEX IF NOT EXISTS jobs_report_ready ON jobs (status, ready_at);
    CREATE INDEX IF NOT EXISTS jobs_report_category ON jobs (json_extract(error, '$.category')) WHERE error IS NOT NULL;
  `);
  indexed.add(db);
}
/** handles whose index was checked: once per handle, so a report takes no write lock after the first */
const indexed = new WeakSet<Database.Database>();

/**
 * Reads the report's facts in one read transaction (a consistent snapshot).
 * @param sinceMs window start for success rates, failure categories and data_corruption
 * @param window how many of the latest finished jobs the recent failure rate covers
 * @param maxQueuedAgeMs a queued job older than this counts as stuck
 */
export function queueFacts(db: Database.Database, o: { now: number; sinceMs: number; window: number; maxQueuedAgeMs: number }): QueueFacts {
  ensureReportIndexes(db);
  return db.transaction(() => {
    const bySource: Record<SourceName, SourceCounts> = {
      youtube: { completed: 0, failed: 0, successRate: null },
      drive: { completed: 0, failed: 0, successRate: null },
    };
    const rows = db
      .prepare(
        `SELECT source, status, COUNT(*) AS n FROM jobs INDEXED BY jobs_report_finished WHERE finished_at >= ? AND status IN ('completed','failed') GROUP BY source, status`,
      )
      .all(o.sinceMs) as { source: SourceName; status: 'completed' | 'failed'; n: number }[];
    for (const r of rows) if (bySource[r.source]) bySource[r.source][r.status] = r.n;
    for (const c of Object.values(bySource)) c.successRate = c.completed + c.failed ? c.completed / (c.completed + c.failed) : null;

    // SQLite's bare-column rule: with one max() aggregate, `example` comes from the latest failure
    const failures = (
      db
        .prepare(
          `SELECT ${CATEGORY} AS category, COUNT(*) AS count, json_extract(error, '$.message') AS example, MAX(finished_at) AS latest
           FROM jobs INDEXED BY jobs_report_finished WHERE finished_at >= ? AND status = 'failed' AND error IS NOT NULL GROUP BY category ORDER BY count DESC, category`,
        )
        .all(o.sinceMs) as (FailureCategory & { latest: number })[]
    ).map(({ latest: _latest, ...f }) => ({ ...f, example: f.example ?? '' }));

    const recentRows = db
      .prepare(
        `SELECT status, ${CATEGORY} AS category, json_extract(error, '$.message') AS message FROM jobs INDEXED BY jobs_report_finished
         WHERE finished_at IS NOT NULL AND status IN ('completed','failed') ORDER BY finished_at DESC LIMIT ?`,
      )
      .all(o.window) as { status: string; category: ErrorCategory | null; message: string | null }[];
    const cats = new Map<ErrorCategory, FailureCategory>();
    let failed = 0;
    for (const r of recentRows) {
      if (r.status !== 'failed') continue;
      failed++;
      const cat = r.category ?? 'system';
      const f = cats.get(cat) ?? { category: cat, count: 0, example: r.message ?? '' };
      f.count++;
      cats.set(cat, f);
    }

    const open = { queued: 0, retrying: 0, downloading: 0, uploading: 0, total: 0 };
    for (const r of db
      .prepare(`SELECT status, COUNT(*) AS n FROM jobs WHERE status IN ('queued','retrying','downloading','uploading') GROUP BY status`)
      .all() as { status: keyof typeof open; n: number }[]) {
      open[r.status] = r.n;
      open.total += r.n;
    }

    // a queued job's ready_at is when it became runnable (enqueue, or a manual retry)
    const q = db
      .prepare(`SELECT MIN(ready_at) AS oldest, SUM(CASE WHEN ready_at < ? THEN 1 ELSE 0 END) AS stuck FROM jobs WHERE status = 'queued'`)
      .get(o.now - o.maxQueuedAgeMs) as { oldest: number | null; stuck: number | null };
    const { expired } = db
      .prepare(`SELECT COUNT(*) AS expired FROM jobs WHERE status IN ('downloading','uploading') AND lease_expires_at < ?`)
      .get(o.now) as { expired: number };

    // design §4: a rate limit pauses the host's lane for every worker (jobs/sqlite.ts lane_pauses)
    const lanes = db
      .prepare(
        `SELECT p.lane AS lane, p.since_ms AS since, p.until_ms AS until,
           (SELECT COUNT(*) FROM jobs j WHERE j.lane = p.lane AND j.status IN ('queued','retrying')) AS jobs
         FROM lane_pauses p WHERE p.until_ms > ? ORDER BY p.lane`,
      )
      .all(o.now) as LanePause[];

    const trendStart = Math.floor(o.now / HOUR) * HOUR - 23 * HOUR;
    const trend: TrendBucket[] = Array.from({ length: 24 }, (_, i) => ({ start: trendStart + i * HOUR, completed: 0, failed: 0 }));
    for (const r of db
      .prepare(
        `SELECT (finished_at - ?) / ${HOUR} AS bucket, status, COUNT(*) AS n FROM jobs INDEXED BY jobs_report_finished
         WHERE finished_at >= ? AND status IN ('completed','failed') GROUP BY bucket, status`,
      )
      .all(trendStart, trendStart) as { bucket: number; status: 'completed' | 'failed'; n: number }[]) {
      const b = trend[Math.floor(r.bucket)];
      if (b) b[r.status] += r.n;
    }

    const { n: dataCorruption } = db
      .prepare(
        `SELECT COUNT(*) AS n FROM jobs WHERE updated_at >= ?
           AND (${CATEGORY} = 'data_corruption' OR json_extract(write_back, '$.error.category') = 'data_corruption')`,
      )
      .get(o.sinceMs) as { n: number };

    return {
      bySource,
      failures,
      recent: { finished: recentRows.length, failed, byCategory: [...cats.values()].sort((a, b) => b.count - a.count) },
      open,
      stuckQueued: q.stuck ?? 0,
      oldestQueuedMs: q.oldest === null ? null : Math.max(0, o.now - q.oldest),
      expiredLeases: expired,
      lanes,
      trend,
      dataCorruption,
    };
  })();
}
