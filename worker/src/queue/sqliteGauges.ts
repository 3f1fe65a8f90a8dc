/**
 * Point-in-time counts of the SQLite queue for the Prometheus gauges (metrics/collectors.ts).
 * Read at scrape time from the shared file, so every worker on the same queue reports the same
 * numbers. Each query is one covering-index scan: a scrape stays well under 50 ms with 100,000
 * jobs (bench/metrics-scrape.ts).
 *
 * The index lives in its own schema component (`queue_gauges`), not in the `jobs` migrations, so
 * that it is created only by workers that expose metrics.
 */
import type Database from 'better-sqlite3';
import type { SourceName } from '../../../shared/columns.js';
import type { JobStatus } from '../../../shared/schemas.js';
import { migrate, type MigrationStep } from './migrate.js';

export const GAUGES_COMPONENT = 'queue_gauges';

const GAUGES_MIGRATIONS: readonly MigrationStep[] = [
  // v1: (status, source, lane) covers the counts below; ready_at has its own index (jobs_ready)
  (db) => db.exec('CREATE INDEX IF NOT EXISTS jobs_status_source_lane ON jobs (status, source, lane)'),
];

/** What the gauges show. Times are ms since epoch. */
export interface QueueGaugeSnapshot {
  /** jobs per (status, source); absent pairs are 0 */
  jobs: { status: JobStatus; source: SourceName; n: number }[];
  /** jobs waiting to run (queued or retrying) per lane (queue/lanes.ts); '' for jobs older than lanes */
  depthByLane: { lane: string; n: number }[];
  /** the earliest time a job now runnable (queued, or retrying and due) became runnable; null when none waits */
  oldestWaitingSince: number | null;
}

export class SqliteQueueGauges {
  private readonly byStatus: Database.Statement<[], { status: JobStatus; source: SourceName; n: number }>;
  private readonly byLane: Database.Statement<[], { lane: string; n: number }>;
  private readonly oldest: Database.Statement<[number], { ready_at: number }>;

  /**
   * @param db the queue's open handle (SqliteQueue.db); the `jobs` table must exist.
   * @throws Error when the gauges' schema component is newer than this code.
   */
  constructor(db: Database.Database) {
    migrate(db, GAUGES_COMPONENT, GAUGES_MIGRATIONS);
    this.byStatus = db.prepare('SELECT status, source, COUNT(*) AS n FROM jobs GROUP BY status, source');
    this.byLane = db.prepare("SELECT lane, COUNT(*) AS n FROM jobs WHERE status IN ('queued','retrying') GROUP BY lane");
    // Walks jobs_ready in order: leased and not-yet-due rows sort after `now` and are never read.
    this.oldest = db.prepare(
      "SELECT ready_at FROM jobs WHERE ready_at IS NOT NULL AND ready_at <= ? AND status IN ('queued','retrying') ORDER BY ready_at LIMIT 1",
    );
  }

  /** The counts now. @param now ms since epoch. */
  snapshot(now = Date.now()): QueueGaugeSnapshot {
    return {
      jobs: this.byStatus.all(),
      depthByLane: this.byLane.all(),
      oldestWaitingSince: this.oldest.get(now)?.ready_at ?? null,
    };
  }
}
