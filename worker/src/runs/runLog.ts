/**
 * One run's log file: `<ARCHIVER_DATA>/logs/runs/<run id>.jsonl`, pino JSON lines (every line
 * carries `runId`), opened with a `run started` line and closed with a `run finished` line whose
 * `summary` is the run's RunSummary (summary.ts). The same lines still go to the worker's own log.
 */
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { teeLogger, type Logger } from '../log.js';
import { RunTally, type RunMeta, type RunSummary } from './summary.js';

/** The `msg` of a run log's first and last lines (runs/read.ts looks for them). */
export const RUN_STARTED = 'run started';
export const RUN_RESUMED = 'run resumed';
export const RUN_FINISHED = 'run finished';
export const RUN_INTERRUPTED = 'run interrupted';

export class RunLog {
  /** every line of the run's jobs goes through this (or a child of it) */
  readonly log: Logger;
  readonly tally: RunTally;
  /** job ids not yet finished */
  readonly open = new Set<string>();
  private readonly file: pino.DestinationStream & { end(): void };
  private ended = false;

  /**
   * Opens (appends to) the file and writes the first line.
   * @param resumed the run was started earlier (another process, or it had finished and a job of it runs again)
   */
  constructor(
    readonly path: string,
    readonly meta: RunMeta,
    parent: Logger,
    first: { resumed: boolean; jobs: number; existing?: number; now?: number },
  ) {
    // a run first seen through its job (a reprocess request, say) still starts its own file
    const resumed = first.resumed && existsSync(path);
    // synchronous writes: a killed process loses no line (a run writes a handful per job)
    this.file = pino.destination({ dest: path, sync: true, append: true, mkdir: true });
    // A line logged after the run ended (a late subscriber of its last job) still reaches the
    // worker's log; the closed file drops it instead of throwing "SonicBoom destroyed".
    const file = { write: (line: string) => (this.ended ? true : this.file.write(line)) } as pino.DestinationStream;
    this.log = teeLogger(parent, file).child({ runId: meta.runId });
    this.tally = new RunTally(meta, first.now ?? Date.now());
    this.log.info(
      { run: { ...meta, jobs: first.jobs, ...(first.existing ? { existing: first.existing } : {}) } },
      resumed ? RUN_RESUMED : RUN_STARTED,
    );
  }

  /** Writes the summary line and closes the file. */
  finish(now: number = Date.now()): RunSummary {
    const summary = this.tally.summary(now);
    this.log.info({ summary }, RUN_FINISHED);
    this.end();
    return summary;
  }

  /**
   * Closes the file without a summary: a `run interrupted` line with the counts so far (the
   * process stops mid-run; its open jobs resume on a later start, as `run resumed`).
   */
  close(): void {
    if (this.ended) return;
    this.log.info({ summary: this.tally.summary() }, RUN_INTERRUPTED);
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.file.end();
  }
}
