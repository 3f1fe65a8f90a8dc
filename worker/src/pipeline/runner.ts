/**
 * The job runner: leases jobs from the durable queue up to a concurrency limit, keeps each lease
 * alive with heartbeats, runs the job, and records the outcome in the queue and the status outbox.
 * A job whose lease is lost (its process died) comes back through the queue on its own.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { SourceName } from '../../../shared/columns.js';
import { MAX_AUTO_ATTEMPTS, retryDelayMs } from '../../../shared/errors.js';
import { sheetStatusOf, type JobProgress, type JobRecord } from '../../../shared/schemas.js';
import { ArchiveError } from '../errors.js';
import type { Logger } from '../log.js';
import { laneOf } from '../jobs/lanes.js';
import type { JobQueue } from '../jobs/types.js';
import type { StatusOutbox, StatusUpdate } from '../sheets/types.js';
import type { Source } from '../sources/types.js';
import { AttemptStore } from '../storage/attempt.js';
import type { ObjectStore } from '../storage/types.js';
import { executeJob, type JobOutcome } from './executeJob.js';
import { executeReprocess } from './executeReprocess.js';
import type { ReprocessStep, ReprocessTools } from './reprocess/types.js';

export interface RunnerOptions {
  queue: JobQueue;
  sources: Partial<Record<SourceName, Source>>;
  store: ObjectStore;
  /** design §5 `<prefix>` */
  prefix: string;
  outbox: StatusOutbox;
  /** parent folder for per-job scratch space */
  workRoot: string;
  concurrency: number;
  /** ms */
  leaseMs: number;
  /** ms; a job running longer is killed and retried as network */
  jobTimeoutMs: number;
  /** multiplies retry delays */
  retryScale: number;
  log: Logger;
  /** how often an idle runner looks for due jobs, ms (default 500) */
  pollMs?: number;
  /**
   * least time between two job starts, ms (default 250): staggered starts keep the downloaders'
   * CPU-heavy start-ups (yt-dlp is a Python program) from all landing on the cores at once.
   */
  launchGapMs?: number;
  /** notified as jobs start, progress and finish (CLI progress bar) */
  onEvent?: (e: RunnerEvent) => void;
  /** `reprocess` jobs (executeReprocess.ts): the steps (default DEFAULT_REPROCESS_STEPS) and ffmpeg/ffprobe */
  reprocess?: { steps?: readonly ReprocessStep[]; tools?: ReprocessTools };
}

export type RunnerEvent =
  { type: 'started'; job: JobRecord } | { type: 'progress'; job: JobRecord; progress: JobProgress } | { type: 'finished'; job: JobRecord };

/** The sheet's files cell lists archived objects; metadata.json is implied by the folder. */
const isListedFile = (key: string) => !key.endsWith('/metadata.json');

