/**
 * The durable job queue (design §4, §6). One contract, JobBackend; the embedded default is SQLite
 * (jobs/sqlite.ts), the scale-out one BullMQ on Redis (jobs/bullmq/).
 * Times are ms since epoch unless named otherwise.
 */
import type { RowArchiveOptions } from '../../../shared/archiveOptions.js';
import type { SourceName } from '../../../shared/columns.js';
import type { DispatchOptions, JobError, JobKind, JobProgress, JobRecord, JobStatus } from '../../../shared/schemas.js';
import type { QueueReadModel } from './readModel.js';

/** What a dispatch asks for: one (row, source). */
export interface NewJob {
  dispatchId: string;
  spreadsheetId: string;
  sheetId: number;
  sheetName: string;
  rowId: string;
  rowNumber: number;
  name: string;
  email: string;
  type: string;
  source: SourceName;
  /** default 'archive'; a `reprocess` job's links are metadata.json keys (pipeline/reprocess/) */
  kind?: JobKind;
  links: string[];
  attempt: number;
  options: DispatchOptions;
  /** the row's `archive_options` (design §1); part of the idempotency key */
  archiveOptions?: RowArchiveOptions;
}

export interface JobFilter {
  status?: JobStatus;
  rowId?: string;
  source?: SourceName;
  kind?: JobKind;
  /** page size, default 50, max 500 */
  limit?: number;
  /** opaque cursor from the previous page */
  cursor?: string;
}

export interface JobStats {
  byStatus: Record<JobStatus, number>;
  /** jobs of each kind, any status */
  byKind: Record<JobKind, number>;
  /** completed / (completed + failed), 0…1; null before any job finished */
  successRate: number | null;
  /** mean startedAt→finishedAt of completed jobs, ms; null when none */
  meanDurationMs: number | null;
  total: number;
}

/** A leased job: the holder must heartbeat before `leaseExpiresAt` or the job comes back. */
export interface Lease {
  job: JobRecord;
  owner: string;
  leaseExpiresAt: number;
}

// ---------------------------------------------------------------------------------------------
// The job lifecycle's backend contract (docs/design.md §4, §6). Asynchronous, because the
// scale-out backend (BullMQ on Redis) answers over the network; the SQLite backend answers at
// once.
// ---------------------------------------------------------------------------------------------

/** One answer of enqueue: the job, and whether this call created it (false: an open twin existed). */
export interface EnqueueResult {
  job: JobRecord;
  created: boolean;
}

/** A page of jobs, newest first; `nextCursor` null on the last page. */
export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

/**
 * What decideRetry (jobs/retry.ts) settled for a failed attempt. The backend obeys it and decides
 * nothing itself: `retry` → status retrying, attempt+1, runnable at `atMs`; `fail` → failed.
 */
export type RetryDecision = { action: 'retry'; atMs: number; reason: string } | { action: 'fail'; reason: string };

/** A lane held back after a rate limit or bot check (design §4), shared by every worker of the backend. */
export interface LanePause {
  lane: string;
  /** ms since epoch at which the lane resumes by itself */
  untilMs: number;
  /** what paused it, e.g. `rate_limit: HTTP Error 429 (job j_…)` */
  reason: string;
}

/** The producer side: the API's dispatch route and the CLI's `run`. */
export interface JobProducer {
  /**
   * Adds jobs. Idempotent (design §3): a job whose idempotency key (jobs/ids.ts) matches an open
   * job, including one earlier in the same call, returns that job with `created: false`.
   * @returns one entry per input, same order.
   */
  enqueue(jobs: NewJob[]): Promise<EnqueueResult[]>;
}

