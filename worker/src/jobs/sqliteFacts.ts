/**
 * The report's facts (jobs/readModel.ts) from the SQLite queue (docs/design.md §4, §6), in a
 * handful of indexed queries: finished jobs by `finished_at` (indexes this module adds if
 * missing: ensureReportIndexes), open jobs by `status` (jobs_status), lane pauses from
 * `lane_pauses`. Times are ms since epoch.
 */
import type Database from 'better-sqlite3';
import type { SourceName } from '../../../shared/columns.js';
import type { ErrorCategory } from '../../../shared/errors.js';
import {
  emptyBySource,
  emptyTrend,
  HOUR_MS as HOUR,
  summarizeRecent,
  withRates,
  type FactsOptions,
  type FailureCategory,
  type LanePause,
  type QueueFacts,
} from './readModel.js';

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

/** Reads the report's facts (see FactsOptions) in one read transaction (a consistent snapshot). */
export function sqliteQueueFacts(db: Database.Database, o: FactsOptions): QueueFacts {
  ensureReportIndexes(db);
  return db.transaction(() => {
    const bySource = emptyBySource();
    const rows = db
      .prepare(
        `SELECT source, status, COUNT(*) AS n FROM jobs INDEXED BY jobs_report_finished WHERE finished_at >= ? AND status IN ('completed','failed') GROUP BY source, status`,
      )
      .all(o.sinceMs) as { source: SourceName; status: 'completed' | 'failed'; n: number }[];
    for (const r of rows) if (bySource[r.source]) bySource[r.source][r.status] = r.n;
    withRates(bySource);

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

    const trend = emptyTrend(o.now);
    const trendStart = trend[0]!.start;
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
      recent: summarizeRecent(recentRows),
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
