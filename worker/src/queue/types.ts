/**
 * The durable job queue (design §4, §6). One interface; the embedded default is SQLite
 * (queue/sqlite.ts); a BullMQ/Redis implementation can sit behind the same interface.
 * Times are ms since epoch unless named otherwise.
 */
import type { RowArchiveOptions } from '../../../shared/archiveOptions.js';
import type { SourceName } from '../../../shared/columns.js';
import type { DispatchOptions, JobError, JobKind, JobProgress, JobRecord, JobStatus } from '../../../shared/schemas.js';

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

export interface JobQueue {
  /**
   * Adds jobs atomically. Idempotent: a job whose (spreadsheet, sheet, row, source, links, row
   * archive options) matches an open job returns that job with `created: false`.
   */
  enqueue(jobs: NewJob[]): { job: JobRecord; created: boolean }[];
  /**
   * Claims the next runnable job (queued, or retrying whose nextRunAt has passed, or leased by a
   * dead holder), moving it to downloading.
   * @param skipLanes lanes (queue/lanes.ts) paused after a rate limit: their jobs wait.
   */
  lease(owner: string, leaseMs: number, now?: number, skipLanes?: readonly string[]): Lease | null;
  /** Extends a lease; false when the lease was lost (expired and taken, or the job was cancelled). */
  heartbeat(jobId: string, owner: string, leaseMs: number, progress?: JobProgress | null): boolean;
  /** Moves a leased job to downloading/uploading. */
  setStatus(jobId: string, owner: string, status: 'downloading' | 'uploading'): void;
  /** Records success. Files and media ids are the job's full set so far. */
  complete(jobId: string, owner: string, result: { files: string[]; mediaIds: string[] }): JobRecord;
  /**
   * Records a failed attempt: `retryAt` set → status retrying with attempt+1; null → failed.
   * Partial files/media ids are kept.
   */
  fail(jobId: string, owner: string, error: JobError, retryAt: number | null, partial?: { files: string[]; mediaIds: string[] }): JobRecord;
  get(jobId: string): JobRecord | null;
  list(filter: JobFilter): { jobs: JobRecord[]; nextCursor: string | null };
  stats(): JobStats;
  /**
   * Manual retry of a failed or cancelled job: a new attempt, up to MAX_MANUAL_ATTEMPTS.
   * @throws Error with `code` 'not_found' | 'conflict' | 'attempts_exhausted'.
   */
  retry(jobId: string): JobRecord;
  /** Cancels an open job. Returns the job, or null if unknown. A running holder sees it on its next heartbeat. */
  cancel(jobId: string): JobRecord | null;
  /** Stores a refused status write (data_corruption) on the job; a completed job becomes failed. */
  markWriteRefused(jobId: string, error: JobError): JobRecord | null;
  /** Count of jobs not yet finished (queued, leased, retrying). */
  openCount(): number;
  /** True when the database answers (for /readyz). */
  ping(): boolean;
  close(): void;
}
