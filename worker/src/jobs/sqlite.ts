/**
 * The embedded job backend (design §4, §6): one SQLite file under ARCHIVER_DATA, shared safely by
 * several processes on one machine. Every write runs in an IMMEDIATE transaction, so two workers
 * never lease the same job and an idempotent enqueue cannot race. WAL mode with
 * synchronous=FULL by default: once enqueue() returns, the jobs survive a crash or power loss.
 * better-sqlite3 answers synchronously; the methods are async only to speak the JobBackend
 * contract (jobs/types.ts) that the BullMQ backend shares.
 *
 * Lifecycle: enqueue → queued → lease → downloading ⇄ uploading → complete (completed) or
 * fail as jobs/retry.ts decided (retrying → leased again when due, or failed); cancel →
 * cancelled; retry (manual) puts a failed or cancelled job back to queued, ahead of automatic
 * work; release hands a held job back to the front of its lane. A job whose holder stops
 * heartbeating comes back when its lease expires, also at the front of its lane.
 *
 * Lanes (jobs/lanes.ts) are stored at enqueue. Their pauses live in the `lane_pauses` table, so
 * every process on the file sees them, they survive a restart, and they end by themselves at
 * `untilMs`; `laneConcurrency` caps the live leases of a lane across every process.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { JOB_KINDS, JOB_STATUSES } from '../../../shared/schemas.js';
import type { JobError, JobKind, JobProgress, JobRecord, JobStatus } from '../../../shared/schemas.js';
import { MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS } from '../../../shared/errors.js';
import { CANCELLED_ERROR, listLimit } from './backendCommon.js';
import { QueueError } from './errors.js';
import { idempotencyKey, newJobId } from './ids.js';
import { laneOf } from './lanes.js';
import { migrate } from './migrate.js';
import { manualRetryRefusal } from './retry.js';
import { decodeCursor, encodeCursor, rowToJob, unionJson, type JobRow } from './sqliteRows.js';
import type { FactsOptions, QueueFacts, QueueGaugeSnapshot } from './readModel.js';
import { sqliteQueueFacts } from './sqliteFacts.js';
import { SqliteQueueGauges } from './sqliteGauges.js';
import { JOBS_COMPONENT, JOBS_MIGRATIONS, OPEN_STATUS_SQL } from './sqliteSchema.js';
import type { EnqueueResult, JobBackend, JobFilter, JobPage, JobStats, LanePause, Lease, NewJob, RetryDecision } from './types.js';

export interface SqliteJobBackendOptions {
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
  /**
   * At most this many live leases per lane across every process on the file
   * (ARCHIVER_LANE_CONCURRENCY, e.g. `{ youtube: 4, drive: 8 }`); lanes not named are uncapped.
   */
  laneConcurrency?: Record<string, number>;
}

const LEASED_SQL = "('downloading','uploading')";
/** `priority` values (schema v5): handed-back jobs, then manual retries, then automatic work. */
const PRIORITY = { automatic: 0, manual: 1, released: 2 } as const;

/** True when a new job carries row options worth storing (an empty object is none). */
const hasOptions = (j: NewJob) => !!j.archiveOptions && Object.keys(j.archiveOptions).length > 0;

export class SqliteJobBackend implements JobBackend {
  readonly kind = 'sqlite' as const;
  /** The open better-sqlite3 handle; the status outbox and event log keep their own tables in the same file. */
  readonly db: Database.Database;
  private readonly ownsDb: boolean;
  private readonly now: () => number;
  private readonly maxReclaims: number;
  private readonly laneCaps: [string, number][];
  private readonly stmts = new Map<string, Database.Statement>();
  /** made on the first gauges() call: its index is created only by workers that expose metrics */
  private gaugeReader: SqliteQueueGauges | null = null;

  /**
   * @param target a file path (parent folders are created; `:memory:` works for tests) or an
   *   already-open Database (then the caller owns it and close() leaves it open).
   * @throws Error when the file cannot be opened, or its `jobs` schema is newer than this code;
   *   RangeError for a laneConcurrency cap that is not a positive integer.
   */
  constructor(target: string | Database.Database, options: SqliteJobBackendOptions = {}) {
    this.laneCaps = Object.entries(options.laneConcurrency ?? {});
    for (const [lane, n] of this.laneCaps)
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`laneConcurrency.${lane} must be a positive integer, got ${n}`);
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

