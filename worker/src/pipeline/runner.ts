/**
 * The job runner: leases jobs from the backend up to a concurrency limit, keeps each lease alive
 * with heartbeats, runs the job, and records the outcome as jobs/retry.ts decides. It emits the
 * job's lifecycle events (events/jobEvents.ts); the status write-back and every other observer
 * subscribe there. A job whose lease is lost (its process died) comes back through the backend.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { SourceName } from '../../../shared/columns.js';
import type { JobProgress, JobRecord } from '../../../shared/schemas.js';
import { ArchiveError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { JobEvents, JobLifecycleEvent } from '../events/jobEvents.js';
import type { Logger } from '../log.js';
import { decideRetry } from '../jobs/retry.js';
import type { JobBackend } from '../jobs/types.js';
import type { Source } from '../sources/types.js';
import { AttemptStore } from '../storage/attempt.js';
import type { ObjectStore } from '../storage/types.js';
import { executeJob, type JobOutcome } from './executeJob.js';
import { executeReprocess } from './executeReprocess.js';
import type { ReprocessStep, ReprocessTools } from './reprocess/types.js';

export { isoSeconds } from '../sheets/projector.js';

export interface RunnerOptions {
  queue: JobBackend;
  /** where the runner emits started, progress and finished (the status write-back subscribes there) */
  events: JobEvents<EventBus | null>;
  sources: Partial<Record<SourceName, Source>>;
  store: ObjectStore;
  /** design §5 `<prefix>` */
  prefix: string;
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
  /** the logger of one job's lines (runs/runLogs.ts: with its run id, into its run's file); default `log` */
  jobLog?: (job: JobRecord) => Logger;
  /** `reprocess` jobs (executeReprocess.ts): the steps (default DEFAULT_REPROCESS_STEPS) and ffmpeg/ffprobe */
  reprocess?: { steps?: readonly ReprocessStep[]; tools?: ReprocessTools };
}

/** What runner observers see: the job lifecycle events (kept under this name for its subscribers). */
export type RunnerEvent = JobLifecycleEvent;

/** Why a running job was stopped, when it was not its own failure. */
class Interrupt extends Error {
  constructor(readonly why: 'lease_lost' | 'stopping') {
    super(why === 'lease_lost' ? 'lease lost' : 'worker stopping');
  }
}

export class Runner {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly running = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private ticking = false;
  private again = false;
  private idleWaiters: (() => void)[] = [];
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
   * Kills a job running in this process (cancel): the reason, a `cancelled` ArchiveError, is what
   * the runner records. A job not running here needs nothing: its cancel event already projected
   * the row (sheets/projector.ts).
   * @returns whether it was running here.
   */
  abort(jobId: string, reason = 'cancelled on request'): boolean {
    const ac = this.running.get(jobId);
    if (!ac) return false;
    ac.abort(new ArchiveError('cancelled', reason));
    return true;
  }

