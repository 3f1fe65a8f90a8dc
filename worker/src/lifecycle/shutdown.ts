/**
 * Graceful shutdown of `serve` and `work` (docs/scaling.md "Rolling restarts"): on SIGTERM or
 * SIGINT, stop leasing; let running jobs finish within ARCHIVER_SHUTDOWN_S; abort the rest and hand
 * them back to the queue; close the HTTP listeners (in-flight requests finish); flush the status
 * reporter and the webhook/event outboxes; exit 0. A second signal exits at once.
 *
 * The listeners close before the flush so a dispatch answered during the drain still has its
 * events and statuses flushed, and no request reaches a closed queue.
 */
import type { Logger } from '../log.js';

/** The runner as shutdown sees it. */
export interface Drainable {
  /** Takes no new job from now on. */
  stopLeasing(): void;
  /** Ids of the jobs running in this process now. */
  running(): string[];
  /** Aborts every running job (they record nothing and keep their lease). */
  abortAll(): void;
  /**
   * Hands a job this process held back to the front of its lane at the same attempt
   * (JobConsumer.release). Absent: `abortAll` hands them back itself (the Runner does).
   */
  release?(jobId: string): Promise<void>;
}

/** Something closed at the end, in order: an HTTP listener, the reporter, the queue. */
export interface Closer {
  name: string;
  close(): Promise<void>;
}

export interface ShutdownPlan {
  /** absent for `serve --no-runner` */
  runner?: Drainable;
  /** how long running jobs may take to finish, ms (ARCHIVER_SHUTDOWN_S × 1000) */
  deadlineMs: number;
  /** how long aborted jobs get to wind down before they are released, ms (default 5000) */
  abortGraceMs?: number;
  /** HTTP listeners: stop accepting, finish in-flight requests */
  listeners: Closer[];
  /** flushed after the listeners: status reporter, webhooks, event bus, queue */
  flush: Closer[];
  log: Logger;
  /** poll interval while waiting for jobs, ms (default 100) */
  pollMs?: number;
}

/** What a shutdown did, for the log and tests. */
export interface ShutdownResult {
  /** jobs that finished on their own during the drain */
  finished: string[];
  /** jobs aborted at the deadline (and released where the queue can) */
  aborted: string[];
  /** jobs handed back with release() */
  released: string[];
  /** closers that threw (their message is logged; the shutdown goes on) */
  failed: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `running()` until it is empty or `ms` passed; the ids still running. */
async function waitDrained(runner: Drainable, ms: number, pollMs: number): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = runner.running();
    if (left.length === 0 || Date.now() >= until) return left;
    await sleep(Math.min(pollMs, Math.max(1, until - Date.now())));
  }
}

/**
 * Runs the shutdown steps in order and resolves when all are done. Never throws: a failing step
 * is logged and recorded in `failed`, and the next step runs.
 */
export async function gracefulShutdown(plan: ShutdownPlan): Promise<ShutdownResult> {
  const { log, runner } = plan;
  const pollMs = plan.pollMs ?? 100;
  const result: ShutdownResult = { finished: [], aborted: [], released: [], failed: [] };
  if (runner) {
    runner.stopLeasing();
    const atStart = runner.running();
    log.info({ running: atStart.length, deadlineS: plan.deadlineMs / 1000 }, 'shutdown: stopped leasing; waiting for running jobs');
    const left = await waitDrained(runner, plan.deadlineMs, pollMs);
    result.finished = atStart.filter((id) => !left.includes(id));
    if (left.length) {
      log.warn({ jobs: left }, 'shutdown: deadline reached; aborting the jobs still running and handing them back');
      runner.abortAll();
      result.aborted = left;
      const stuck = await waitDrained(runner, plan.abortGraceMs ?? 5000, pollMs);
      if (stuck.length) log.warn({ jobs: stuck }, 'shutdown: jobs did not stop after the abort; their leases expire on their own');
      for (const id of left) {
        if (!runner.release) break;
        try {
          await runner.release(id);
          result.released.push(id);
        } catch (err) {
          log.warn({ jobId: id, err: (err as Error).message }, 'shutdown: job not handed back; it returns when its lease expires');
        }
      }
      if (!runner.release) log.info({ jobs: left }, 'shutdown: the aborted jobs were handed back as they stopped');
    } else {
      log.info({ finished: result.finished.length }, 'shutdown: running jobs finished');
    }
  }
  for (const step of [...plan.listeners, ...plan.flush]) {
    try {
      await step.close();
      log.info({ step: step.name }, 'shutdown: closed');
    } catch (err) {
      result.failed.push(step.name);
      log.error({ step: step.name, err: (err as Error).message }, 'shutdown: step failed');
    }
  }
  log.info({ finished: result.finished.length, aborted: result.aborted.length, released: result.released.length }, 'shutdown: done');
  return result;
}

/** The process side of shutdown (signal handling), separated so tests can call it with fakes. */
export interface SignalIo {
  on(signal: NodeJS.Signals, handler: () => void): void;
  exit(code: number): void;
}

const processIo: SignalIo = { on: (s, h) => void process.on(s, h), exit: (c) => process.exit(c) };

/** Exit code of a second signal: 128 + the signal's number (SIGINT 2 → 130, SIGTERM 15 → 143). */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * On the first SIGTERM/SIGINT runs `shutdown` and exits 0 (1 when it threw); a second signal exits
 * at once with 128 + its number.
 */
export function onStopSignals(shutdown: (signal: NodeJS.Signals) => Promise<unknown>, log: Logger, io: SignalIo = processIo): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    io.on(signal, () => {
      if (stopping) {
        log.warn({ signal }, 'shutdown: second signal, exiting now');
        io.exit(SIGNAL_EXIT[signal] ?? 1);
        return;
      }
      stopping = true;
      log.info({ signal }, 'shutdown: signal received');
      shutdown(signal).then(
        () => io.exit(0),
        (err: unknown) => {
          log.error({ err: (err as Error).message }, 'shutdown failed');
          io.exit(1);
        },
      );
    });
  }
}
