/**
 * The embedded durable job queue (design §4, §6): one SQLite file under ARCHIVER_DATA, shared
 * safely by several processes. Every write runs in an IMMEDIATE transaction, so two workers
 * never lease the same job and an idempotent enqueue cannot race. WAL mode with
 * synchronous=FULL by default: once enqueue() returns, the jobs survive a crash or power loss.
 *
 * Lifecycle: enqueue → queued → lease → downloading ⇄ uploading → complete (completed) or
 * fail (retrying → leased again when due, or failed); cancel → cancelled; retry (manual) puts a
 * failed or cancelled job back to queued. A job whose holder stops heartbeating comes back when
 * its lease expires.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { JOB_KINDS, JOB_STATUSES } from '../../../shared/schemas.js';
import type { JobError, JobKind, JobProgress, JobRecord, JobStatus } from '../../../shared/schemas.js';
import { MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS } from '../../../shared/errors.js';
import { QueueError } from './errors.js';
import { idempotencyKey, newJobId } from './ids.js';
import { laneOf } from './lanes.js';
import { migrate } from './migrate.js';
import { decodeCursor, encodeCursor, rowToJob, unionJson, type JobRow } from './sqliteRows.js';
import { JOBS_COMPONENT, JOBS_MIGRATIONS, OPEN_STATUS_SQL } from './sqliteSchema.js';
import type { JobFilter, JobQueue, JobStats, Lease, NewJob } from './types.js';

export interface SqliteQueueOptions {
  /** Clock, ms since epoch (tests inject one). Default Date.now. */
  now?: () => number;
  /** How long a writer waits for another process's write lock, ms. Default 5000. */
  busyTimeoutMs?: number;
  /** FULL (default) survives power loss; NORMAL survives a process crash only, and is faster. */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * How many times a job may be taken over from a holder whose lease expired (a worker that died)
   * within one attempt before it is failed as `system` instead: a job that kills its worker
   * every time must not crash-loop forever. Default 3.
   */
  maxReclaims?: number;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

const LEASED_SQL = "('downloading','uploading')";
/** What a cancel records on the job (docs/design.md §4). */
const CANCELLED_ERROR: JobError = { category: 'cancelled', message: 'cancelled on request' };

/** True when a new job carries row options worth storing (an empty object is none). */
const hasOptions = (j: NewJob) => !!j.archiveOptions && Object.keys(j.archiveOptions).length > 0;

export class SqliteQueue implements JobQueue {
  /** The open better-sqlite3 handle; the status outbox may keep its own tables in the same file. */
  readonly db: Database.Database;
  private readonly ownsDb: boolean;
  private readonly now: () => number;
  private readonly maxReclaims: number;
  private readonly stmts = new Map<string, Database.Statement>();

