/**
 * Point-in-time counts of the SQLite queue for the Prometheus gauges (metrics/collectors.ts;
 * SqliteJobBackend.gauges, jobs/readModel.ts).
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
import type { QueueGaugeSnapshot } from './readModel.js';
import { migrate, type MigrationStep } from './migrate.js';

export const GAUGES_COMPONENT = 'queue_gauges';

const GAUGES_MIGRATIONS: readonly MigrationStep[] = [
  // v1: (status, source, lane) covers the counts; (status, ready_at) makes the oldest waiting job two seeks
  (db) =>
    db.exec(`
      CREATE INDEX IF NOT EXISTS jobs_status_source_lane ON jobs (status, source, lane);
      CREATE INDEX IF NOT EXISTS jobs_status_ready ON jobs (status, ready_at);
    `),
];

export type { QueueGaugeSnapshot } from './readModel.js';

type CountRow = { status: JobStatus; source: SourceName; lane: string; n: number };

export class SqliteQueueGauges {
  private readonly counts: Database.Statement<[], CountRow>;
  private readonly oldestQueued: Database.Statement<[], { t: number | null }>;
  private readonly oldestDue: Database.Statement<[number], { t: number | null }>;

  /**
   * @param db the queue's open handle (SqliteJobBackend.db); the `jobs` table must exist.
   * @throws Error when the gauges' schema component is newer than this code.
   */
  constructor(db: Database.Database) {
    migrate(db, GAUGES_COMPONENT, GAUGES_MIGRATIONS);
    // One scan in index order (no temporary B-tree) gives both the status and the lane counts.
    this.counts = db.prepare('SELECT status, source, lane, COUNT(*) AS n FROM jobs GROUP BY status, source, lane');
    this.oldestQueued = db.prepare("SELECT MIN(ready_at) AS t FROM jobs WHERE status = 'queued'");
    this.oldestDue = db.prepare("SELECT MIN(ready_at) AS t FROM jobs WHERE status = 'retrying' AND ready_at <= ?");
  }

  /** The counts now. @param now ms since epoch. */
  snapshot(now = Date.now()): QueueGaugeSnapshot {
    const jobs = new Map<string, QueueGaugeSnapshot['jobs'][number]>();
    const lanes = new Map<string, number>();
    for (const r of this.counts.all()) {
      const k = `${r.status}/${r.source}`;
      const j = jobs.get(k);
      if (j) j.n += r.n;
      else jobs.set(k, { status: r.status, source: r.source, n: r.n });
      if (r.status === 'queued' || r.status === 'retrying') lanes.set(r.lane, (lanes.get(r.lane) ?? 0) + r.n);
    }
    const times = [this.oldestQueued.get()?.t, this.oldestDue.get(now)?.t].filter((t): t is number => typeof t === 'number');
    return {
      jobs: [...jobs.values()],
      depthByLane: [...lanes].map(([lane, n]) => ({ lane, n })),
      oldestWaitingSince: times.length ? Math.min(...times) : null,
    };
  }
}
