/**
 * The event bus (docs/design.md §9): appends each event to the durable log first, then hands it
 * to live subscribers (the SSE streams; webhooks later). Publishing is synchronous, so an event
 * is on disk before the caller goes on (and before an HTTP answer about the change is sent).
 *
 * Each subscriber has a bounded queue: a reader that falls `maxQueued` events behind is dropped
 * (its queue is freed at once) and resumes from the log with Last-Event-ID. A slow client can
 * never make the worker hold more than `maxQueued` events for it.
 *
 * With a shared log (REDIS_URL: events/redisLog.ts) each event is also appended there, in publish
 * order, a moment later; `/v1/events` then streams the shared log, so any worker shows every
 * worker's events (docs/design.md §6). Webhooks stay on the local log: each worker delivers its own.
 */
import type { SharedEventLog, SqliteEventLog } from './log.js';
import { matches, type ArchiverEvent, type EventFilter, type NewEvent } from './types.js';

/** A live reader's end of the bus. */
export interface Subscription {
  /**
   * The events queued so far (waits for at least one).
   * @returns null once the subscription is closed or was dropped for falling behind.
   */
  next(): Promise<ArchiverEvent[] | null>;
  /** true when dropped for falling behind */
  readonly overflowed: boolean;
  /** Stops delivery and frees the queue. Idempotent. */
  close(): void;
}

class Sub implements Subscription {
  private queue: ArchiverEvent[] = [];
  private waiter: ((v: ArchiverEvent[] | null) => void) | null = null;
  closed = false;
  overflowed = false;

  constructor(
    readonly filter: EventFilter,
    private readonly maxQueued: number,
    private readonly onClose: (s: Sub) => void,
  ) {}

  push(e: ArchiverEvent): void {
    if (this.closed || !matches(e, this.filter)) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w([e]);
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.overflowed = true;
      this.close();
      return;
    }
    this.queue.push(e);
  }

  next(): Promise<ArchiverEvent[] | null> {
    if (this.queue.length) {
      const out = this.queue;
      this.queue = [];
      return Promise.resolve(out);
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((r) => (this.waiter = r));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.waiter?.(null);
    this.waiter = null;
    this.onClose(this);
  }
}

export interface EventBusOptions {
  /** events a subscriber may fall behind before it is dropped (default 1000) */
  maxQueued?: number;
  /** the log all workers share; none: this process's log only */
  shared?: SharedEventLog;
  /** told when an event could not be appended to the shared log (it stays in the local one) */
  onSharedError?: (err: unknown) => void;
}

export class EventBus {
  private readonly subs = new Set<Sub>();
  private readonly maxQueued: number;
  /** the log all workers share, or null */
  readonly shared: SharedEventLog | null;
  private readonly onSharedError: (err: unknown) => void;
  private mirrored: Promise<void> = Promise.resolve();

  constructor(
    readonly log: SqliteEventLog,
    opts: EventBusOptions = {},
  ) {
    this.maxQueued = Math.max(1, opts.maxQueued ?? 1000);
    this.shared = opts.shared ?? null;
    this.onSharedError = opts.onSharedError ?? (() => undefined);
  }

  /**
   * Appends the event to the log (durable on return), then queues it for every matching subscriber.
   * @returns the stored event.
   */
  publish(e: NewEvent): ArchiverEvent {
    const stored = this.log.append(e);
    for (const s of this.subs) s.push(stored);
    const shared = this.shared;
    if (shared) this.mirrored = this.mirrored.then(() => shared.append(e).then(() => undefined, this.onSharedError));
    return stored;
  }

  /** Resolves once every event published so far is in the shared log (or its failure was reported). */
  sharedSettled(): Promise<void> {
    return this.mirrored;
  }

  /**
   * Live events from now on that match `filter`. Call it in the same tick as a final
   * `log.since()` read to resume without a gap (nothing is published in between).
   */
  subscribe(filter: EventFilter = {}, maxQueued = this.maxQueued): Subscription {
    const s = new Sub(filter, Math.max(1, maxQueued), (x) => this.subs.delete(x));
    this.subs.add(s);
    return s;
  }

  /** Live subscribers now (diagnostics, tests). */
  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Drops every subscriber (shutdown). */
  closeAll(): void {
    for (const s of [...this.subs]) s.close();
  }
}