  private job(jobId: string): JobRecord {
    return rowToJob(this.row(jobId)!);
  }

  /** Runs fn in an IMMEDIATE transaction (takes the write lock first: no lost updates between processes). */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Adds jobs in one transaction. A job whose idempotency key (see ids.ts) matches an open job —
   * including one earlier in the same batch — returns that job with `created: false`. A new job
   * starts queued with the dispatch's attempt, its lane (jobs/lanes.ts), and `maxAttempts` = 3
   * for `retry: 'auto'`, 10 for `'manual'` (never below the dispatched attempt).
   * @returns one entry per input, same order.
   */
  async enqueue(jobs: NewJob[]): Promise<EnqueueResult[]> {
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
        return { job: this.job(jobId), created: true };
      });
    });
  }

  /** Lanes no job may be leased from now: paused ones and ones at their laneConcurrency cap. */
  private closedLanes(now: number): string[] {
    const closed = (this.stmt('SELECT lane FROM lane_pauses WHERE until_ms > ?').all(now) as { lane: string }[]).map((r) => r.lane);
    if (this.laneCaps.length) {
      const live = new Map(
        (
          this.stmt(`SELECT lane, COUNT(*) AS n FROM jobs WHERE status IN ${LEASED_SQL} AND lease_expires_at > ? GROUP BY lane`).all(
            now,
          ) as { lane: string; n: number }[]
        ).map((r) => [r.lane, r.n]),
      );
      for (const [lane, cap] of this.laneCaps) if ((live.get(lane) ?? 0) >= cap) closed.push(lane);
    }
    return closed;
  }

  /**
   * Claims a runnable job of a lane neither paused nor at its cap, in this order: one whose
   * holder's lease expired (the holder died; the job resumes at the same attempt), then handed-back
   * jobs and manual retries, then the one that has waited longest (queued, or retrying with
   * nextRunAt ≤ now). The job becomes `downloading`, held by `owner` until `now + leaseMs`;
   * startedAt is set on its first lease. A job taken over more than `maxReclaims` times in one
   * attempt is failed as `system` instead.
   * @param leaseMs lease length, ms (> 0). @param now ms since epoch, default the backend's clock.
   * @returns the lease, or null when nothing is runnable.
   * @throws QueueError 'invalid_argument' for an empty owner or a non-positive leaseMs.
   */
  async lease(owner: string, leaseMs: number, now: number = this.now()): Promise<Lease | null> {
    if (!owner) throw new QueueError('invalid_argument', 'lease owner must not be empty');
    if (!(leaseMs > 0)) throw new QueueError('invalid_argument', `leaseMs must be > 0, got ${leaseMs}`);
    return this.write(() => {
      const lanes = JSON.stringify(this.closedLanes(now));
      const open = 'AND lane NOT IN (SELECT value FROM json_each(?))';
      for (;;) {
        // An expired lease goes to the front of its lane: its row already shows `downloading`, and
        // behind the backlog it would keep showing that for as long as the backlog takes to drain.
        // The few prioritised rows come from their partial index (the planner would otherwise
        // sort every due row by priority).
        const r = (this.stmt(
          `SELECT * FROM jobs WHERE status IN ${LEASED_SQL} AND ready_at <= ? ${open} ORDER BY ready_at, seq LIMIT 1`,
        ).get(now, lanes) ??
          this.stmt(
            `SELECT * FROM jobs INDEXED BY jobs_first WHERE priority > 0 AND ready_at IS NOT NULL AND ready_at <= ? ${open}
               ORDER BY priority DESC, ready_at, seq LIMIT 1`,
          ).get(now, lanes) ??
          this.stmt(`SELECT * FROM jobs WHERE ready_at IS NOT NULL AND ready_at <= ? ${open} ORDER BY ready_at, seq LIMIT 1`).get(
            now,
            lanes,
          )) as JobRow | undefined;
        if (!r) return null;
        const reclaim = r.status === 'downloading' || r.status === 'uploading';
        const reclaims = reclaim ? r.reclaims + 1 : r.reclaims;
        if (reclaims > this.maxReclaims) {
          const error: JobError = {
            category: 'system',
            message: `worker lost the job ${r.reclaims} times (lease expired; last holder ${r.lease_owner ?? '?'})`,
          };
          this.stmt(
            `UPDATE jobs SET status = 'failed', error = ?, lease_owner = NULL, lease_expires_at = NULL, priority = 0,
               ready_at = NULL, finished_at = ?, updated_at = ? WHERE seq = ?`,
          ).run(JSON.stringify(error), now, now, r.seq);
          continue;
        }
        const expires = now + leaseMs;
        this.stmt(
          `UPDATE jobs SET status = 'downloading', lease_owner = ?, lease_expires_at = ?, ready_at = ?, priority = 0,
             reclaims = ?, next_run_at = NULL, progress = NULL, started_at = COALESCE(started_at, ?), updated_at = ?
           WHERE seq = ?`,
        ).run(owner, expires, expires, reclaims, now, now, r.seq);
        return { job: this.job(r.job_id), owner, leaseExpiresAt: expires };
      }
    });
  }

  /**
   * Extends `owner`'s lease to now + leaseMs and stores progress (undefined keeps the stored
   * progress, null clears it).
   * @returns 'ok'; 'cancelled' when the job was cancelled while owner held it (kill the work,
   *   then fail it); 'lost' when another owner holds it, or it was retried or finished.
   */
  async heartbeat(jobId: string, owner: string, leaseMs: number, progress?: JobProgress | null): Promise<'ok' | 'cancelled' | 'lost'> {
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
    if (info.changes === 1) return 'ok';
    const r = this.stmt('SELECT status, lease_owner FROM jobs WHERE job_id = ?').get(jobId) as
      { status: JobStatus; lease_owner: string | null } | undefined;
    return r?.status === 'cancelled' && r.lease_owner === owner ? 'cancelled' : 'lost';
  }

  /**
   * Moves a job held by `owner` to downloading or uploading.
   * @throws QueueError 'not_found' | 'lease_lost' (not held by owner, cancelled, or finished).
   */
  async setStatus(jobId: string, owner: string, status: 'downloading' | 'uploading'): Promise<void> {
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
  async complete(jobId: string, owner: string, result: { files: string[]; mediaIds: string[] }): Promise<JobRecord> {
    return this.write(() => {
      const now = this.now();
      const r = this.held(jobId, owner, true);
      const status: JobStatus = r.status === 'cancelled' ? 'cancelled' : 'completed';
      this.stmt(
        `UPDATE jobs SET status = ?, error = CASE WHEN ? = 'completed' THEN NULL ELSE error END,
           files = ?, media_ids = ?, progress = NULL, lease_owner = NULL, lease_expires_at = NULL, priority = 0,
           ready_at = NULL, next_run_at = NULL, finished_at = COALESCE(finished_at, ?), updated_at = ?
         WHERE seq = ?`,
      ).run(status, status, unionJson(r.files, result.files), unionJson(r.media_ids, result.mediaIds), now, now, r.seq);
      return this.job(jobId);
    });
  }

  /**
   * Records a failed attempt as `decision` (jobs/retry.ts decideRetry) says: `retry` →
   * retrying, attempt+1, runnable at `atMs`; `fail` → failed. Partial files/media ids are merged
   * in either way. A cancelled job stays cancelled, with its `cancelled` error.
   * @throws QueueError 'not_found' | 'lease_lost'.
   */
  async fail(
    jobId: string,
    owner: string,
    error: JobError,
    decision: RetryDecision,
    partial?: { files: string[]; mediaIds: string[] },
  ): Promise<JobRecord> {
    return this.write(() => {
      const now = this.now();
      const r = this.held(jobId, owner, true);
      const files = unionJson(r.files, partial?.files);
      const mediaIds = unionJson(r.media_ids, partial?.mediaIds);
      const err = JSON.stringify({ category: error.category, message: error.message });
      if (r.status === 'cancelled') {
        // keeps the `cancelled` error the cancel recorded: the kill is not the job's failure
        this.stmt(
          `UPDATE jobs SET files = ?, media_ids = ?, lease_owner = NULL, lease_expires_at = NULL,
             updated_at = ? WHERE seq = ?`,
        ).run(files, mediaIds, now, r.seq);
      } else if (decision.action === 'retry') {
        this.stmt(
          `UPDATE jobs SET status = 'retrying', attempt = attempt + 1, max_attempts = MAX(max_attempts, attempt + 1),
             error = ?, files = ?, media_ids = ?, progress = NULL, lease_owner = NULL, lease_expires_at = NULL,
             reclaims = 0, priority = 0, next_run_at = ?, ready_at = ?, updated_at = ? WHERE seq = ?`,
        ).run(err, files, mediaIds, decision.atMs, decision.atMs, now, r.seq);
      } else {
        this.stmt(
          `UPDATE jobs SET status = 'failed', error = ?, files = ?, media_ids = ?, progress = NULL, priority = 0,
             lease_owner = NULL, lease_expires_at = NULL, ready_at = NULL, next_run_at = NULL,
             finished_at = ?, updated_at = ? WHERE seq = ?`,
        ).run(err, files, mediaIds, now, now, r.seq);
      }
      return this.job(jobId);
    });
  }

  /**
   * Hands a job `owner` holds back (graceful shutdown): queued at the same attempt, ahead of
   * every other job of its lane, for another worker to take at once. A job no longer held (lost,
   * cancelled, finished) is left alone.
   */
  async release(jobId: string, owner: string): Promise<void> {
    const now = this.now();
    this.stmt(
      `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, progress = NULL, priority = ?,
         ready_at = ?, updated_at = ? WHERE job_id = ? AND lease_owner = ? AND status IN ${LEASED_SQL}`,
    ).run(PRIORITY.released, now, now, jobId, owner);
  }

  /**
   * Pauses a lane for every process on the file until `untilMs`: a later pause extends it, an
   * earlier one is ignored (an expired pause is replaced).
   */
  async pauseLane(pause: LanePause): Promise<void> {
    this.write(() => {
      const now = this.now();
      this.stmt('DELETE FROM lane_pauses WHERE until_ms <= ?').run(now);
      this.stmt(
        `INSERT INTO lane_pauses (lane, since_ms, until_ms, reason) VALUES (?, ?, ?, ?)
           ON CONFLICT(lane) DO UPDATE SET reason = CASE WHEN excluded.until_ms > until_ms THEN excluded.reason ELSE reason END,
             until_ms = MAX(until_ms, excluded.until_ms)`,
      ).run(pause.lane, now, Math.round(pause.untilMs), pause.reason);
    });
  }

  /** Lanes paused now, soonest to resume first. */
  async lanePauses(): Promise<LanePause[]> {
    return (
      this.stmt('SELECT lane, until_ms, reason FROM lane_pauses WHERE until_ms > ? ORDER BY until_ms, lane').all(this.now()) as {
        lane: string;
        until_ms: number;
        reason: string;
      }[]
    ).map((r) => ({ lane: r.lane, untilMs: r.until_ms, reason: r.reason }));
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
  async get(jobId: string): Promise<JobRecord | null> {
    const r = this.row(jobId);
    return r ? rowToJob(r) : null;
  }

  /**
   * Jobs matching the filter, newest first. Keyset paging: `nextCursor` (null on the last page)
   * resumes after the last job returned, so jobs added meanwhile never shift or repeat a page.
   * @throws QueueError 'invalid_argument' for a malformed cursor.
   */
  async list(filter: JobFilter): Promise<JobPage> {
    const limit = listLimit(filter.limit);
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
        throw new QueueError('invalid_argument', 'cursor: not a cursor this backend returned (use nextCursor as given)', {
          field: 'cursor',
        });
      add('seq < ?', seq);
    }
    const sql = `SELECT * FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.stmt(sql).all(...params, limit + 1) as JobRow[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { jobs: page.map(rowToJob), nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }

  /** Counts by status (all 7) and by kind, success rate completed/(completed+failed), mean startedAt→finishedAt of completed jobs. */
  async stats(): Promise<JobStats> {
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
   * Manual retry of a failed or cancelled job: attempt+1, queued now ahead of automatic work
   * (design §4), maxAttempts raised to MAX_MANUAL_ATTEMPTS. Files already archived are kept (a
   * retry fetches only what is missing).
   * @throws QueueError 'not_found'; 'conflict' when the job is not failed/cancelled or another
   *   open job already does the same work; 'attempts_exhausted' past MAX_MANUAL_ATTEMPTS.
   */
  async retry(jobId: string): Promise<JobRecord> {
    return this.write(() => {
      const now = this.now();
      const r = this.row(jobId);
      if (!r) throw new QueueError('not_found', `no job ${jobId}`);
      if (r.status !== 'failed' && r.status !== 'cancelled') {
        throw new QueueError('conflict', `job ${jobId} is ${r.status}; only failed or cancelled jobs can be retried`);
      }
      const refusal = manualRetryRefusal({ jobId, attempt: r.attempt });
      if (refusal) throw new QueueError('attempts_exhausted', refusal);
      const twin = this.stmt(`SELECT job_id FROM jobs WHERE idempotency_key = ? AND status IN ${OPEN_STATUS_SQL}`).get(
        r.idempotency_key,
      ) as { job_id: string } | undefined;
      if (twin) throw new QueueError('conflict', `job ${twin.job_id} is already open for the same row, source and links`);
      this.stmt(
        `UPDATE jobs SET status = 'queued', attempt = attempt + 1, max_attempts = MAX(max_attempts, ?), priority = ?,
           progress = NULL, lease_owner = NULL, lease_expires_at = NULL, reclaims = 0, next_run_at = NULL,
           ready_at = ?, finished_at = NULL, updated_at = ? WHERE seq = ?`,
      ).run(MAX_MANUAL_ATTEMPTS, PRIORITY.manual, now, now, r.seq);
      return this.job(jobId);
    });
  }

  /**
   * Cancels an open job (queued, retrying or running): status cancelled, error category
   * `cancelled` (docs/design.md §4: never retried automatically), finishedAt now. A running
   * holder keeps its lease owner recorded and its next heartbeat answers 'cancelled'. A job
   * already finished is returned unchanged.
   * @returns the job, or null when unknown.
   */
  async cancel(jobId: string): Promise<JobRecord | null> {
    return this.write(() => {
      const now = this.now();
      this.stmt(
        `UPDATE jobs SET status = 'cancelled', error = ?, ready_at = NULL, next_run_at = NULL, lease_expires_at = NULL,
           priority = 0, finished_at = ?, updated_at = ? WHERE job_id = ? AND status IN ${OPEN_STATUS_SQL}`,
      ).run(JSON.stringify(CANCELLED_ERROR), now, now, jobId);
      const r = this.row(jobId);
      return r ? rowToJob(r) : null;
    });
  }

  /**
   * Records that the sheet refused this job's status write (design §1: row_id or type changed →
   * data_corruption) as the job's `writeBack`. Its status, error and history stay as they are: a
   * completed job stays completed. No-op for an unknown job.
   */
  async recordWriteBack(jobId: string, writeBack: NonNullable<JobRecord['writeBack']>): Promise<void> {
    this.stmt('UPDATE jobs SET write_back = ?, updated_at = ? WHERE job_id = ?').run(JSON.stringify(writeBack), this.now(), jobId);
  }

  /** See QueueReadModel.facts (jobs/readModel.ts): SQL over this file (sqliteFacts.ts). */
  async facts(o: FactsOptions): Promise<QueueFacts> {
    return sqliteQueueFacts(this.db, o);
  }

  /** See QueueReadModel.gauges: covering-index counts (sqliteGauges.ts). */
  async gauges(now: number): Promise<QueueGaugeSnapshot> {
    this.gaugeReader ??= new SqliteQueueGauges(this.db);
    return this.gaugeReader.snapshot(now);
  }

  /** Jobs not finished yet: queued, downloading, uploading, retrying. */
  async openCount(): Promise<number> {
    return (this.stmt(`SELECT COUNT(*) AS n FROM jobs WHERE status IN ${OPEN_STATUS_SQL}`).get() as { n: number }).n;
  }

  /** True when the database answers a query. */
  async ping(): Promise<boolean> {
    try {
      return this.db.open && (this.db.prepare('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  /** Closes the database if this backend opened it (a handle passed in is left to its owner). Idempotent. */
  async close(): Promise<void> {
    this.stmts.clear();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
