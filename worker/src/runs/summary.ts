/** A run's tally: what its jobs came to, written as the last line of its log (runs/runLog.ts). */
import type { JobRecord } from '../../../shared/schemas.js';

/** How a run was started: `sheet-archiver run`, or a dispatch accepted by `serve`. */
export type RunKind = 'run' | 'dispatch';

/** What is known of a run when it starts. */
export interface RunMeta {
  runId: string;
  kind: RunKind;
  spreadsheetId: string;
  sheetName: string;
}

/** The summary line's `summary` (and `run.finished`'s data). Times ISO 8601 UTC; bytes and ms are numbers. */
export interface RunSummary extends RunMeta {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** jobs of the run that finished (completed, failed or cancelled), plus those left open (`other`) */
  jobs: number;
  /** distinct rows among them */
  rows: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** jobs not finished when the run ended (a `run` stopped, say) */
  other: number;
  /** failed and cancelled jobs by error category (design §4), e.g. `{ "network": 2 }` */
  categories: Record<string, number>;
  /** bytes stored by the run's jobs in this process */
  bytes: number;
  /** files the completed jobs list (metadata.json included) */
  files: number;
}

export const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Adds up a run's jobs: each job's last state wins. */
export class RunTally {
  private readonly jobs = new Map<string, { status: string; rowId: string; category: string | null; files: number }>();
  private bytes = 0;

  constructor(
    readonly meta: RunMeta,
    readonly startedMs: number,
  ) {}

  /** A job of the run was seen (started or finished); its latest record replaces the earlier. */
  see(job: JobRecord): void {
    this.jobs.set(job.jobId, {
      status: job.status,
      rowId: job.rowId,
      category: job.status === 'failed' || job.status === 'cancelled' ? (job.error?.category ?? job.status) : null,
      files: job.status === 'completed' ? job.files.length : 0,
    });
  }

  /** A job of the run was cancelled outside the runner (queued or waiting to retry). */
  cancelled(jobId: string, rowId: string): void {
    this.jobs.set(jobId, { status: 'cancelled', rowId, category: 'cancelled', files: 0 });
  }

  addBytes(n: number): void {
    this.bytes += n;
  }

  summary(now: number = Date.now()): RunSummary {
    const s: RunSummary = {
      ...this.meta,
      startedAt: new Date(this.startedMs).toISOString(),
      finishedAt: new Date(now).toISOString(),
      durationMs: Math.max(0, now - this.startedMs),
      jobs: this.jobs.size,
      rows: new Set([...this.jobs.values()].map((j) => j.rowId)).size,
      completed: 0,
      failed: 0,
      cancelled: 0,
      other: 0,
      categories: {},
      bytes: this.bytes,
      files: 0,
    };
    for (const j of this.jobs.values()) {
      if (j.status === 'completed' || j.status === 'failed' || j.status === 'cancelled') s[j.status]++;
      else s.other++;
      if (j.category) s.categories[j.category] = (s.categories[j.category] ?? 0) + 1;
      s.files += j.files;
    }
    return s;
  }
}