/** The consumer side: the runner. */
export interface JobConsumer {
  /**
   * Claims the next runnable job of a lane that is neither paused nor at its concurrency cap: an
   * expired lease first (it goes back to the front of its lane), then manual retries, then the
   * oldest due job. The job becomes `downloading`, held by `owner` until now + leaseMs.
   * @returns null when nothing is runnable.
   */
  lease(owner: string, leaseMs: number): Promise<Lease | null>;
  /**
   * Extends the lease and stores progress (undefined keeps it, null clears it).
   * @returns 'ok'; 'cancelled' when the job was cancelled (the holder kills its work and calls
   *   fail with a cancelled error); 'lost' when another owner holds it or it finished.
   */
  heartbeat(jobId: string, owner: string, leaseMs: number, progress?: JobProgress | null): Promise<'ok' | 'cancelled' | 'lost'>;
  /** Moves a held job to downloading/uploading. @throws QueueError 'lease_lost' | 'not_found'. */
  setStatus(jobId: string, owner: string, status: 'downloading' | 'uploading'): Promise<void>;
  /** Records success; files and media ids are merged with earlier attempts'. @throws QueueError 'lease_lost' | 'not_found'. */
  complete(jobId: string, owner: string, result: { files: string[]; mediaIds: string[] }): Promise<JobRecord>;
  /**
   * Records a failed attempt as `decision` says (a cancelled job stays cancelled). Partial files
   * and media ids are merged either way.
   * @throws QueueError 'lease_lost' | 'not_found'.
   */
  fail(
    jobId: string,
    owner: string,
    error: JobError,
    decision: RetryDecision,
    partial?: { files: string[]; mediaIds: string[] },
  ): Promise<JobRecord>;
  /**
   * Hands a held job back (graceful shutdown): it goes to the front of its lane at the same
   * attempt, for another worker to take at once. A job no longer held is left alone.
   */
  release(jobId: string, owner: string): Promise<void>;
  /** Pauses a lane for every worker until `untilMs` (a later pause extends it, an earlier one is ignored). */
  pauseLane(pause: LanePause): Promise<void>;
}

/**
 * The admin side: API routes, CLI commands, the dashboard, and (QueueReadModel: facts, gauges)
 * the health report and the metrics, read from this backend's own store.
 */
export interface JobAdmin extends QueueReadModel {
  get(jobId: string): Promise<JobRecord | null>;
  /** @throws QueueError 'invalid_argument' (field `cursor`) for a cursor this backend did not hand out. */
  list(filter: JobFilter): Promise<JobPage>;
  stats(): Promise<JobStats>;
  /** Jobs not finished yet: queued, downloading, uploading, retrying. */
  openCount(): Promise<number>;
  /**
   * Manual retry of a failed or cancelled job: attempt+1, limit MAX_MANUAL_ATTEMPTS, ahead of
   * automatic work (design §4: manual retries go first).
   * @throws QueueError 'not_found' | 'conflict' | 'attempts_exhausted'.
   */
  retry(jobId: string): Promise<JobRecord>;
  /** Cancels an open job; its holder learns it on its next heartbeat. @returns the job, or null if unknown. */
  cancel(jobId: string): Promise<JobRecord | null>;
  /**
   * Records that the sheet refused this job's status write (data_corruption): stored as the job's
   * `writeBack`, leaving its status, error and history as they are. No-op for an unknown job.
   */
  recordWriteBack(jobId: string, writeBack: NonNullable<JobRecord['writeBack']>): Promise<void>;
  /** Lanes paused now, for /v1/jobs/stats, the sidebar, metrics and the report. */
  lanePauses(): Promise<LanePause[]>;
}

/**
 * One backend: SQLite (embedded default) or BullMQ (REDIS_URL). Both take `laneConcurrency`
 * (ARCHIVER_LANE_CONCURRENCY, e.g. `{ youtube: 4, drive: 8 }`): at most that many jobs of a lane
 * are leased at once across every worker of the backend. When the store cannot be reached, every
 * method rejects with QueueError 'unavailable' (the API answers 503).
 */
export interface JobBackend extends JobProducer, JobConsumer, JobAdmin {
  readonly kind: 'sqlite' | 'bullmq';
  /** True when the store answers (for /readyz; a false makes dispatch answer 503). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
