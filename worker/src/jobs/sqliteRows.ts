/** Mapping between `jobs` rows (ms integers, JSON text) and JobRecord (ISO strings, objects). */
import type { RowArchiveOptions } from '../../../shared/archiveOptions.js';
import type { SourceName } from '../../../shared/columns.js';
import type { DispatchOptions, JobError, JobKind, JobProgress, JobRecord, JobStatus } from '../../../shared/schemas.js';

/** A `jobs` row as better-sqlite3 returns it. */
export interface JobRow {
  seq: number;
  job_id: string;
  dispatch_id: string;
  idempotency_key: string;
  spreadsheet_id: string;
  sheet_id: number;
  sheet_name: string;
  row_id: string;
  row_number: number;
  name: string;
  email: string;
  type: string;
  source: SourceName;
  /** schema v4; 'archive' for rows written before */
  kind: JobKind;
  links: string;
  options: string;
  /** JSON RowArchiveOptions, or NULL (schema v3) */
  archive_options: string | null;
  status: JobStatus;
  attempt: number;
  max_attempts: number;
  error: string | null;
  files: string;
  media_ids: string;
  progress: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  reclaims: number;
  ready_at: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  next_run_at: number | null;
  /** schema v2; '' for jobs enqueued before lanes */
  lane: string;
  /** schema v5: 0 automatic, 1 manual retry, 2 handed back by a stopping worker */
  priority: number;
  /** schema v5: JSON JobRecord['writeBack'], or NULL */
  write_back: string | null;
}

/** ms since epoch → ISO 8601 UTC; null stays null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A row → the JobRecord the API and the runner see (lease bookkeeping stays internal). */
export function rowToJob(r: JobRow): JobRecord {
  return {
    jobId: r.job_id,
    dispatchId: r.dispatch_id,
    idempotencyKey: r.idempotency_key,
    spreadsheetId: r.spreadsheet_id,
    sheetId: r.sheet_id,
    sheetName: r.sheet_name,
    rowId: r.row_id,
    rowNumber: r.row_number,
    name: r.name,
    email: r.email,
    type: r.type,
    source: r.source,
    kind: r.kind ?? 'archive',
    links: JSON.parse(r.links) as string[],
    options: JSON.parse(r.options) as DispatchOptions,
    ...(r.archive_options ? { archiveOptions: JSON.parse(r.archive_options) as RowArchiveOptions } : {}),
    status: r.status,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    error: r.error === null ? null : (JSON.parse(r.error) as JobError),
    files: JSON.parse(r.files) as string[],
    mediaIds: JSON.parse(r.media_ids) as string[],
    progress: r.progress === null ? null : (JSON.parse(r.progress) as JobProgress),
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    nextRunAt: isoOrNull(r.next_run_at),
    ...(r.lane ? { lane: r.lane } : {}),
    ...(r.write_back ? { writeBack: JSON.parse(r.write_back) as NonNullable<JobRecord['writeBack']> } : {}),
  };
}

/**
 * The union of a stored JSON string[] and new items, stored order first, no duplicates; as JSON.
 * Used so partial results of earlier attempts (playlist entries) are never dropped.
 */
export function unionJson(storedJson: string, more: readonly string[] | undefined): string {
  const out = new Set(JSON.parse(storedJson) as string[]);
  for (const m of more ?? []) out.add(m);
  return JSON.stringify([...out]);
}

/** Keyset cursor for list(): the last row's seq, base64url so clients treat it as opaque. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

/**
 * @returns the seq inside a cursor, or null when the cursor is malformed: only the exact text
 *   encodeCursor makes is accepted (base64url decoding alone is lenient about stray characters).
 */
export function decodeCursor(cursor: string): number | null {
  const m = /^s:([1-9]\d{0,14})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) return null;
  const seq = Number(m[1]);
  return encodeCursor(seq) === cursor ? seq : null;
}
