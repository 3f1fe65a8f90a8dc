/**
 * Every retry decision of the job lifecycle, in one place (docs/design.md §4). The runner hands
 * a failed attempt's errors here and the backend stores what comes back; neither decides itself.
 *
 * - the category policy (shared/errors.ts RETRY_POLICIES): whether a category is retried, its curve;
 * - the attempt limits: automatic retries stop at MAX_AUTO_ATTEMPTS (or the category's lower
 *   limit, or the job's maxAttempts); a manual retry may go to MAX_MANUAL_ATTEMPTS;
 * - a server's Retry-After (ArchiveError.retryAfterMs), which wins when it is longer;
 * - ARCHIVER_RETRY_SCALE, which multiplies every wait;
 * - the lane pause: a rate limit holds back the job's whole lane until the retry time;
 * - which error decides for a job of several links: a retryable one wins, so a first link that
 *   is gone does not stop a second one that only hit the network from being fetched again.
 */
import { backoffMs } from '../../../shared/backoff.js';
import { MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS, RETRY_JITTER, RETRY_POLICIES, type ErrorCategory } from '../../../shared/errors.js';
import type { JobRecord } from '../../../shared/schemas.js';
import type { LanePause, RetryDecision } from './types.js';

/** One error of a failed attempt: an ArchiveError, or a stored JobError with the server's wait. */
export interface AttemptError {
  category: ErrorCategory;
  message: string;
  /** a server-given wait (Retry-After), ms */
  retryAfterMs?: number | undefined;
}

/** What decideRetry reads of the job. */
export type RetryJob = Pick<JobRecord, 'jobId' | 'attempt' | 'maxAttempts' | 'lane'>;

export interface RetryContext {
  /** ms since epoch */
  now: number;
  /** multiplies every wait (ARCHIVER_RETRY_SCALE); default 1 */
  retryScale?: number;
  /** jitter source in [0,1); default Math.random */
  random?: () => number;
}

/** decideRetry's answer: what the backend does, the error the job records, and a lane pause to apply. */
export interface RetryVerdict {
  decision: RetryDecision;
  /** the error that decided (the job's `error`) */
  error: AttemptError;
  /** set after a rate limit on a job with a lane: pause that lane for every worker (JobConsumer.pauseLane) */
  pause?: LanePause;
}

/** How long a rate-limited lane waits when the job is not retried and the server named no wait, ms. */
export const DEFAULT_LANE_PAUSE_MS = 60_000;
/** The shortest lane pause, ms (before scaling floors at this too). */
export const MIN_LANE_PAUSE_MS = 1_000;

/** The highest attempt an automatic retry may reach for this category and job. */
export function autoAttemptLimit(job: Pick<JobRecord, 'maxAttempts'>, category: ErrorCategory): number {
  return Math.min(job.maxAttempts, MAX_AUTO_ATTEMPTS, RETRY_POLICIES[category].maxAttempts);
}

/**
 * Which of several errors speaks for a job (or a Drive folder): the first retryable one, so a retry
 * fetches what is missing; else the first.
 * @throws RangeError when `errors` is empty.
 */
export function decidingError<E extends Pick<AttemptError, 'category'>>(errors: readonly E[]): E {
  if (errors.length === 0) throw new RangeError('decidingError: no errors');
  return errors.find((e) => RETRY_POLICIES[e.category].retry) ?? errors[0]!;
}

/**
 * Decides what happens after a failed attempt.
 * @param job the job as leased (its `attempt` is the one that just failed, 1-based).
 * @param errors every error of the attempt, in link order (at least one). A `cancelled` error
 *   decides at once (never retried automatically); otherwise the first retryable error decides,
 *   else the first error.
 * @returns the decision (retry at `atMs`, or fail), the deciding error, and a lane pause when
 *   any error was a rate limit.
 * @throws RangeError when `errors` is empty (a job without errors completed).
 */
export function decideRetry(job: RetryJob, errors: readonly AttemptError[], ctx: RetryContext): RetryVerdict {
  if (errors.length === 0) throw new RangeError(`decideRetry: job ${job.jobId} failed without an error`);
  const scale = ctx.retryScale ?? 1;
  const cancelled = errors.find((e) => e.category === 'cancelled');
  if (cancelled) return { decision: { action: 'fail', reason: 'cancelled on request' }, error: cancelled };

  const error = decidingError(errors);
  const policy = RETRY_POLICIES[error.category];
  let decision: RetryDecision;
  if (policy.curve === 'none' || !policy.retry) {
    decision = { action: 'fail', reason: `${error.category} is not retried automatically` };
  } else if (job.attempt >= autoAttemptLimit(job, error.category)) {
    decision = { action: 'fail', reason: `attempt ${job.attempt}: automatic retries of ${error.category} are used up` };
  } else {
    const delay = backoffMs(job.attempt, { ...policy, curve: policy.curve, jitter: RETRY_JITTER }, scale, ctx.random);
    const wait = Math.max(delay, Math.round((error.retryAfterMs ?? 0) * scale));
    decision = { action: 'retry', atMs: ctx.now + wait, reason: `${error.category}: retry ${job.attempt + 1} in ${wait} ms` };
  }

  const limited = errors.find((e) => e.category === 'rate_limit');
  if (!limited || !job.lane) return { decision, error };
  const untilMs =
    decision.action === 'retry'
      ? decision.atMs
      : ctx.now + Math.max(MIN_LANE_PAUSE_MS, Math.round((limited.retryAfterMs ?? DEFAULT_LANE_PAUSE_MS) * scale));
  return { decision, error, pause: { lane: job.lane, untilMs, reason: `rate_limit: ${limited.message} (job ${job.jobId})` } };
}

/**
 * Whether a manual retry (sidebar, API, CLI) may start another attempt of a finished job.
 * @returns null when allowed, else why not (for QueueError 'attempts_exhausted').
 */
export function manualRetryRefusal(job: Pick<JobRecord, 'jobId' | 'attempt'>): string | null {
  return job.attempt + 1 > MAX_MANUAL_ATTEMPTS
    ? `job ${job.jobId} has used ${job.attempt} attempts; the limit is ${MAX_MANUAL_ATTEMPTS}`
    : null;
}
