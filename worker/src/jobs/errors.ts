/** The queue's error type: a message for people plus a `code` the HTTP layer and the runner branch on. */

/**
 * - `not_found`: no job with that id.
 * - `conflict`: the job is not in a state that allows the operation (e.g. retrying a completed job,
 *   or another open job already does the same work).
 * - `attempts_exhausted`: a manual retry would go past MAX_MANUAL_ATTEMPTS.
 * - `lease_lost`: the caller no longer holds the job's lease (it expired and was taken by another
 *   worker, or the job was retried/cancelled/finished meanwhile).
 * - `invalid_argument`: a malformed argument (bad cursor, non-positive lease, empty owner).
 * - `unavailable`: the backend's store (Redis) cannot be reached now; nothing was changed.
 */
export type QueueErrorCode = 'not_found' | 'conflict' | 'attempts_exhausted' | 'lease_lost' | 'invalid_argument' | 'unavailable';

export class QueueError extends Error {
  readonly code: QueueErrorCode;
  /** for `invalid_argument`: the caller's field at fault (e.g. `cursor`), so the API's 400 can name it */
  readonly field: string | undefined;

  constructor(code: QueueErrorCode, message: string, opts: { field?: string } = {}) {
    super(message);
    this.name = 'QueueError';
    this.code = code;
    this.field = opts.field;
  }
}

/** True when `err` is a QueueError, optionally with the given code. */
export function isQueueError(err: unknown, code?: QueueErrorCode): err is QueueError {
  return err instanceof QueueError && (code === undefined || err.code === code);
}
