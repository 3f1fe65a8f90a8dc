/**
 * What the BullMQ backend stores per job (docs/design.md §6): the JobRecord the API sees plus the
 * lease bookkeeping that stays internal, as one JSON value in `jobs:rec:<id>` (keys.ts).
 */
import { MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS } from '../../../../shared/errors.js';
import type { JobRecord, JobStatus } from '../../../../shared/schemas.js';
import { idempotencyKey } from '../ids.js';
import { laneOf } from '../lanes.js';
import type { NewJob } from '../types.js';

/** BullMQ priorities (lower runs first; 0 would be BullMQ's un-prioritised wait list). Design §4: manual retries go first. */
export const PRIORITY_MANUAL = 1;
export const PRIORITY_NORMAL = 2;

export interface StoredJob {
  r: JobRecord;
  /** lease holder, or null; kept on a job cancelled while held so its holder may still finish */
  o: string | null;
  /** lease expiry, ms since epoch, or null */
  x: number | null;
  /** times this attempt was taken over from a holder whose lease expired */
  n: number;
  /** the current BullMQ job id (`<jobId>.<run>`): a manual retry adds a fresh BullMQ job */
  b: string;
  /** its BullMQ priority */
  p: number;
}

export const OPEN: readonly JobStatus[] = ['queued', 'downloading', 'uploading', 'retrying'];
export const LEASED: readonly JobStatus[] = ['downloading', 'uploading'];
export const isOpen = (s: JobStatus): boolean => OPEN.includes(s);
export const isLeased = (s: JobStatus): boolean => LEASED.includes(s);

/** A new queued job, as SQLite makes it: maxAttempts 3 for `retry: 'auto'`, 10 for `'manual'`, never below the dispatched attempt. */
export function newStoredJob(j: NewJob, jobId: string, now: number): StoredJob {
  const iso = new Date(now).toISOString();
  const policyMax = j.options.retry === 'manual' ? MAX_MANUAL_ATTEMPTS : MAX_AUTO_ATTEMPTS;
  const hasOptions = !!j.archiveOptions && Object.keys(j.archiveOptions).length > 0;
  const r: JobRecord = {
    jobId,
    dispatchId: j.dispatchId,
    idempotencyKey: idempotencyKey(j),
    spreadsheetId: j.spreadsheetId,
    sheetId: j.sheetId,
    sheetName: j.sheetName,
    rowId: j.rowId,
    rowNumber: j.rowNumber,
    name: j.name,
    email: j.email,
    type: j.type,
    source: j.source,
    kind: j.kind ?? 'archive',
    links: j.links,
    options: j.options,
    ...(hasOptions ? { archiveOptions: j.archiveOptions } : {}),
    status: 'queued',
    attempt: j.attempt,
    maxAttempts: Math.max(policyMax, j.attempt),
    error: null,
    files: [],
    mediaIds: [],
    progress: null,
    createdAt: iso,
    updatedAt: iso,
    startedAt: null,
    finishedAt: null,
    nextRunAt: null,
    lane: laneOf(j.source, j.links, j.kind),
  };
  return { r, o: null, x: null, n: 0, b: `${jobId}.1`, p: PRIORITY_NORMAL };
}

/** The next BullMQ job id of a job (a manual retry's fresh run). */
export function nextBullId(s: StoredJob): string {
  const run = Number(/\.(\d+)$/.exec(s.b)?.[1] ?? '1');
  return `${s.r.jobId}.${run + 1}`;
}

/** Files or media ids: stored first, then new ones, no duplicates (partial results are never dropped). */
export function union(stored: readonly string[], more: readonly string[] | undefined): string[] {
  return [...new Set([...stored, ...(more ?? [])])];
}
