/**
 * The run logs of one process (issue 11, "run logs"): which run each job belongs to (its
 * `dispatchId` is the run id, runs/ids.ts), the per-run logger the runner logs that job with, the
 * tally, and the end of a run — its summary line, rotation, and `run.finished` (docs/design.md §9).
 *
 * - `run`: one run, finished by the command when the queue is idle; jobs left by an earlier,
 *   killed run of the same sheet are logged into it too (`defaultRun`).
 * - `serve`: one run per accepted dispatch, finished when the last job it created is finished
 *   (completed, failed for good, or cancelled). A job whose run is not open here (the worker
 *   restarted, or a finished run's job was retried) reopens that run's file ("run resumed"), and
 *   that resumed run finishes with the job.
 */
import type { JobRecord } from '../../../shared/schemas.js';
import type { Logger } from '../log.js';
import type { RunnerEvent } from '../pipeline/runner.js';
import { tapStore } from '../storage/tap.js';
import type { ObjectStore } from '../storage/types.js';
import { runLogPath } from './ids.js';
import { rotateRunLogs } from './rotate.js';
import { RunLog } from './runLog.js';
import { FINAL_STATUSES, type RunMeta, type RunSummary } from './summary.js';

export interface RunLogsOptions {
  /** the folder of the run logs (runs/ids.ts runLogDir) */
  dir: string;
  /** the worker's logger: run lines still go where it writes, at its level */
  log: Logger;
  maxAgeDays: number;
  maxBytes: number;
  /** a run finished (its summary line is written); serve and run publish `run.finished` here */
  onFinished?: (summary: RunSummary) => void;
}

/** Object sizes kept for jobs still running, at most (a discarded attempt's keys are forgotten past it). */
const MAX_TRACKED_OBJECTS = 10_000;

