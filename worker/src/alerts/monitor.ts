/**
 * The alert monitor of `serve` (issue 11): evaluates the alerts every `intervalMs` and publishes
 * `alert.raised` / `alert.cleared` (docs/design.md §9) when an alert's state changes. The state
 * starts empty, so an alert that holds at start-up is raised once after each start.
 */
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log.js';
import type { Alert } from './alerts.js';

export interface AlertMonitorOptions {
  bus: EventBus;
  /** the alerts that hold now (buildReport(...).alerts) */
  evaluate: () => Promise<Alert[]>;
  log?: Logger;
  /** ms between evaluations (default 60 s) */
  intervalMs?: number;
}

export class AlertMonitor {
  private readonly active = new Map<string, Alert>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly o: AlertMonitorOptions) {}

  /** Alerts holding at the last evaluation. */
  get holding(): Alert[] {
    return [...this.active.values()];
  }

  /** One evaluation: publishes a raised event per new alert, a cleared event per alert gone. Never throws. */
  check(): Promise<void> {
    this.running ??= this.evaluateOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async evaluateOnce(): Promise<void> {
    let now: Alert[];
    try {
      now = await this.o.evaluate();
    } catch (err) {
      this.o.log?.warn({ err: (err as Error).message }, 'alert evaluation failed');
      return;
    }
    const ids = new Set(now.map((a) => a.id));
    for (const a of now) {
      if (this.active.has(a.id)) continue;
      this.active.set(a.id, a);
      this.o.bus.publish({ type: 'alert.raised', jobId: null, rowId: null, spreadsheetId: null, source: null, data: { ...a } });
      this.o.log?.warn({ alert: a.id, severity: a.severity }, `alert raised: ${a.message}`);
    }
    for (const [id, a] of this.active) {
      if (ids.has(id)) continue;
      this.active.delete(id);
      this.o.bus.publish({
        type: 'alert.cleared',
        jobId: null,
        rowId: null,
        spreadsheetId: null,
        source: null,
        data: { id, kind: a.kind },
      });
      this.o.log?.info({ alert: id }, 'alert cleared');
    }
  }

  /** Checks now, then every intervalMs (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.o.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running evaluation. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
