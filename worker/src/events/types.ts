/**
 * Live events (docs/design.md §9): what the event log stores, `/v1/events` streams as
 * Server-Sent Events, and webhooks deliver. One shape for all three.
 */
import type { SourceName } from '../../../shared/columns.js';

/** Every event type; `run.*` and `alert.*` are reserved for the run log and the alerts. */
export const EVENT_TYPES = [
  'job.queued',
  'job.started',
  'job.progress',
  'job.completed',
  'job.failed',
  'job.cancelled',
  'run.finished',
  'alert.raised',
  'alert.cleared',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * One stored event. `id` is unique and increases with every append (never reused, even after
 * pruning): it is the SSE `id`, so a client resumes with `Last-Event-ID: <id>`.
 */
export interface ArchiverEvent {
  id: number;
  type: EventType;
  /** ISO 8601 UTC with milliseconds */
  at: string;
  jobId: string | null;
  rowId: string | null;
  spreadsheetId: string | null;
  source: SourceName | null;
  /** type-specific payload (job events: status, attempt, progress, error, files …) */
  data: Record<string, unknown>;
}

/** An event before the log gives it an id and a time. */
export type NewEvent = Omit<ArchiverEvent, 'id' | 'at'>;

/** Which events a reader wants; each given field must match exactly. */
export interface EventFilter {
  jobId?: string;
  rowId?: string;
  spreadsheetId?: string;
}

/** True when `e` passes the filter. */
export function matches(e: Pick<ArchiverEvent, 'jobId' | 'rowId' | 'spreadsheetId'>, f: EventFilter): boolean {
  return (
    (f.jobId === undefined || e.jobId === f.jobId) &&
    (f.rowId === undefined || e.rowId === f.rowId) &&
    (f.spreadsheetId === undefined || e.spreadsheetId === f.spreadsheetId)
  );
}