  /**
   * @param target a file path (parent folders are created; `:memory:` works for tests) or an
   *   already-open Database (then the caller owns it and close() leaves it open).
   * @throws Error when the file cannot be opened, or its `jobs` schema is newer than this code.
   */
  constructor(target: string | Database.Database, options: SqliteQueueOptions = {}) {
    if (typeof target === 'string') {
      if (target !== ':memory:' && !target.startsWith('file:')) mkdirSync(dirname(resolve(target)), { recursive: true });
      this.db = new Database(target);
      this.ownsDb = true;
    } else {
      this.db = target;
      this.ownsDb = false;
    }
    this.now = options.now ?? Date.now;
    this.maxReclaims = options.maxReclaims ?? 3;
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    migrate(this.db, JOBS_COMPONENT, JOBS_MIGRATIONS);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private row(jobId: string): JobRow | undefined {
    return this.stmt('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
  }

  /** Runs fn in an IMMEDIATE transaction (takes the write lock first: no lost updates between processes). */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Adds jobs in one transaction. A job whose idempotency key (see ids.ts) matches an open job —
   * including one earlier in the same batch — returns that job with `created: false`. A new job
   * starts queued with the dispatch's attempt and `maxAttempts` = 3 for `retry: 'auto'`, 10 for
   * `'manual'` (never below the dispatched attempt).
   * @returns one entry per input, same order.
   */
  enqueue(jobs: NewJob[]): { job: JobRecord; created: boolean }[] {
    return this.write(() => {
      const now = this.now();
      return jobs.map((j) => {
        const key = idempotencyKey(j);
        const open = this.stmt(`SELECT * FROM jobs WHERE idempotency_key = ? AND status IN ${OPEN_STATUS_SQL}`).get(key) as
          JobRow | undefined;
        if (open) return { job: rowToJob(open), created: false };
        const policyMax = j.options.retry === 'manual' ? MAX_MANUAL_ATTEMPTS : MAX_AUTO_ATTEMPTS;
        const jobId = newJobId(now);
        this.stmt(
          `INSERT INTO jobs (job_id, dispatch_id, idempotency_key, spreadsheet_id, sheet_id, sheet_name, row_id,
             row_number, name, email, type, source, links, options, status, attempt, max_attempts,
             ready_at, created_at, updated_at, lane, archive_options, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          jobId,
          j.dispatchId,
          key,
          j.spreadsheetId,
          j.sheetId,
          j.sheetName,
          j.rowId,
          j.rowNumber,
          j.name,
          j.email,
          j.type,
          j.source,
          JSON.stringify(j.links),
          JSON.stringify(j.options),
          j.attempt,
          Math.max(policyMax, j.attempt),
          now,
          now,
          now,
          laneOf(j.source, j.links, j.kind),
          hasOptions(j) ? JSON.stringify(j.archiveOptions) : null,
          j.kind ?? 'archive',
        );
        return { job: rowToJob(this.row(jobId)!), created: true };
      });
    });
  }

  /**
   * Claims a runnable job: first one whose holder's lease expired (downloading/uploading; the
   * holder died, the job resumes at the same attempt), ahead of any backlog; otherwise the one
   * that has waited longest, queued or retrying with nextRunAt ≤ now. The job becomes `downloading`, held by `owner` until `now + leaseMs`;
   * startedAt is set on its first lease. A job taken over more than `maxReclaims` times in one
   * attempt is failed as `system` instead.
   * @param leaseMs lease length, ms (> 0). @param now ms since epoch, default the queue's clock.
   * @returns the lease, or null when nothing is runnable.
   */
  lease(owner: string, leaseMs: number, now: number = this.now(), skipLanes: readonly string[] = []): Lease | null {
    if (!owner) throw new QueueError('invalid_argument', 'lease owner must not be empty');
    if (!(leaseMs > 0)) throw new QueueError('invalid_argument', `leaseMs must be > 0, got ${leaseMs}`);
    return this.write(() => {
      const lanes = JSON.stringify(skipLanes);
      for (;;) {
        // An expired lease goes to the front of its lane: its row already shows `downloading`, and
        // behind the backlog it would keep showing that for as long as the backlog takes to drain.
        const r = (this.stmt(
          `SELECT * FROM jobs WHERE status IN ${LEASED_SQL} AND ready_at <= ?
             AND lane NOT IN (SELECT value FROM json_each(?)) ORDER BY ready_at, seq LIMIT 1`,
        ).get(now, lanes) ??
          this.stmt(
            `SELECT * FROM jobs WHERE ready_at IS NOT NULL AND ready_at <= ?
               AND lane NOT IN (SELECT value FROM json_each(?)) ORDER BY ready_at, seq LIMIT 1`,
          ).get(now, lanes)) as JobRow | undefined;
        if (!r) return null;
        const reclaim = r.status === 'downloading' || r.status === 'uploading';
        const reclaims = reclaim ? r.reclaims + 1 : r.reclaims;
        if (reclaims > this.maxReclaims) {
          const error: JobError = {
            category: 'system',
            message: `worker lost the job ${r.reclaims} times (lease expired; last holder ${r.lease_owner ?? '?'})`,
          };
          this.stmt(
            `UPDATE jobs SET status = 'failed', error = ?, lease_owner = NULL, lease_expires_at = NULL,
               ready_at = NULL, finished_at = ?, updated_at = ? WHERE seq = ?`,
          ).run(JSON.stringify(error), now, now, r.seq);
          continue;
        }
        const expires = now + leaseMs;
        this.stmt(
          `UPDATE jobs SET status = 'downloading', lease_owner = ?, lease_expires_at = ?, ready_at = ?,
             reclaims = ?, next_run_at = NULL, progress = NULL, started_at = COALESCE(started_at, ?), updated_at = ?
           WHERE seq = ?`,
        ).run(owner, expires, expires, reclaims, now, now, r.seq);
        return { job: rowToJob(this.row(r.job_id)!), owner, leaseExpiresAt: expires };
      }
    });
  }

  /**
   * Extends `owner`'s lease to now + leaseMs and stores progress (undefined keeps the stored
   * progress, null clears it).
   * @returns false when the lease is lost: another owner holds the job, or it was cancelled,
   *   retried or finished. The holder should then stop working on it.
   */
  heartbeat(jobId: string, owner: string, leaseMs: number, progress?: JobProgress | null): boolean {
    const now = this.now();
    const expires = now + leaseMs;
    const where = `WHERE job_id = ? AND lease_owner = ? AND status IN ${LEASED_SQL}`;
    const info =
      progress === undefined
        ? this.stmt(`UPDATE jobs SET lease_expires_at = ?, ready_at = ?, updated_at = ? ${where}`).run(expires, expires, now, jobId, owner)
        : this.stmt(`UPDATE jobs SET lease_expires_at = ?, ready_at = ?, updated_at = ?, progress = ? ${where}`).run(
            expires,
            expires,
            now,
            progress === null ? null : JSON.stringify(progress),
            jobId,
            owner,
          );
    return info.changes === 1;
  }

  /**
   * Moves a job held by `owner` to downloading or uploading.
   * @throws QueueError 'not_found' | 'lease_lost' (not held by owner, cancelled, or finished).
   */
  setStatus(jobId: string, owner: string, status: 'downloading' | 'uploading'): void {
    this.write(() => {
      this.held(jobId, owner);
      this.stmt('UPDATE jobs SET status = ?, updated_at = ? WHERE job_id = ?').run(status, this.now(), jobId);
    });
  }

  /**
   * Records success: completed, error cleared, files and media ids merged (union, no duplicates)
   * with what earlier attempts stored. Exactly once: only the current lease holder may complete.
   * If the job was cancelled while `owner` ran it, the files are still recorded and the job stays
   * cancelled.
   * @throws QueueError 'not_found' | 'lease_lost' (a stale holder: the job is someone else's,
   *   or already finished).
   */
  complete(jobId: string, owner: string, result: { files: string[]; mediaIds: string[] }): JobRecord {
    return this.write(() => {
      const now = this.now();
      const r = this.held(jobId, owner, true);
      const status: JobStatus = r.status === 'cancelled' ? 'cancelled' : 'completed';
      this.stmt(
        `UPDATE jobs SET status = ?, error = CASE WHEN ? = 'completed' THEN NULL ELSE error END,
           files = ?, media_ids = ?, progress = NULL, lease_owner = NULL, lease_expires_at = NULL,
           ready_at = NULL, next_run_at = NULL, finished_at = COALESCE(finished_at, ?), updated_at = ?
         WHERE seq = ?`,
      ).run(status, status, unionJson(r.files, result.files), unionJson(r.media_ids, result.mediaIds), now, now, r.seq);
      return rowToJob(this.row(jobId)!);
    });
  }

  /**
   * Records a failed attempt. With `retryAt` (ms since epoch) and attempts left
   * (attempt < maxAttempts): retrying, attempt+1, nextRunAt = retryAt. Otherwise: failed.
   * Partial files/media ids are merged in either way. A cancelled job stays cancelled, with its
   * `cancelled` error.
   * @throws QueueError 'not_found' | 'lease_lost'.
   */
  fail(
    jobId: string,
    owner: string,
    error: JobError,
    retryAt: number | null,
    partial?: { files: string[]; mediaIds: string[] },
  ): JobRecord {
    return this.write(() => {
      const now = this.now();
      const r = this.held(jobId, owner, true);
      const files = unionJson(r.files, partial?.files);
      const mediaIds = unionJson(r.media_ids, partial?.mediaIds);
      const err = JSON.stringify(error);
      if (r.status === 'cancelled') {
        // keeps the `cancelled` error the cancel recorded: the kill is not the job's failure
        this.stmt(
          `UPDATE jobs SET files = ?, media_ids = ?, lease_owner = NULL, lease_expires_at = NULL,
             updated_at = ? WHERE seq = ?`,
        ).run(files, mediaIds, now, r.seq);
      } else if (retryAt !== null && r.attempt < r.max_attempts) {
        this.stmt(
          `UPDATE jobs SET status = 'retrying', attempt = attempt + 1, error = ?, files = ?, media_ids = ?,
             progress = NULL, lease_owner = NULL, lease_expires_at = NULL, reclaims = 0,
             next_run_at = ?, ready_at = ?, updated_at = ? WHERE seq = ?`,
        ).run(err, files, mediaIds, retryAt, retryAt, now, r.seq);
      } else {
        this.stmt(
          `UPDATE jobs SET status = 'failed', error = ?, files = ?, media_ids = ?, progress = NULL,
             lease_owner = NULL, lease_expires_at = NULL, ready_at = NULL, next_run_at = NULL,
             finished_at = ?, updated_at = ? WHERE seq = ?`,
        ).run(err, files, mediaIds, now, now, r.seq);
      }
      return rowToJob(this.row(jobId)!);
    });
  }

  /**
   * The row of a job `owner` holds. With allowCancelled, a job cancelled while owner held it
   * also passes (so its holder can still record what it archived).
   */
  private held(jobId: string, owner: string, allowCancelled = false): JobRow {
    const r = this.row(jobId);
    if (!r) throw new QueueError('not_found', `no job ${jobId}`);
    const leased = r.status === 'downloading' || r.status === 'uploading';
    if (r.lease_owner === owner && (leased || (allowCancelled && r.status === 'cancelled'))) return r;
    const why =
      r.status === 'cancelled'
        ? 'it was cancelled'
        : leased
          ? `it is now held by ${r.lease_owner ?? 'nobody'} (the lease of ${owner} expired)`
          : `it is ${r.status}`;
    throw new QueueError('lease_lost', `${owner} no longer holds job ${jobId}: ${why}`);
  }

  /** The job, or null when unknown. */
  get(jobId: string): JobRecord | null {
    const r = this.row(jobId);
    return r ? rowToJob(r) : null;
  }

  /**
   * Jobs matching the filter, newest first. Keyset paging: `nextCursor` (null on the last page)
   * resumes after the last job returned, so jobs added meanwhile never shift or repeat a page.
   * @throws QueueError 'invalid_argument' for a malformed cursor.
   */
  list(filter: JobFilter): { jobs: JobRecord[]; nextCursor: string | null } {
    const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT)));
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number): void => {
      where.push(clause);
      params.push(value);
    };
    if (filter.status) add('status = ?', filter.status);
    if (filter.rowId !== undefined) add('row_id = ?', filter.rowId);
    if (filter.source) add('source = ?', filter.source);
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.cursor) {
      const seq = decodeCursor(filter.cursor);
      if (seq === null)
        throw new QueueError('invalid_argument', 'cursor: not a cursor this queue returned (use nextCursor as given)', { field: 'cursor' });
      add('seq < ?', seq);
    }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.stmt(sql).all(...params, limit + 1) as JobRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { jobs: page.map(rowToJob), nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }

  /** Counts by status (all 7) and by kind, success rate completed/(completed+failed), mean startedAt→finishedAt of completed jobs. */
  stats(): JobStats {
    const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    let total = 0;
    for (const { status, n } of this.stmt('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as {
      status: JobStatus;
      n: number;
    }[]) {
      byStatus[status] = n;
      total += n;
    }
    const byKind = Object.fromEntries(JOB_KINDS.map((k) => [k, 0])) as Record<JobKind, number>;
    for (const { kind, n } of this.stmt('SELECT kind, COUNT(*) AS n FROM jobs GROUP BY kind').all() as { kind: JobKind; n: number }[]) {
      byKind[kind] = n;
    }
    const finished = byStatus.completed + byStatus.failed;
    const { mean } = this.stmt(
      `SELECT AVG(finished_at - started_at) AS mean FROM jobs
       WHERE status = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT NULL`,
    ).get() as { mean: number | null };
    return {
      byStatus,
      byKind,
      successRate: finished === 0 ? null : byStatus.completed / finished,
      meanDurationMs: mean === null ? null : Math.round(mean),
      total,
    };
  }

  /**
   * Manual retry of a failed or cancelled job: attempt+1, queued now, maxAttempts raised to
   * MAX_MANUAL_ATTEMPTS. Files already archived are kept (a retry fetches only what is missing).
   * @throws QueueError 'not_found'; 'conflict' when the job is not failed/cancelled or another
   *   open job already does the same work; 'attempts_exhausted' past MAX_MANUAL_ATTEMPTS.
   */
  retry(jobId: string): JobRecord {
    return this.write(() => {
      const now = this.now();
      const r = this.row(jobId);
      if (!r) throw new QueueError('not_found', `no job ${jobId}`);
      if (r.status !== 'failed' && r.status !== 'cancelled') {
        throw new QueueError('conflict', `job ${jobId} is ${r.status}; only failed or cancelled jobs can be retried`);
      }
      if (r.attempt + 1 > MAX_MANUAL_ATTEMPTS) {
        throw new QueueError('attempts_exhausted', `job ${jobId} has used ${r.attempt} attempts; the limit is ${MAX_MANUAL_ATTEMPTS}`);
      }
      const twin = this.stmt(`SELECT job_id FROM jobs WHERE idempotency_key = ? AND status IN ${OPEN_STATUS_SQL}`).get(
        r.idempotency_key,
      ) as { job_id: string } | undefined;
      if (twin) throw new QueueError('conflict', `job ${twin.job_id} is already open for the same row, source and links`);
      this.stmt(
        `UPDATE jobs SET status = 'queued', attempt = attempt + 1, max_attempts = MAX(max_attempts, ?),
           progress = NULL, lease_owner = NULL, lease_expires_at = NULL, reclaims = 0, next_run_at = NULL,
           ready_at = ?, finished_at = NULL, updated_at = ? WHERE seq = ?`,
      ).run(MAX_MANUAL_ATTEMPTS, now, now, r.seq);
      return rowToJob(this.row(jobId)!);
    });
  }

  /**
   * Cancels an open job (queued, retrying or running): status cancelled, error category
   * `cancelled` (docs/design.md §4: never retried automatically), finishedAt now. A
   * running holder keeps its lease owner recorded but its next heartbeat returns false. A job
   * already finished is returned unchanged.
   * @returns the job, or null when unknown.
   */
  cancel(jobId: string): JobRecord | null {
    return this.write(() => {
      const now = this.now();
      this.stmt(
        `UPDATE jobs SET status = 'cancelled', error = ?, ready_at = NULL, next_run_at = NULL, lease_expires_at = NULL,
           finished_at = ?, updated_at = ? WHERE job_id = ? AND status IN ${OPEN_STATUS_SQL}`,
      ).run(JSON.stringify(CANCELLED_ERROR), now, now, jobId);
      return this.get(jobId);
    });
  }

  /**
   * Records that the sheet refused this job's status write (design §1: row_id or type changed →
   * data_corruption). The error is stored on the job; a completed job becomes failed, because its
   * row does not show what was archived.
   * @returns the job, or null when unknown.
   */
  markWriteRefused(jobId: string, error: JobError): JobRecord | null {
    return this.write(() => {
      this.stmt(
        `UPDATE jobs SET error = ?, status = CASE WHEN status = 'completed' THEN 'failed' ELSE status END, updated_at = ?
           WHERE job_id = ?`,
      ).run(JSON.stringify(error), this.now(), jobId);
      return this.get(jobId);
    });
  }

  /** Jobs not finished yet: queued, downloading, uploading, retrying. */
  openCount(): number {
    return (this.stmt(`SELECT COUNT(*) AS n FROM jobs WHERE status IN ${OPEN_STATUS_SQL}`).get() as { n: number }).n;
  }

  /** True when the database answers a query. */
  ping(): boolean {
    try {
      return this.db.open && (this.db.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  /** Closes the database if this queue opened it (a handle passed in is left to its owner). Idempotent. */
  close(): void {
    this.stmts.clear();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
