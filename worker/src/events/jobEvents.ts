/**
 * The job lifecycle's one in-process emitter (docs/design.md §4, §9). The pipeline emits here,
 * synchronously right after the backend change each event describes — the dispatch, retry and
 * cancel routes (queued, cancelled), the runner (started, progress, finished) — and then:
 * 1. the event goes to the durable log and its live bus (when there is one), so it is stored
 *    before the HTTP answer is sent or the runner moves on;
 * 2. every in-process subscriber sees it: the status write-back (sheets/projector.ts), the CLI's
 *    progress bar, the catalogue's sessions, the metrics.
 *
 * `job.progress` is coalesced to at most one per job per `progressGapMs` (1 s), except the end
 * of each link (fraction reaching a link boundary is always kept), so a chatty yt-dlp cannot
 * flood the log. A finished attempt that will be retried is `job.failed` with `retrying: true`.
 */
import type { JobProgress, JobRecord } from '../../../shared/schemas.js';
import { silentLogger, type Logger } from '../log.js';
import type { RunSummary } from '../runs/summary.js';
import type { EventBus } from './bus.js';
import type { EventType } from './types.js';

/**
 * One step of a job's life (design §9's job.* events):
 * - `queued`: enqueued by a dispatch, or put back by a manual retry;
 * - `started`: leased and begun by a runner (job.started);
 * - `progress`: the running job moved (job.progress, coalesced in the log);
 * - `finished`: an attempt ended; `job.status` says how: completed (job.completed), retrying or
 *   failed (job.failed), or cancelled (a cancelled job's holder let go of it);
 * - `cancelled`: cancelled on request (API, erase), whether or not it was running (job.cancelled).
 */
export type JobLifecycleEvent =
  | { type: 'queued'; job: JobRecord }
  | { type: 'started'; job: JobRecord }
  | { type: 'progress'; job: JobRecord; progress: JobProgress }
  | { type: 'finished'; job: JobRecord }
  | { type: 'cancelled'; job: JobRecord };

/** A subscriber; it must not throw (a throw is logged and the others still run). */
export type JobLifecycleListener = (e: JobLifecycleEvent) => void;

export interface JobEventsOptions {
  /** least time between two progress events of one job, ms (default 1000) */
  progressGapMs?: number;
  now?: () => number;
  /** where a throwing subscriber is reported */
  log?: Logger;
}

/** The payload every job event carries. */
function jobData(job: JobRecord): Record<string, unknown> {
  return {
    kind: job.kind ?? 'archive',
    status: job.status,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    rowNumber: job.rowNumber,
    sheetName: job.sheetName,
    links: job.links.length,
  };
}

export class JobEvents<B extends EventBus | null = EventBus> {
  private readonly lastProgress = new Map<string, number>();
  private readonly gap: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly listeners = new Set<JobLifecycleListener>();

  /**
   * @param bus the durable log's bus (system.ts); null where nothing is stored (tests, tools):
   *   the in-process subscribers still see every event.
   */
  constructor(
    readonly bus: B,
    opts: JobEventsOptions = {},
  ) {
    this.gap = opts.progressGapMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
  }

  /** Subscribes to every lifecycle event from now on. @returns the unsubscribe function. */
  on(listener: JobLifecycleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emits one lifecycle event: stored in the log first, then handed to every subscriber. */
  emit(e: JobLifecycleEvent): void {
    this.record(e);
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ jobId: e.job.jobId, type: e.type, err: (err as Error).message }, 'job event subscriber failed');
      }
    }
  }

  private publish(type: EventType, job: JobRecord, extra: Record<string, unknown> = {}): void {
    this.bus?.publish({
      type,
      jobId: job.jobId,
      rowId: job.rowId,
      spreadsheetId: job.spreadsheetId,
      source: job.source,
      data: { ...jobData(job), ...extra },
    });
  }

  /** A job was enqueued (dispatch) or put back to queued (manual retry). */
  queued(job: JobRecord): void {
    this.emit({ type: 'queued', job });
  }

  /** A job was cancelled on request (queued, retrying or running). */
  cancelled(job: JobRecord): void {
    this.emit({ type: 'cancelled', job });
  }

  /**
   * A run's jobs are all finished (runs/runLogs.ts): `run.finished` with the session's counts,
   * the summary line of its run log (runs/summary.ts).
   */
  runFinished(s: RunSummary): void {
    const { spreadsheetId, ...data } = s;
    this.bus?.publish({ type: 'run.finished', jobId: null, rowId: null, spreadsheetId, source: null, data: { ...data } });
  }

  /** The durable log's side of an event (design §9 names). */
  private record(e: JobLifecycleEvent): void {
    const { job } = e;
    if (e.type === 'queued') this.publish('job.queued', job);
    else if (e.type === 'cancelled') {
      this.lastProgress.delete(job.jobId);
      this.publish('job.cancelled', job, { error: job.error });
    } else if (e.type === 'started') {
      this.lastProgress.delete(job.jobId);
      this.publish('job.started', job, { status: 'downloading' });
    } else if (e.type === 'progress') {
      if (this.keepProgress(job, e.progress)) this.publish('job.progress', job, progressData(e.progress));
    } else {
      this.lastProgress.delete(job.jobId);
      // a cancel is recorded where it was asked for (the `cancelled` event)
      if (job.status === 'cancelled') return;
      if (job.status === 'completed')
        this.publish('job.completed', job, { files: job.files.filter((f) => !f.endsWith('/metadata.json')), mediaIds: job.mediaIds });
      else this.publish('job.failed', job, { error: job.error, retrying: job.status === 'retrying', nextRunAt: job.nextRunAt });
    }
  }

  private keepProgress(job: JobRecord, p: JobProgress): boolean {
    const now = this.now();
    const last = this.lastProgress.get(job.jobId);
    const boundary = Math.abs(p.fraction * job.links.length - Math.round(p.fraction * job.links.length)) < 1e-9 && p.fraction > 0;
    if (last !== undefined && now - last < this.gap && !boundary) return false;
    this.lastProgress.set(job.jobId, now);
    return true;
  }
}

/** `job.progress` payload: percent 0–100 (one decimal), bytes, stage. */
export function progressData(p: JobProgress): Record<string, unknown> {
  return {
    percent: Math.round(p.fraction * 1000) / 10,
    ...(p.bytes !== undefined ? { bytes: p.bytes } : {}),
    ...(p.totalBytes !== undefined ? { totalBytes: p.totalBytes } : {}),
    ...(p.speed !== undefined ? { speed: p.speed } : {}),
    stage: p.message ?? 'downloading',
  };
}
