/**
 * Drains the status outbox into a SheetBackend in windows: every `windowMs` the ready entries
 * (at most `maxBatch` per call) go out in one `apply()` — for Google, one values:batchUpdate for
 * many jobs. A batch that throws is deferred with exponential backoff and jitter (a server's
 * Retry-After wins when longer) and is never dropped; refused rows (data_corruption, not_found)
 * are acknowledged and handed to `onRefused` so the runner can mark the job.
 *
 * Before each apply() the reporter asks the write budget (limits/writeBudget.ts), shared by all
 * workers with REDIS_URL (docs/design.md §6): when it says wait, the spreadsheets not yet sent are
 * given back to the outbox untouched and timed flushes pause until the budget has room again.
 *
 * Nothing here throws into the caller: a failing write-back is logged and retried; the archive
 * goes on.
 */
import { backoffMs } from '../../../shared/backoff.js';
import { ArchiveError, toArchiveError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { WriteBudget } from '../limits/writeBudget.js';
import { mergeUpdates, outboxKey } from './outbox.js';
import type { OutboxEntry, SheetBackend, StatusOutbox, StatusUpdate, UpdateOutcome } from '../sheets/types.js';

export type RefusedOutcome = Extract<UpdateOutcome, { ok: false }>;

export interface ReporterOptions {
  backend: SheetBackend;
  outbox: StatusOutbox;
  /** asked before each apply() (one values:batchUpdate per spreadsheet); none: no limit (CSV, tests) */
  budget?: WriteBudget;
  /** flush cadence, ms; default 2000 (an update waits at most about this long plus one request) */
  windowMs?: number;
  /** most updates per apply(); default 500 */
  maxBatch?: number;
  /** backoff after a failed batch: baseMs · 2^(failures−1), ±50 % jitter, capped at maxMs; defaults 1000 / 60 000 */
  backoff?: { baseMs?: number; maxMs?: number };
  /** called for each update the sheet refused (type/row_id mismatch, row gone); errors it throws are logged */
  onRefused?: (update: StatusUpdate, outcome: RefusedOutcome) => void;
  /** called after each delivered batch (instrumentation: benchmarks, metrics) */
  onDelivered?: (entries: OutboxEntry[], outcomes: UpdateOutcome[]) => void;
  logger?: Logger;
  /** clock, ms since epoch; default Date.now */
  now?: () => number;
  /** jitter source in [0,1); default Math.random */
  random?: () => number;
}

/** Counters, for status endpoints and tests. */
export interface ReporterStats {
  batches: number;
  delivered: number;
  refused: number;
  failedBatches: number;
  /** ms since epoch until which timed flushes pause after a failure; 0 when not paused */
  pausedUntil: number;
  /** times the write budget said wait */
  budgetWaits: number;
  /** ms since epoch until which timed flushes wait for the write budget; 0 when not waiting */
  budgetUntil: number;
  /** updates held in memory because the outbox could not store them (Redis away); stored again every window */
  held: number;
}

export class Reporter {
  private readonly backend: SheetBackend;
  private readonly outbox: StatusOutbox;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly opts: ReporterOptions;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private closed = false;
  /** consecutive failed sends per spreadsheet, for backoff */
  private readonly failures = new Map<string, number>();
  private offLogged = false;
  /** pushes not yet stored: a flush or close waits for them */
  private readonly storing = new Set<Promise<void>>();
  /** per outbox key, the last push: pushes of one key are stored in order */
  private readonly chains = new Map<string, Promise<void>>();
  /** per outbox key, what the outbox could not store yet (merged, so bounded by the rows) */
  private readonly held = new Map<string, StatusUpdate>();
  readonly stats: ReporterStats = {
    batches: 0,
    delivered: 0,
    refused: 0,
    failedBatches: 0,
    pausedUntil: 0,
    budgetWaits: 0,
    budgetUntil: 0,
    held: 0,
  };

  /** Does nothing until start() or flush(); see ReporterOptions for the defaults. */
  constructor(opts: ReporterOptions) {
    this.opts = opts;
    this.backend = opts.backend;
    this.outbox = opts.outbox;
    this.windowMs = opts.windowMs ?? 2000;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 500);
    this.baseMs = opts.backoff?.baseMs ?? 1000;
    this.maxMs = opts.backoff?.maxMs ?? 60_000;
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /**
   * Stores an update in the outbox; it goes out with the next window. Fire and forget: the promise
   * resolves once the update is stored and never rejects, so a caller may ignore it, or await it
   * to know the update is durable. When the outbox cannot store it (Redis away, disk full) the
   * update is held in memory, merged per row as the outbox does, and stored again every window
   * until the outbox takes it; later updates of that row join it, so none overtakes another.
   */
  push(update: StatusUpdate): Promise<void> {
    const key = outboxKey(update);
    return this.inOrder(key, () => this.store(key, update));
  }

  /**
   * The outbox as producers should see it (the runner, erase): its `push` is this reporter's, so
   * an update the outbox cannot take now is held, not lost; the rest is the outbox's own.
   */
  asOutbox(): StatusOutbox {
    const o = this.outbox;
    return {
      push: (u) => this.push(u),
      peek: (limit, now) => o.peek(limit, now),
      ack: (entries) => o.ack(entries),
      defer: (entries, delayMs) => o.defer(entries, delayMs),
      release: (entries) => o.release(entries),
      size: () => o.size(),
    };
  }

  /** Runs `fn` after the pending pushes of `key`; never rejects. */
  private inOrder(key: string, fn: () => Promise<void>): Promise<void> {
    const p = (this.chains.get(key) ?? Promise.resolve()).then(fn).catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'status update could not be stored');
    });
    this.chains.set(key, p);
    this.storing.add(p);
    void p.finally(() => {
      this.storing.delete(p);
      if (this.chains.get(key) === p) this.chains.delete(key);
    });
    return p;
  }

  private async store(key: string, update: StatusUpdate): Promise<void> {
    const held = this.held.get(key);
    if (held) {
      this.held.set(key, mergeUpdates(held, update));
      return;
    }
    try {
      await this.outbox.push(update);
    } catch (err) {
      this.held.set(key, update);
      this.stats.held = this.held.size;
      this.log.error(
        { err: (err as Error).message, rowId: update.rowId, source: update.source, held: this.held.size },
        'status outbox unreachable: update held in memory, stored again every window',
      );
    }
  }

  /** Stores again what the outbox could not take before; what it takes now leaves memory. */
  private async storeHeld(): Promise<void> {
    const keys = [...this.held.keys()];
    await Promise.all(
      keys.map((key) =>
        this.inOrder(key, async () => {
          const u = this.held.get(key);
          if (!u) return;
          try {
            await this.outbox.push(u);
            this.held.delete(key);
          } catch {
            // still unreachable: kept, tried again next window (logged once below)
          }
        }),
      ),
    );
    this.stats.held = this.held.size;
    if (this.held.size) this.log.warn({ held: this.held.size }, 'status outbox still unreachable: updates stay held in memory');
    else this.log.info({ stored: keys.length }, 'status outbox reachable again: held updates stored');
  }

  /** Starts the timed flushes (every windowMs). The timer does not keep the process alive. Idempotent. */
  start(): void {
    if (this.timer || this.closed) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const paused = this.now() < Math.max(this.stats.pausedUntil, this.stats.budgetUntil);
      const run = paused || this.busy ? Promise.resolve() : this.enqueue(() => this.drain(false));
      void run.finally(() => this.schedule());
    }, this.windowMs);
    this.timer.unref?.();
  }

  /** Sends the ready entries now (all of them, in batches of maxBatch). Resolves when done; never rejects. */
  flush(): Promise<void> {
    return this.enqueue(() => this.drain(false));
  }

  /** Stops the timer and makes a final attempt at everything pending (deferred entries included). Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.enqueue(() => this.drain(true));
    if (this.held.size)
      this.log.error(
        { lost: this.held.size },
        'status updates the outbox never took are lost with this process (the rows are reported again on their next change)',
      );
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(async () => {
      this.busy = true;
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, 'status reporter failed');
      } finally {
        this.busy = false;
      }
    });
    this.chain = next;
    return next;
  }

  private backoffMs(err: ArchiveError, failures: number): number {
    const jittered = backoffMs(
      failures,
      { curve: 'exponential', baseMs: this.baseMs, maxMs: this.maxMs, jitter: [0.5, 1.5] },
      1,
      this.random,
    );
    return Math.max(err.retryAfterMs ?? 0, jittered);
  }

  /** @param final include deferred entries (the last try before closing). */
  private async drain(final: boolean): Promise<void> {
    if (this.held.size) await this.storeHeld();
    await Promise.all([...this.storing]);
    if (this.backend.kind === 'off') {
      if (!this.offLogged) {
        this.offLogged = true;
        this.log.warn({ pending: await safeSize(this.outbox) }, 'Sheets write-back is off: status updates are kept in the outbox');
      }
      return;
    }
    for (;;) {
      const batch = await this.outbox.peek(this.maxBatch, final ? Number.MAX_SAFE_INTEGER : this.now());
      if (batch.length === 0) return;
      // One apply() per spreadsheet: a sheet that cannot be written (unshared, deleted, over quota)
      // defers only its own updates, never another sheet's.
      const bySheet = new Map<string, OutboxEntry[]>();
      for (const e of batch) bySheet.set(e.update.spreadsheetId, [...(bySheet.get(e.update.spreadsheetId) ?? []), e]);
      const groups = [...bySheet];
      let failedGroups = 0;
      let minDelay = Infinity;
      for (const [k, [spreadsheetId, entries]] of groups.entries()) {
        const granted = await this.takeBudget().catch(async (err: unknown) => {
          await this.outbox.release(groups.slice(k).flatMap(([, es]) => es)).catch(() => undefined);
          throw err;
        });
        if (!granted) {
          // The budget is spent: what is not sent yet goes back untouched, for whichever worker has room first.
          await this.outbox.release(groups.slice(k).flatMap(([, es]) => es));
          return;
        }
        const delay = await this.send(spreadsheetId, entries);
        // counted from when it went out, not from the grant (limits/writeBudget.ts)
        if (typeof granted === 'string')
          await this.opts
            .budget!.sent(granted)
            .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'Sheets write not re-stamped in the budget'));
        if (delay !== null) {
          failedGroups++;
          minDelay = Math.min(minDelay, delay);
        }
      }
      // Everything failed: most likely the network or auth, so timed flushes pause too.
      this.stats.pausedUntil = failedGroups === groups.length ? this.now() + minDelay : 0;
      if (failedGroups > 0 && final) return;
      if (batch.length < this.maxBatch) return;
    }
  }

  /** One write from the budget (its grant id, or true); false (and timed flushes wait) when it has none now. */
  private async takeBudget(): Promise<boolean | string> {
    if (!this.opts.budget) return true;
    const answer = await this.opts.budget.take();
    if (answer.ok) {
      this.stats.budgetUntil = 0;
      return answer.grant ?? true;
    }
    this.stats.budgetWaits++;
    this.stats.budgetUntil = this.now() + answer.retryInMs;
    this.log.debug({ retryInMs: answer.retryInMs }, 'Sheets write budget spent; waiting');
    return false;
  }

  /**
   * Sends one spreadsheet's entries. @returns null when delivered, else the backoff (ms) after
   * which the entries are tried again (they stay in the outbox).
   */
  private async send(spreadsheetId: string, batch: OutboxEntry[]): Promise<number | null> {
    let outcomes: UpdateOutcome[];
    try {
      outcomes = await this.backend.apply(batch.map((e) => e.update));
      if (outcomes.length !== batch.length)
        throw new ArchiveError('system', `backend returned ${outcomes.length} outcomes for ${batch.length} updates`);
    } catch (err) {
      const e = toArchiveError(err, 'network');
      const failures = (this.failures.get(spreadsheetId) ?? 0) + 1;
      this.failures.set(spreadsheetId, failures);
      this.stats.failedBatches++;
      const delay = this.backoffMs(e, failures);
      await this.outbox.defer(batch, delay);
      this.log.warn(
        { spreadsheetId, category: e.category, err: e.message, updates: batch.length, retryInMs: delay },
        'status write-back failed; will retry',
      );
      return delay;
    }
    this.failures.delete(spreadsheetId);
    await this.outbox.ack(batch);
    this.stats.batches++;
    outcomes.forEach((o, k) => {
      if (o.ok) {
        this.stats.delivered++;
        return;
      }
      this.stats.refused++;
      const u = batch[k]!.update;
      this.log.warn({ rowId: u.rowId, source: u.source, category: o.category, message: o.message }, 'status update refused by the sheet');
      try {
        this.opts.onRefused?.(u, o);
      } catch (err) {
        this.log.error({ err }, 'onRefused failed');
      }
    });
    try {
      this.opts.onDelivered?.(batch, outcomes);
    } catch (err) {
      this.log.error({ err }, 'onDelivered failed');
    }
    return null;
  }
}

async function safeSize(o: StatusOutbox): Promise<number | undefined> {
  try {
    return await o.size();
  } catch {
    return undefined;
  }
}
