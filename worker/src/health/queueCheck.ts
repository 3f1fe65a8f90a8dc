/**
 * The queue's readiness check (GET /readyz), for either queue shape: the SQLite queue answers at
 * once, a JobBackend (jobs/types.ts) over the network. An unreachable backend — ping() false,
 * or a throw such as QueueError 'unavailable' — fails the check, so a load balancer stops sending
 * dispatches here (they would be answered 503).
 */
import type { CheckResult } from './checks.js';

/** What the check needs of a queue: ping, and the open count for the detail. */
export interface PingableQueue {
  ping(): boolean | Promise<boolean>;
  openCount(): number | Promise<number>;
  /** 'sqlite' | 'bullmq' on a JobBackend; absent on the SQLite JobQueue */
  readonly kind?: string;
}

/** Never throws: a failing or throwing ping is a failed check that says which backend. */
export async function queueCheck(queue: PingableQueue): Promise<CheckResult> {
  const backend = queue.kind ?? 'sqlite';
  const hint = backend === 'bullmq' ? 'check that Redis answers at REDIS_URL (docs/scaling.md)' : 'check ARCHIVER_DATA';
  try {
    if (!(await queue.ping())) return { name: 'queue', ok: false, detail: `${backend} queue backend unreachable`, hint };
    return { name: 'queue', ok: true, detail: `${backend}, open (${await queue.openCount()} open jobs)` };
  } catch {
    // the error may carry the backend's address: the detail stays generic (never secrets in /readyz)
    return { name: 'queue', ok: false, detail: `${backend} queue backend unreachable`, hint };
  }
}