  /**
   * Stops leasing; running jobs are aborted when `abortRunning` (and handed back to the backend
   * for another worker: JobConsumer.release), else awaited.
   */
  async stop(abortRunning = false): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (abortRunning) for (const ac of this.running.values()) ac.abort(new Interrupt('stopping'));
    while (this.running.size > 0 || this.ticking) await new Promise((r) => setTimeout(r, 50));
  }

  /** Resolves when nothing runs here and the backend has no open job (retries included). */
  idle(): Promise<void> {
    return new Promise((r) => {
      this.idleWaiters.push(r);
      void this.checkIdle();
    });
  }

  private async checkIdle(): Promise<void> {
    if (!this.idleWaiters.length || this.running.size > 0) return;
    if ((await this.o.queue.openCount()) === 0 && this.running.size === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.fill()
      .catch((err: unknown) => {
        this.o.log.warn({ err: (err as Error).message }, 'runner could not lease; trying again');
        return this.o.pollMs ?? 500;
      })
      .then(async (wait) => {
        await this.checkIdle().catch(() => undefined);
        this.ticking = false;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.tick());
        } else this.timer = setTimeout(() => this.tick(), wait);
      });
  }

  /** Leases and launches jobs up to the concurrency limit. @returns how long to wait before the next look, ms. */
  private async fill(): Promise<number> {
    const gap = this.o.launchGapMs ?? 250;
    let wait = this.o.pollMs ?? 500;
    while (!this.stopped && this.running.size < this.o.concurrency) {
      const sinceLast = Date.now() - this.lastLaunch;
      if (sinceLast < gap) {
        wait = Math.min(wait, gap - sinceLast);
        break;
      }
      const lease = await this.o.queue.lease(this.owner, this.o.leaseMs);
      if (!lease) break;
      this.lastLaunch = Date.now();
      this.launch(lease.job);
    }
    return wait;
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

  private async run(job: JobRecord, ac: AbortController): Promise<void> {
    const { queue, events } = this.o;
    const log = this.o.jobLog?.(job) ?? this.o.log;
    const started = Date.now();
    await queue.setStatus(job.jobId, this.owner, 'downloading');
    events.emit({ type: 'started', job });
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
    const beat = setInterval(
      () => {
        queue.heartbeat(job.jobId, this.owner, this.o.leaseMs, progress).then(
          (answer) => {
            if (answer === 'cancelled') ac.abort(new ArchiveError('cancelled', 'cancelled on request'));
            else if (answer === 'lost') ac.abort(new Interrupt('lease_lost'));
          },
          (err: unknown) =>
            log.warn({ jobId: job.jobId, err: (err as Error).message }, 'heartbeat failed; the lease runs on until it expires'),
        );
      },
      Math.max(50, Math.floor(this.o.leaseMs / 3)),
    );
    const timeout = setTimeout(
      () => ac.abort(new ArchiveError('network', `timed out after ${Math.round(this.o.jobTimeoutMs / 1000)} s; the job is retried`)),
      this.o.jobTimeoutMs,
    );

    let outcome: JobOutcome | null = null;
    const store = new AttemptStore(this.o.store);
    try {
      let abortReason: unknown = null;
      try {
        const onProgress = (p: JobProgress) => {
          // a killed download may still flush output: after the abort (a cancel) no progress is news
          if (ac.signal.aborted) return;
          progress = p;
          events.emit({ type: 'progress', job, progress: p });
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

      if (abortReason instanceof Interrupt) {
        if (abortReason.why === 'stopping') {
          // graceful stop: back to the front of its lane for another worker, at the same attempt
          await queue.release(job.jobId, this.owner).catch(() => undefined);
          log.warn({ jobId: job.jobId }, 'job interrupted by the stop; handed back to the queue');
        } else {
          // another worker may hold the job now and write the same keys: leave the objects to it
          log.warn({ jobId: job.jobId }, 'job interrupted: its lease was lost');
        }
        return;
      }
      if (abortReason !== null) {
        // a cancel (the reason is a `cancelled` ArchiveError), a timeout, or an unexpected throw:
        // a failed attempt like any other; decideRetry never retries a cancel
        const error =
          abortReason instanceof ArchiveError
            ? abortReason
            : new ArchiveError('system', String((abortReason as Error)?.message ?? abortReason));
        outcome = { files: [], mediaIds: [], error, errors: [error] };
      }
      // Still holding the lease (the heartbeat runs on): take back what a failed attempt wrote and no row will list.
      if (outcome!.error) await this.discard(job, store, outcome!.error.category === 'cancelled' ? [] : outcome!.files, log);
    } finally {
      clearInterval(beat);
    }
    await this.record(job, outcome!, started, log);
  }

  /**
   * Deletes the objects a failed or cancelled attempt created, keeping `reported` (the items it
   * archived, recorded on the job) and every file earlier attempts recorded (job.files).
   */
  private async discard(job: JobRecord, store: AttemptStore, reported: readonly string[], log: Logger): Promise<void> {
    const r = await store.discard([...job.files, ...reported]);
    if (r.removed.length || r.failed.length) {
      log.info({ jobId: job.jobId, attempt: job.attempt, removed: r.removed.length }, 'removed the objects of a failed attempt');
    }
    for (const f of r.failed) log.warn({ jobId: job.jobId, key: f.key, err: f.message }, 'could not remove an object of a failed attempt');
  }

  private async record(job: JobRecord, outcome: JobOutcome, started: number, log: Logger): Promise<void> {
    const { queue } = this.o;
    const cancelled = outcome.error?.category === 'cancelled';
    // a cancelled attempt records nothing it archived: discard() removed it
    const partial = cancelled ? { files: [], mediaIds: [] } : { files: outcome.files, mediaIds: outcome.mediaIds };
    let finished: JobRecord;
    try {
      if (!outcome.error) {
        finished = await queue.complete(job.jobId, this.owner, partial);
      } else {
        const errors = outcome.errors.length ? outcome.errors : [outcome.error];
        const v = decideRetry(job, errors, { now: Date.now(), retryScale: this.o.retryScale });
        if (v.pause) {
          await queue.pauseLane(v.pause);
          log.warn({ lane: v.pause.lane, jobId: job.jobId, untilMs: v.pause.untilMs - Date.now() }, 'rate limited: pausing the lane');
        }
        finished = await queue.fail(job.jobId, this.owner, { category: v.error.category, message: v.error.message }, v.decision, partial);
      }
    } catch (err) {
      // The lease moved to another process (we were presumed dead): its result wins.
      log.warn({ jobId: job.jobId, err: (err as Error).message }, 'result not recorded: lease lost');
      return;
    }
    // the end line first: the event may end the job's run, and its log file with it (runs/runLogs.ts)
    log.info(
      {
        jobId: job.jobId,
        status: finished.status,
        files: finished.files.length,
        ms: Date.now() - started,
        category: outcome.error?.category,
      },
      finished.status === 'cancelled' ? 'job cancelled' : 'job finished',
    );
    this.o.events.emit({ type: 'finished', job: finished });
  }
}
