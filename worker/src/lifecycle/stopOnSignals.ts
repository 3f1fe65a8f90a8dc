/**
 * The shutdown of a running worker system (`serve`, `serve --no-runner`, `work`): wires SIGTERM and
 * SIGINT to gracefulShutdown with the system's runner, listeners and outboxes.
 */
import type { Logger } from '../log.js';
import type { System } from '../system.js';
import { drainableRunner } from './drain.js';
import { gracefulShutdown, onStopSignals, type Closer } from './shutdown.js';

export interface StopOptions {
  system: System;
  /** whether this process runs jobs (false for `serve --no-runner`) */
  runsJobs: boolean;
  /** HTTP listeners, closed after the drain (in-flight requests finish) */
  listeners: Closer[];
  /** background loops stopped before the outboxes flush (alert monitor, verify schedule) */
  loops?: Closer[];
  log: Logger;
  /** called first on the signal: `serve` makes /readyz answer 503 so a load balancer drains it */
  onStopping?: () => void;
}

/** Installs the SIGTERM/SIGINT handlers; the process exits 0 once everything is flushed. */
export function stopOnSignals(o: StopOptions): void {
  const { system, log } = o;
  onStopSignals(() => {
    o.onStopping?.();
    return gracefulShutdown({
      ...(o.runsJobs ? { runner: drainableRunner(system.runner) } : {}),
      deadlineMs: system.config.env.ARCHIVER_SHUTDOWN_S * 1000,
      listeners: o.listeners,
      flush: [
        ...(o.loops ?? []),
        // flushes the status outbox to the sheet, the webhook outbox, the event bus; closes the queue
        { name: 'status reporter, webhooks, events and queue', close: () => system.close({ abortRunning: true }) },
      ],
      log,
    });
  }, log);
}
