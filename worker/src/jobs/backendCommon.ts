/**
 * What both JobBackends (jobs/sqlite.ts, jobs/bullmq/backend.ts) must agree on so they answer
 * alike (docs/design.md §4): the list page sizes and the error a cancel records.
 */
import type { JobError } from '../../../shared/schemas.js';

/** JobFilter.limit when none is given (jobs). */
export const DEFAULT_LIST_LIMIT = 50;
/** The largest JobFilter.limit honoured (jobs); a larger one is cut down to it. */
export const MAX_LIST_LIMIT = 500;

/** What a cancel records on the job (docs/design.md §4). */
export const CANCELLED_ERROR: JobError = { category: 'cancelled', message: 'cancelled on request' };

/**
 * The page size a list uses for the caller's `limit`: floored, then held to 1..MAX_LIST_LIMIT;
 * DEFAULT_LIST_LIMIT when absent.
 */
export function listLimit(limit: number | undefined): number {
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit ?? DEFAULT_LIST_LIMIT)));
}