/** ISO 8601 UTC without milliseconds, e.g. 2026-11-21T09:15:02Z (design §1). */
export function isoSeconds(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `download_errors` line of a cancelled job (docs/design.md §4: never retried automatically). */
function cancelledLine(job: JobRecord) {
  return {
    source: job.source,
    attempt: job.attempt,
    category: 'cancelled' as const,
    message: 'cancelled on request; retry it to archive it again',
  };
}

export class Runner {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly running = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private idleWaiters: (() => void)[] = [];
  /** lane → ms since epoch until which its jobs wait (design §4: a rate limit pauses the host's lane) */
  private readonly pausedLanes = new Map<string, number>();
  private lastLaunch = 0;

  constructor(private readonly o: RunnerOptions) {}

  /** Starts leasing. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  /** Looks for work now (after an enqueue) instead of waiting for the next poll. */
  wake(): void {
    if (!this.stopped) setImmediate(() => this.tick());
  }

  /** Number of jobs running in this process. */
  get active(): number {
    return this.running.size;
  }

  /** Ids of the jobs running in this process (graceful shutdown, lifecycle/drain.ts). */
  get runningIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Kills a job running in this process (cancel). A cancelled job that is not running here (still
   * queued, or waiting to retry) gets its row written now, as `failed` with category `cancelled`.
   * @returns whether it was running here.
   */
  abort(jobId: string, reason = 'cancelled on request'): boolean {
    const ac = this.running.get(jobId);
    if (ac) {
      ac.abort(new ArchiveError('cancelled', reason));
      return true;
    }
    const job = this.o.queue.get(jobId);
    if (job?.status === 'cancelled') this.update(job, { status: 'failed', error: cancelledLine(job) });
    return false;
  }

  /**
   * Stops leasing; running jobs are aborted when `abortRunning`, else awaited.
   * Aborted jobs keep their lease and come back after it expires.
   */
  async stop(abortRunning = false): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (abortRunning) for (const ac of this.running.values()) ac.abort(new Error('worker stopping'));
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 50));
  }

  /** Resolves when nothing runs here and the queue has no open job (retries included). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private isIdle(): boolean {
    return this.running.size === 0 && this.o.queue.openCount() === 0;
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = Date.now();
    for (const [lane, until] of this.pausedLanes) if (until <= now) this.pausedLanes.delete(lane);
    const paused = [...this.pausedLanes.keys()];
    const gap = this.o.launchGapMs ?? 250;
    let wait = this.o.pollMs ?? 500;
    while (this.running.size < this.o.concurrency) {
      const sinceLast = Date.now() - this.lastLaunch;
      if (sinceLast < gap) {
        wait = Math.min(wait, gap - sinceLast);
        break;
      }
      const lease = this.o.queue.lease(this.owner, this.o.leaseMs, now, paused);
      if (!lease) break;
      this.lastLaunch = Date.now();
      this.launch(lease.job);
    }
    if (this.isIdle()) this.idleWaiters.splice(0).forEach((r) => r());
    this.timer = setTimeout(() => this.tick(), wait);
  }

  private launch(job: JobRecord): void {
    const ac = new AbortController();
    this.running.set(job.jobId, ac);
    this.run(job, ac)
      .catch((err) => this.o.log.error({ jobId: job.jobId, err: (err as Error).message }, 'runner failed to record a job'))
      .finally(() => {
        this.running.delete(job.jobId);
        this.wake();
      });
  }

  private update(job: JobRecord, fields: Pick<StatusUpdate, 'status'> & Partial<StatusUpdate>): void {
    // A reprocess job downloads nothing: the row's download status, files and errors describe the
    // download and stay as they are; what it derived is in metadata.json and the catalogue.
    if (job.kind === 'reprocess') return;
    this.o.outbox.push({
      jobId: job.jobId,
      spreadsheetId: job.spreadsheetId,
      sheetId: job.sheetId,
      sheetName: job.sheetName,
      rowId: job.rowId,
      type: job.type,
      rowNumberHint: job.rowNumber,
      source: job.source,
      ...fields,
    });
  }

  private async run(job: JobRecord, ac: AbortController): Promise<void> {
    const { queue, log } = this.o;
    const started = Date.now();
    queue.setStatus(job.jobId, this.owner, 'downloading');
    this.update(job, { status: 'downloading', lastAttempt: isoSeconds(started) });
    this.o.onEvent?.({ type: 'started', job });
    log.info(
      {
        jobId: job.jobId,
        kind: job.kind ?? 'archive',
        rowId: job.rowId,
        source: job.source,
        attempt: job.attempt,
        links: job.links.length,
      },
      'job started',
    );

    let progress: JobProgress | null = null;
    let lostLease = false;
    const beat = setInterval(
      () => {
        if (!queue.heartbeat(job.jobId, this.owner, this.o.leaseMs, progress)) {
          lostLease = true;
          ac.abort(new ArchiveError('cancelled', 'lease lost'));
        }
      },
      Math.max(50, Math.floor(this.o.leaseMs / 3)),
    );
    const timeout = setTimeout(
      () => ac.abort(new ArchiveError('network', `timed out after ${Math.round(this.o.jobTimeoutMs / 1000)} s; the job is retried`)),
      this.o.jobTimeoutMs,
    );

    let outcome: JobOutcome | null = null;
    let abortReason: unknown = null;
    const store = new AttemptStore(this.o.store);
    try {
      try {
        const onProgress = (p: JobProgress) => {
          progress = p;
          this.o.onEvent?.({ type: 'progress', job, progress: p });
        };
        const common = { store, prefix: this.o.prefix, workRoot: this.o.workRoot, log };
        outcome =
          job.kind === 'reprocess'
            ? await executeReprocess(job, { ...common, ...this.o.reprocess }, ac.signal, onProgress)
            : await executeJob(job, { ...common, source: this.o.sources[job.source] }, ac.signal, onProgress);
      } catch (err) {
        abortReason = ac.signal.aborted ? ac.signal.reason : err;
      } finally {
        clearTimeout(timeout);
      }

      if (abortReason !== null) {
        const current = queue.get(job.jobId);
        if (current?.status === 'cancelled') {
          await this.discard(job, store, []);
          this.update(job, {
            status: 'failed',
            error: cancelledLine(job),
          });
          this.o.onEvent?.({ type: 'finished', job: current });
          log.info({ jobId: job.jobId }, 'job cancelled');
          return;
        }
        if (lostLease || this.stopped) {
          // another worker may hold the job now and write the same keys: leave the objects to it
          log.warn({ jobId: job.jobId }, 'job interrupted; it returns to the queue when its lease expires');
          return;
        }
        // A timeout or an unexpected throw is a failed attempt like any other.
        outcome = {
          files: [],
          mediaIds: [],
          error:
            abortReason instanceof ArchiveError
              ? abortReason
              : new ArchiveError('system', String((abortReason as Error)?.message ?? abortReason)),
        };
      }
      // Still holding the lease (the heartbeat runs on): take back what a failed attempt wrote and no row will list.
      if (outcome!.error && !lostLease) await this.discard(job, store, outcome!.files);
    } finally {
      clearInterval(beat);
    }
    this.record(job, outcome!, started);
  }

  /**
   * Deletes the objects a failed or cancelled attempt created, keeping `reported` (the items it
   * archived, recorded on the job) and every file earlier attempts recorded (job.files).
   */
  private async discard(job: JobRecord, store: AttemptStore, reported: readonly string[]): Promise<void> {
    const r = await store.discard([...job.files, ...reported]);
    if (r.removed.length || r.failed.length) {
      this.o.log.info({ jobId: job.jobId, attempt: job.attempt, removed: r.removed.length }, 'removed the objects of a failed attempt');
    }
    for (const f of r.failed)
      this.o.log.warn({ jobId: job.jobId, key: f.key, err: f.message }, 'could not remove an object of a failed attempt');
  }

  /** Holds back the other jobs of `job`'s lane until `until` (ms since epoch). */
  private pauseLane(job: JobRecord, until: number): void {
    const lane = laneOf(job.source, job.links, job.kind);
    this.pausedLanes.set(lane, Math.max(until, this.pausedLanes.get(lane) ?? 0));
    this.o.log.warn({ lane, jobId: job.jobId, untilMs: until - Date.now() }, 'rate limited: pausing the lane');
  }

  /** Lanes paused now (for tests and diagnostics). */
  get pausedLaneNames(): string[] {
    const now = Date.now();
    return [...this.pausedLanes].filter(([, until]) => until > now).map(([lane]) => lane);
  }

  private record(job: JobRecord, outcome: JobOutcome, started: number): void {
    const { queue, log } = this.o;
    const partial = { files: outcome.files, mediaIds: outcome.mediaIds };
    let finished: JobRecord;
    try {
      if (!outcome.error) {
        finished = queue.complete(job.jobId, this.owner, partial);
      } else {
        const e = outcome.error;
        const automatic = job.attempt < Math.min(job.maxAttempts, MAX_AUTO_ATTEMPTS);
        const delay = automatic ? retryDelayMs(e.category, job.attempt, this.o.retryScale) : null;
        const retryAt = delay === null ? null : Date.now() + Math.max(delay, (e.retryAfterMs ?? 0) * this.o.retryScale);
        if (e.category === 'rate_limit')
          this.pauseLane(job, retryAt ?? Date.now() + Math.max(1000, (e.retryAfterMs ?? 60_000) * this.o.retryScale));
        finished = queue.fail(job.jobId, this.owner, { category: e.category, message: e.message }, retryAt, partial);
      }
    } catch (err) {
      // The lease moved to another process (we were presumed dead): its result wins.
      log.warn({ jobId: job.jobId, err: (err as Error).message }, 'result not recorded: lease lost');
      return;
    }
    const sheetFiles = finished.files.filter(isListedFile);
    this.update(finished, {
      status: sheetStatusOf(finished.status),
      files: sheetFiles,
      mediaIds: finished.mediaIds,
      error:
        finished.status === 'cancelled'
          ? cancelledLine(job)
          : outcome.error
            ? { source: job.source, attempt: job.attempt, category: outcome.error.category, message: outcome.error.message }
            : null,
    });
    this.o.onEvent?.({ type: 'finished', job: finished });
    log.info(
      {
        jobId: job.jobId,
        status: finished.status,
        files: finished.files.length,
        ms: Date.now() - started,
        category: outcome.error?.category,
      },
      'job finished',
    );
  }
}
