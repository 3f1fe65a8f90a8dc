/**
 * The Sheets write budget (docs/design.md §6): at most `limit` spreadsheets.values.batchUpdate
 * calls per `windowMs` for the one service account, across every worker. Google's quota is
 * "write requests per minute per user" (https://developers.google.com/sheets/api/limits, 60 a
 * minute per user by default); the default budget, 50, leaves room for the header writes and
 * for people editing.
 *
 * Both implementations keep a sliding window log (the timestamp of every write granted in the last
 * window; see "Better Rate Limiting With Redis Sorted Sets", ClassDojo engineering, 2015): unlike a
 * fixed window it never lets 2 × limit through around a window boundary, and unlike GCRA it never
 * grants more than `limit` in any window of `windowMs`, which is the guarantee the quota needs.
 * The embedded default is in memory (one process); with REDIS_URL, limits/redisWriteBudget.ts keeps
 * the log in Redis so all workers share it.
 */

/**
 * The budget's answer: go ahead (the write is counted; `grant` names it for `sent`), or wait
 * `retryInMs` (ms) and ask again.
 */
export type BudgetAnswer = { ok: true; grant?: string } | { ok: false; retryInMs: number };

export interface WriteBudget {
  /** writes allowed per window */
  readonly limit: number;
  /** the window, ms (60 000 for "per minute") */
  readonly windowMs: number;
  /** Asks for one write. A granted write is counted at once. Rejects only when the store is unreachable. */
  take(): Promise<BudgetAnswer>;
  /**
   * Moves a granted write to now, once it was sent. Google counts a write when it arrives, and the
   * reporter's reads and header writes can come between the grant and the batchUpdate; counting
   * the write from when it went out keeps any `windowMs` of arrivals within `limit` (design §6).
   * Unknown or expired grants are ignored. Rejects only when the store is unreachable.
   */
  sent(grant: string): Promise<void>;
}

/** Defaults: 50 writes a minute (ARCHIVER_SHEETS_WRITES_PER_MINUTE). */
export const DEFAULT_WRITES_PER_MINUTE = 50;
export const MINUTE_MS = 60_000;

export interface LocalWriteBudgetOptions {
  /** writes per window; default 50 */
  limit?: number;
  /** window, ms; default 60 000 (tests shorten it) */
  windowMs?: number;
  /** clock, ms since epoch; default Date.now */
  now?: () => number;
}

/**
 * One sliding-window decision over `grants` (ms, ascending), which it prunes in place: grants at
 * or before `now − windowMs` are out of the window. Granting appends `now`.
 */
export function slidingWindowTake(grants: number[], now: number, limit: number, windowMs: number): BudgetAnswer {
  while (grants.length && grants[0]! <= now - windowMs) grants.shift();
  if (grants.length < limit) {
    grants.push(now);
    return { ok: true };
  }
  return { ok: false, retryInMs: Math.max(1, grants[0]! + windowMs - now) };
}

/** The in-process budget (the embedded default: one worker process). */
export class LocalWriteBudget implements WriteBudget {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly grants: number[] = [];

  /** @throws RangeError when limit or windowMs is not a positive integer */
  constructor(opts: LocalWriteBudgetOptions = {}) {
    this.limit = checkPositive('limit', opts.limit ?? DEFAULT_WRITES_PER_MINUTE);
    this.windowMs = checkPositive('windowMs', opts.windowMs ?? MINUTE_MS);
    this.now = opts.now ?? Date.now;
  }

  take(): Promise<BudgetAnswer> {
    const now = this.now();
    const answer = slidingWindowTake(this.grants, now, this.limit, this.windowMs);
    return Promise.resolve(answer.ok ? { ok: true, grant: String(now) } : answer);
  }

  sent(grant: string): Promise<void> {
    // grants are times; any of equal value stands for this one, and now is the newest
    const i = this.grants.indexOf(Number(grant));
    if (i >= 0) {
      this.grants.splice(i, 1);
      this.grants.push(this.now());
    }
    return Promise.resolve();
  }
}

/** @returns v when it is a positive integer. @throws RangeError naming the option otherwise */
export function checkPositive(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return v;
}
