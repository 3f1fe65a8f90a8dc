/**
 * Files of a link that failed while the others were archived, and the one error the job
 * reports for them.
 */
import { ArchiveError } from '../../errors.js';
import { decidingError } from '../../jobs/retry.js';

/** One entry that could not be archived. */
export interface Failure {
  /** index in the plan, for a stable order */
  index: number;
  id: string;
  path: string;
  error: ArchiveError;
}

/** The error a job reports for several failures: the one jobs/retry.ts decidingError picks (a retryable one wins). */
export function summarize(failures: Failure[], total: number): ArchiveError {
  const error = decidingError(failures.map((f) => f.error));
  const pick = failures.find((f) => f.error === error)!;
  if (failures.length === 1 && total === 1) return pick.error;
  return new ArchiveError(pick.error.category, `${failures.length} of ${total} Drive files failed; ${pick.path}: ${pick.error.message}`, {
    cause: pick.error,
    ...(pick.error.retryAfterMs !== undefined ? { retryAfterMs: pick.error.retryAfterMs } : {}),
  });
}