export class RunLogs {
  private readonly runs = new Map<string, { log: RunLog; autoFinish: boolean }>();
  /** open job → its run id and row */
  private readonly jobRun = new Map<string, { runId: string; rowId: string }>();
  private readonly sizes = new Map<string, number>();
  private defaultRun: string | null = null;
  private rotating: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: RunLogsOptions) {}

  /**
   * Starts (or adds jobs to) a run.
   * @param jobs the jobs the run created
   * @param opts.autoFinish finish when those jobs are all finished (serve); else `finish()` ends it (run)
   * @param opts.existing jobs the request named that belong to earlier runs (logged only)
   */
  open(meta: RunMeta, jobs: readonly Pick<JobRecord, 'jobId' | 'rowId'>[], opts: { autoFinish: boolean; existing?: number }): RunLog {
    let run = this.runs.get(meta.runId);
    if (!run) {
      const log = new RunLog(runLogPath(this.o.dir, meta.runId), meta, this.o.log, {
        resumed: false,
        jobs: jobs.length,
        ...(opts.existing ? { existing: opts.existing } : {}),
      });
      run = { log, autoFinish: opts.autoFinish };
      this.runs.set(meta.runId, run);
    }
    for (const j of jobs) {
      run.log.open.add(j.jobId);
      this.jobRun.set(j.jobId, { runId: meta.runId, rowId: j.rowId });
    }
    // a dispatch whose rows were all open in earlier runs has nothing of its own to wait for
    if (opts.autoFinish && run.log.open.size === 0) this.finish(meta.runId);
    return run.log;
  }

  /** Jobs of runs not open here go into this one (`run` resuming a killed run's jobs). */
  setDefault(runId: string | null): void {
    this.defaultRun = runId;
  }

  /** The run `job` belongs to, opened (resumed) when needed. */
  private runOf(job: JobRecord): RunLog {
    const known = this.jobRun.get(job.jobId)?.runId ?? job.dispatchId;
    const run = this.runs.get(known) ?? (this.defaultRun ? this.runs.get(this.defaultRun) : undefined);
    if (run) {
      if (!run.log.open.has(job.jobId)) {
        run.log.open.add(job.jobId);
        this.jobRun.set(job.jobId, { runId: run.log.meta.runId, rowId: job.rowId });
      }
      return run.log;
    }
    const meta: RunMeta = { runId: job.dispatchId, kind: 'dispatch', spreadsheetId: job.spreadsheetId, sheetName: job.sheetName };
    const log = new RunLog(runLogPath(this.o.dir, meta.runId), meta, this.o.log, { resumed: true, jobs: 1 });
    this.runs.set(meta.runId, { log, autoFinish: true });
    log.open.add(job.jobId);
    this.jobRun.set(job.jobId, { runId: meta.runId, rowId: job.rowId });
    return log;
  }

  /** The logger for one job's lines: they carry `runId` and go into the run's file too. */
  loggerFor(job: JobRecord): Logger {
    try {
      return this.runOf(job).log;
    } catch (err) {
      // a dispatch id that is no run id (an old queue) or an unwritable folder: the worker's own log
      this.o.log.warn({ jobId: job.jobId, err: (err as Error).message }, 'run log not available');
      return this.o.log.child({ runId: job.dispatchId });
    }
  }

  /** The runner's hook (pipeline/runner.ts onEvent): tallies finished jobs, ends finished runs. */
  onRunnerEvent(e: RunnerEvent): void {
    if (e.type === 'progress') return;
    const runId = this.jobRun.get(e.job.jobId)?.runId;
    const run = runId ? this.runs.get(runId) : undefined;
    if (!run) return;
    run.log.tally.see(e.job);
    if (e.type === 'finished') {
      for (const key of e.job.files) {
        const size = this.sizes.get(key);
        if (size === undefined) continue;
        run.log.tally.addBytes(size);
        this.sizes.delete(key);
      }
      if (FINAL_STATUSES.has(e.job.status)) this.settle(e.job.jobId);
    }
  }

  /** A job was cancelled outside the runner (queued, or waiting to retry): it counts as finished. */
  cancelled(jobId: string): void {
    const open = this.jobRun.get(jobId);
    const run = open ? this.runs.get(open.runId) : undefined;
    if (!open || !run) return;
    run.log.tally.cancelled(jobId, open.rowId);
    this.settle(jobId);
  }

  private settle(jobId: string): void {
    const runId = this.jobRun.get(jobId)?.runId;
    this.jobRun.delete(jobId);
    const run = runId ? this.runs.get(runId) : undefined;
    if (!run) return;
    run.log.open.delete(jobId);
    if (run.autoFinish && run.log.open.size === 0) this.finish(run.log.meta.runId);
  }

  /** Wraps the runner's store: the sizes of the objects jobs write go into their run's bytes. */
  store(inner: ObjectStore): ObjectStore {
    return tapStore(inner, (o) => {
      if (this.sizes.size >= MAX_TRACKED_OBJECTS) this.sizes.delete(this.sizes.keys().next().value!);
      this.sizes.set(o.key, o.size);
    });
  }

  /**
   * Ends a run: its summary line, then rotation and `onFinished`.
   * @returns the summary, or null when the run is not open here.
   */
  finish(runId: string, now: number = Date.now()): RunSummary | null {
    const run = this.runs.get(runId);
    if (!run) return null;
    this.runs.delete(runId);
    for (const id of run.log.open) this.jobRun.delete(id);
    const summary = run.log.finish(now);
    void this.rotate();
    this.o.onFinished?.(summary);
    return summary;
  }

  /** Rotation by age and size (runs/rotate.ts); the files of open runs are kept. Never throws. */
  rotate(): Promise<unknown> {
    const keep = new Set([...this.runs.keys()].map((id) => `${id}.jsonl`));
    this.rotating = this.rotating
      .then(() => rotateRunLogs(this.o.dir, { maxAgeDays: this.o.maxAgeDays, maxBytes: this.o.maxBytes, keep }))
      .then((removed) => {
        if (removed.length) this.o.log.info({ removed: removed.length }, 'run logs rotated');
      })
      .catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, 'run logs not rotated'));
    return this.rotating;
  }

  /** Runs open now (ids). */
  get openRuns(): string[] {
    return [...this.runs.keys()];
  }

  /** Closes the open runs' files without a summary (they resume on the next start); waits for rotation. */
  async close(): Promise<void> {
    for (const { log } of this.runs.values()) log.close();
    this.runs.clear();
    this.jobRun.clear();
    await this.rotating;
  }
}
