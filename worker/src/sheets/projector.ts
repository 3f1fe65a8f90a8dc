/**
 * The status projector (docs/design.md §1, §4): the one place that turns a job, or a step of its
 * life, into the sheet's tracking cells (a StatusUpdate). The status write-back subscribes to the
 * job lifecycle events (events/jobEvents.ts) and pushes what this projects to the outbox; the
 * sidebar's counts are read back from those cells.
 */
import type { SourceName } from '../../../shared/columns.js';
import type { ErrorLine } from '../../../shared/errors.js';
import { sheetStatusOf, type JobRecord } from '../../../shared/schemas.js';
import type { EventBus } from '../events/bus.js';
import type { JobEvents, JobLifecycleEvent } from '../events/jobEvents.js';
import type { StatusUpdate } from './types.js';

/** ISO 8601 UTC without milliseconds, e.g. 2026-11-21T09:15:02Z (design §1). */
export function isoSeconds(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The sheet's files cell lists archived objects; metadata.json is implied by the folder. */
const isListedFile = (key: string) => !key.endsWith('/metadata.json');

/** The `download_errors` line of a cancelled job (docs/design.md §4: never retried automatically). */
function cancelledLine(job: JobRecord, attempt: number): ErrorLine {
  return { source: job.source, attempt, category: 'cancelled', message: 'cancelled on request; retry it to archive it again' };
}

/** Which row and source a job's cells are, and the checks the backend makes before writing. */
function target(job: JobRecord): Omit<StatusUpdate, 'status'> {
  return {
    jobId: job.jobId,
    spreadsheetId: job.spreadsheetId,
    sheetId: job.sheetId,
    sheetName: job.sheetName,
    rowId: job.rowId,
    type: job.type,
    rowNumberHint: job.rowNumber,
    source: job.source,
  };
}

/**
 * The cells one lifecycle event changes.
 * - queued → `queued`, last attempt now; started → `downloading`, last attempt now;
 * - finished → the job's sheet status, its files and media ids, and its error line (cleared on
 *   success; `cancelled` for a cancelled job); the line names the attempt that failed (a job
 *   being retried already carries the next attempt number);
 * - cancelled → `failed` with the `cancelled` line;
 * - progress → nothing (the sheet shows no progress).
 * @param nowMs the time written as last_download_attempt. @returns null when no cell changes:
 *   progress, and every event of a `reprocess` job (it downloads nothing, so the row's download
 *   cells stay as they are; what it derived is in metadata.json and the catalogue).
 */
export function projectStatus(e: JobLifecycleEvent, nowMs = Date.now()): StatusUpdate | null {
  const { job } = e;
  if (job.kind === 'reprocess' || e.type === 'progress') return null;
  switch (e.type) {
    case 'queued':
      return { ...target(job), status: 'queued', lastAttempt: isoSeconds(nowMs) };
    case 'started':
      return { ...target(job), status: 'downloading', lastAttempt: isoSeconds(nowMs) };
    case 'cancelled':
      return { ...target(job), status: 'failed', error: cancelledLine(job, job.attempt) };
    case 'finished': {
      const attempt = job.status === 'retrying' ? Math.max(1, job.attempt - 1) : job.attempt;
      const error: ErrorLine | null =
        job.status === 'cancelled'
          ? cancelledLine(job, attempt)
          : job.status !== 'completed' && job.error
            ? { source: job.source, attempt, category: job.error.category, message: job.error.message }
            : null;
      return { ...target(job), status: sheetStatusOf(job.status), files: job.files.filter(isListedFile), mediaIds: job.mediaIds, error };
    }
  }
}

/** The cells of an erased row's source (catalogue/erase.ts): cleared, with the erase note in download_errors. */
export function projectErased(
  row: { spreadsheetId: string; sheetId: number; sheetName: string; rowId: string; type: string; rowNumber: number },
  source: SourceName,
  note: string,
): StatusUpdate {
  return {
    spreadsheetId: row.spreadsheetId,
    sheetId: row.sheetId,
    sheetName: row.sheetName,
    rowId: row.rowId,
    type: row.type,
    rowNumberHint: row.rowNumber,
    source,
    status: 'pending',
    erased: note,
  };
}

/**
 * The status write-back's subscription: every lifecycle event that changes cells is pushed to
 * the reporter (Reporter.push: stored in the outbox, sent with the next window; it never rejects,
 * an update the outbox cannot take now is held and stored later).
 * @returns the unsubscribe function.
 */
export function subscribeStatusWriteBack(
  events: JobEvents<EventBus | null>,
  outbox: { push(update: StatusUpdate): Promise<void> | void },
  now: () => number = Date.now,
): () => void {
  return events.on((e) => {
    const update = projectStatus(e, now());
    if (update) void outbox.push(update);
  });
}
