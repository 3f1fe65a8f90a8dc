/**
 * Sends the webhook outbox (docs/design.md §9): at-least-once, one POST per delivery row, retried
 * with exponential backoff and full jitter (5 s doubling, at most 1 h apart, times
 * ARCHIVER_RETRY_SCALE) until 24 h (times the same scale) after the event, then marked dead. A 2xx
 * ends a delivery; a 410 disables its endpoint (persisted, logged at warn) until the endpoint list
 * changes or `webhooks enable`. Pending rows resume at start-up; a kill -9 mid-POST re-sends it.
 */
import { backoffMs as backoff } from '../../../shared/backoff.js';
import type { EventBus, Subscription } from '../events/bus.js';
import type { Logger } from '../log.js';
import { displayUrl, type WebhookEndpoint } from './endpoints.js';
import { postWebhook, WEBHOOK_TIMEOUT_MS } from './deliver.js';
import { pruneFinished, WebhookStore, type Delivery } from './store.js';

export const BASE_DELAY_MS = 5_000;
export const MAX_DELAY_MS = 3600_000;
export const GIVE_UP_MS = 24 * 3600_000;

/**
 * The wait before attempt `attempts + 1`: full jitter over an exponential cap (AWS Architecture
 * blog, "Exponential Backoff and Jitter"), at least half the cap so retries never bunch at 0.
 */
export function backoffMs(attempts: number, scale = 1, random: () => number = Math.random): number {
  return backoff(attempts, { curve: 'exponential', baseMs: BASE_DELAY_MS, maxMs: MAX_DELAY_MS, jitter: [0.5, 1] }, scale, random);
}

export interface WebhookDispatcherOptions {
  endpoints: WebhookEndpoint[];
  secret: string;
  allowedHosts: readonly string[];
  bus: EventBus;
  log: Logger;
  /** multiplies the backoff and the 24 h horizon (ARCHIVER_RETRY_SCALE) */
  retryScale?: number;
  /** POSTs in flight at once (default 4) */
  concurrency?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class WebhookDispatcher {
  readonly store: WebhookStore;
  private readonly o: WebhookDispatcherOptions;
  private readonly now: () => number;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private pumping: Promise<void> | null = null;
  private again = false;
  private readonly inFlight = new Set<string>();
  /** how long a claimed delivery is hidden from other senders: the timeout plus a margin, scaled like the backoff (at least 1 s) */
  private readonly leaseMs: number;

  constructor(o: WebhookDispatcherOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.store = new WebhookStore(o.bus.log.db, { now: this.now });
    this.leaseMs = Math.max(1000, ((o.timeoutMs ?? WEBHOOK_TIMEOUT_MS) + 5000) * (o.retryScale ?? 1));
    // at construction, so events published before start() are fanned out once it starts
    for (const id of this.store.sync(o.endpoints, o.bus.log.lastId())) {
      o.log.info({ endpoint: id }, 'webhook endpoint enabled again: the endpoint list changed');
    }
  }

  /** Fans out what the log holds past the cursor (pending deliveries resume) and starts sending. */
  start(): void {
    if (this.running) return;
    this.running = true;
    pruneFinished(this.store, this.now());
    void this.listen();
    this.kick();
  }

  private async listen(): Promise<void> {
    while (this.running) {
      // a dropped subscription loses nothing: fan-out reads the log from the cursor
      this.sub = this.o.bus.subscribe({}, 10_000);
      while (this.running && (await this.sub.next()) !== null) this.kick();
    }
  }

  /** Runs a pass now (events published, or a retry due). */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((err: unknown) => this.o.log.error({ err: (err as Error).message }, 'webhooks: pass failed'))
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.schedule();
      });
  }

  private schedule(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const next = this.store.nextDueAt();
    // also wakes every 5 s for events other processes appended to the same log
    const wait = Math.min(5_000, next === null ? 5_000 : Math.max(10, next - this.now()));
    this.timer = setTimeout(() => this.kick(), wait);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    this.store.fanOut(this.o.bus.log, this.o.endpoints);
    const limit = this.o.concurrency ?? 4;
    for (;;) {
      if (!this.running) return;
      // claimed rows are hidden for the lease, so each pass gets new ones
      const batch = this.store.claimDue(limit * 4, this.leaseMs).filter((d) => !this.inFlight.has(d.id));
      if (!batch.length) return;
      const queue = [...batch];
      const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
        for (let d = queue.shift(); d && this.running; d = queue.shift()) await this.send(d);
      });
      await Promise.all(workers);
    }
  }

  private async send(d: Delivery): Promise<void> {
    const ep = this.o.endpoints.find((e) => e.id === d.endpointId);
    if (!ep || this.store.isDisabled(ep.id)) return;
    this.inFlight.add(d.id);
    try {
      const r = await postWebhook({
        url: ep.url,
        body: d.body,
        secret: this.o.secret,
        eventType: d.eventType,
        deliveryId: d.id,
        allowedHosts: this.o.allowedHosts,
        ...(this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {}),
      });
      const where = {
        endpoint: ep.id,
        url: displayUrl(ep.url),
        delivery: d.id,
        eventId: d.eventId,
        type: d.eventType,
        attempt: d.attempts + 1,
      };
      if (r.status >= 200 && r.status < 300) {
        this.store.delivered(d.id, r.status);
        return;
      }
      if (r.status === 410) {
        this.store.disable(ep.id, `410 Gone at ${new Date(this.now()).toISOString()}`, d.id);
        this.o.log.warn(
          where,
          'webhook endpoint answered 410 Gone: disabled (change ARCHIVER_WEBHOOK_URLS or run `sheet-archiver webhooks enable`)',
        );
        return;
      }
      const error = r.status ? `HTTP ${r.status}: ${r.detail}` : r.detail;
      const scale = this.o.retryScale ?? 1;
      const nextAt = this.now() + backoffMs(d.attempts + 1, scale);
      const dead = r.refused || nextAt - d.createdAt > GIVE_UP_MS * scale;
      this.store.failed(d.id, r.status, error.slice(0, 300), dead ? null : nextAt);
      if (dead)
        this.o.log.warn(
          { ...where, error },
          r.refused ? 'webhook refused by the host guard: delivery dead' : 'webhook delivery gave up after 24 h: dead',
        );
      else this.o.log.info({ ...where, error, nextAt: new Date(nextAt).toISOString() }, 'webhook attempt failed: will retry');
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  /** Pending deliveries of enabled endpoints. */
  backlog(): number {
    return this.store.backlog();
  }

  /**
   * Waits until the backlog that is due now is sent, or `timeoutMs` passes (`run` drains before it
   * exits; what is left resumes at the next start).
   * @returns the backlog left.
   */
  async drain(timeoutMs: number): Promise<number> {
    const end = this.now() + timeoutMs;
    this.kick();
    while (this.now() < end) {
      this.store.fanOut(this.o.bus.log, this.o.endpoints);
      const next = this.store.nextDueAt();
      if (next === null || (next > end && !this.pumping)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.backlog();
  }

  /** Stops sending; in-flight POSTs finish (each is bounded by its 10 s timeout). */
  async close(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.sub?.close();
    await this.pumping;
  }
}
