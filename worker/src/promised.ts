/**
 * Synchronous work behind an asynchronous interface (the SQLite outbox and event log, whose
 * interfaces also fit Redis: docs/design.md §6).
 */

/** Runs `fn` now and hands its result, or what it threw, over as a promise. */
export function promised<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
