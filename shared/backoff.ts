/**
 * The one backoff formula of the project (docs/design.md §4): every wait before a retry — a failed
 * job's next attempt, a status batch the Sheets API refused, a webhook delivery, a Sheets request —
 * is computed here, so the curves cannot drift apart. Runtime-agnostic: no timers, no Node APIs.
 */

/** How a sequence of waits grows. Delays are milliseconds. */
export interface BackoffSpec {
  /** exponential: baseMs · 2^(n−1); linear: baseMs · n */
  curve: 'exponential' | 'linear';
  baseMs: number;
  /** the raw delay is capped here, before jitter and scale */
  maxMs: number;
  /**
   * the capped delay is multiplied by a factor drawn uniformly from [lo, hi); default [1, 1] (no
   * jitter). E.g. [0.8, 1.2] is ±20 %; [0.5, 1] is "full jitter, at least half" (AWS Architecture
   * blog, "Exponential Backoff and Jitter").
   */
  jitter?: readonly [lo: number, hi: number];
}

/**
 * The wait before retry number `n`.
 * @param n 1-based: 1 is the wait after the first failure (values below 1 count as 1).
 * @param scale multiplies the result (ARCHIVER_RETRY_SCALE: tests and the demo shorten waits); default 1.
 * @param random jitter source in [0,1); default Math.random.
 * @returns whole milliseconds, ≥ 0.
 */
export function backoffMs(n: number, spec: BackoffSpec, scale = 1, random: () => number = Math.random): number {
  const step = Math.max(1, Math.floor(n));
  const raw = spec.curve === 'exponential' ? spec.baseMs * 2 ** (step - 1) : spec.baseMs * step;
  const capped = Math.min(raw, spec.maxMs);
  const [lo, hi] = spec.jitter ?? [1, 1];
  return Math.max(0, Math.round(capped * (lo + (hi - lo) * random()) * scale));
}
