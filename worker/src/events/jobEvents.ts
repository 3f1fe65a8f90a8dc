/**
 * Job changes as events (docs/design.md §9). Called synchronously right after the queue change
 * they describe — the dispatch, retry and cancel routes, and the runner's onEvent hook — so the
 * event is in the log before the HTTP answer is sent or the runner moves on.
 *
 * `job.progress` is coalesced to at most one per job per `progressGapMs` (1 s), except the end
 * of each link (fraction reaching a link boundary is always kept), so a chatty yt-dlp cannot
 * flood the log. A finished attempt that will be retried is `job.failed` with `retrying: true`.
 */
import type { JobProgress, JobRecord } from '../../../shared/schemas.js';
import type { RunnerEvent } from '../pipeline/runner.js';
import type { RunSummary } from '../runs/summary.js';
import type { EventBus } from './bus.js';
import type { ArchiverEvent, EventType } from './types.js';

export interface JobEventsOptions {
  /** least time between two progress events of one job, ms (default 1000) */
  progressGapMs?: number;
  now?: () => number;
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

export class JobEvents {
  private readonly lastProgress = new Map<string, number>();
  private readonly gap: number;
  private readonly now: () => number;

  constructor(
    readonly bus: EventBus,
    opts: JobEventsOptions = {},
  ) {
    this.gap = opts.progressGapMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  private emit(type: EventType, job: JobRecord, extra: Record<string, unknown> = {}): ArchiverEvent {
    return this.bus.publish({
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
    this.emit('job.queued', job);
  }

  /** A job was cancelled through the API (queued, retrying or running). */
  cancelled(job: JobRecord): void {
    this.lastProgress.delete(job.jobId);
    this.emit('job.cancelled', job, { error: job.error });
  }

  /**
   * A run's jobs are all finished (runs/runLogs.ts): `run.finished` with the session's counts,
   * the summary line of its run log (runs/summary.ts).
   */
  runFinished(s: RunSummary): void {
    const { spreadsheetId, ...data } = s;
    this.bus.publish({ type: 'run.finished', jobId: null, rowId: null, spreadsheetId, source: null, data: { ...data } });
  }

  /** The runner's hook (pipeline/runner.ts onEvent). */
  onRunnerEvent(e: RunnerEvent): void {
    const { job } = e;
    if (e.type === 'started') {
      this.lastProgress.delete(job.jobId);
      this.emit('job.started', job, { status: 'downloading' });
    } else if (e.type === 'progress') {
      if (this.keepProgress(job, e.progress)) this.emit('job.progress', job, progressData(e.progress));
    } else {
      this.lastProgress.delete(job.jobId);
      // a cancel is recorded by the cancel route, where the queue changed
      if (job.status === 'cancelled') return;
      if (job.status === 'completed')
        this.emit('job.completed', job, { files: job.files.filter((f) => !f.endsWith('/metadata.json')), mediaIds: job.mediaIds });
      else this.emit('job.failed', job, { error: job.error, retrying: job.status === 'retrying', nextRunAt: job.nextRunAt });
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
