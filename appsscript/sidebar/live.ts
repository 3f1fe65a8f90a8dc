/**
 * The live-update schedule (issue 8 §6): poll after 4 s, double the wait while nothing changes up
 * to 60 s, back to 4 s after a change or an action, and stop after 30 minutes without a change.
 * Pure: the caller owns the timer and the clock.
 */
export const FIRST_DELAY_MS = 4_000;
export const MAX_DELAY_MS = 60_000;
export const IDLE_STOP_MS = 30 * 60_000;

export interface LiveSchedule {
  delayMs: number;
  /** ms since epoch of the last change (or of the start) */
  lastChangeAt: number;
}

/** A fresh schedule, e.g. after an action or "Resume live updates". */
export function startSchedule(now: number): LiveSchedule {
  return { delayMs: FIRST_DELAY_MS, lastChangeAt: now };
}

/**
 * The schedule after a poll.
 * @returns the next wait, or `stop` when nothing changed for IDLE_STOP_MS.
 */
export function afterPoll(s: LiveSchedule, changed: boolean, now: number): { next: LiveSchedule; stop: boolean } {
  if (changed) return { next: startSchedule(now), stop: false };
  const next = { delayMs: Math.min(s.delayMs * 2, MAX_DELAY_MS), lastChangeAt: s.lastChangeAt };
  return { next, stop: now - s.lastChangeAt >= IDLE_STOP_MS };
}
