/**
 * Status write-back (design §1): one interface over the CSV file (offline default) and Google
 * Sheets (Sheets API v4). Backends write only the 8 tracking cells, as RAW text, and verify
 * row_id and type before writing.
 */
import type { SheetStatus, SourceName } from '../../../shared/columns.js';
import type { ErrorLine } from '../../../shared/errors.js';

/** The latest state of one (row, source), to be written into its tracking cells. */
export interface StatusUpdate {
  /** the job this update reports, so a refused write can be recorded on the job */
  jobId?: string;
  spreadsheetId: string;
  sheetId: number;
  sheetName: string;
  rowId: string;
  /** the type dispatched: a row whose type differs is refused as data_corruption */
  type: string;
  /** 1-based row at dispatch time; a hint only */
  rowNumberHint: number;
  source: SourceName;
  status: SheetStatus;
  /** object keys; undefined leaves the cell as it is */
  files?: string[];
  mediaIds?: string[];
  /** ISO 8601 UTC, e.g. 2026-11-21T09:15:02Z */
  lastAttempt?: string;
  /** the source's download_errors line; null clears it; undefined leaves it */
  error?: ErrorLine | null;
  /**
   * The row was erased (catalogue/erase.ts): this source's status, files and media id cells and
   * last_download_attempt are cleared, and download_errors becomes this note (`erased on 2026-12-02`).
   * The fields above are then ignored. A later update without it supersedes it (outbox.ts mergeUpdates).
   */
  erased?: string;
}

export type UpdateOutcome = { ok: true; rowNumber: number } | { ok: false; category: 'data_corruption' | 'not_found'; message: string };

export interface SheetBackend {
  readonly kind: 'csv' | 'google' | 'off';
  /** Appends the missing tracking columns (backing up first where the backend can). Idempotent. */
  ensureColumns(target: { spreadsheetId: string; sheetName: string }): Promise<void>;
  /**
   * Writes a batch of updates (the Google backend: one values:batchUpdate).
   * @returns one outcome per update, same order. Refused rows are not written.
   * @throws ArchiveError('network' | 'rate_limit' | 'quota') when the batch could not be written at all;
   *   the caller keeps the updates and retries.
   */
  apply(updates: StatusUpdate[]): Promise<UpdateOutcome[]>;
}

/** A stored pending sheet update. */
export interface OutboxEntry {
  id: number;
  update: StatusUpdate;
  /** attempts to write it so far */
  tries: number;
  /** ms since epoch */
  createdAt: number;
}

/**
 * Pending status updates, stored durably (design §6: no status update is lost). Updates for the
 * same (spreadsheet, sheet, row, source) coalesce: fields of a newer update override the older one's.
 *
 * Asynchronous so that a shared store fits (report/redisOutbox.ts, with REDIS_URL): there `peek`
 * also claims the spreadsheets it returns entries for (a lock with expiry, so only one worker sends
 * a spreadsheet's updates at a time) and `ack`, `defer` and `release` give the claim back. The
 * SQLite outbox (one process) has nothing to claim.
 */
export interface StatusOutbox {
  /** Stores an update, merged into a pending one for the same key. Durable when the promise resolves. */
  push(update: StatusUpdate): Promise<void>;
  /** Entries ready to send (not waiting for a retry backoff), oldest first. @param now ms since epoch */
  peek(limit: number, now?: number): Promise<OutboxEntry[]>;
  /** Removes delivered entries, unless a newer update replaced them since peek. */
  ack(entries: OutboxEntry[]): Promise<void>;
  /** Counts a failed try and puts entries back to wait `delayMs` (ms) before the next try. */
  defer(entries: OutboxEntry[], delayMs: number): Promise<void>;
  /** Gives peeked entries back untouched (no try counted): they were not sent, e.g. the write budget said wait. */
  release(entries: OutboxEntry[]): Promise<void>;
  /** Pending entries, ready or waiting. */
  size(): Promise<number>;
}
