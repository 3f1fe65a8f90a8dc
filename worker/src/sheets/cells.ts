/**
 * Which tracking cells a status update writes, shared by the CSV and Google Sheets backends so
 * both write exactly the same cells (design §1).
 */
import { sourceColumns, type ColumnMap, type TrackingColumn } from '../../../shared/columns.js';
import { mergeErrorLine } from '../../../shared/errors.js';
import type { StatusUpdate } from './types.js';

/**
 * The tracking cells one update writes, as [column index, value]: the source's status always;
 * files, media ids and the last attempt when defined; download_errors merged into
 * `currentErrors` (shared/errors.ts mergeErrorLine) when `error` is defined. Tracking columns
 * missing from `map` are skipped. An `erased` update clears the source's status, files and media
 * id cells and last_download_attempt, and sets download_errors to its note. Shared by the CSV and
 * Google backends.
 */
export function trackingCells(u: StatusUpdate, map: ColumnMap, currentErrors: string): [number, string][] {
  const cols = sourceColumns(u.source);
  const out: [number, string][] = [];
  const put = (col: TrackingColumn, v: string) => {
    const c = map.tracking[col];
    if (c !== undefined) out.push([c, v]);
  };
  if (u.erased !== undefined) {
    // an erase (docs/catalogue.md "Erase it"): nothing archived is listed any more, only the note
    for (const col of [cols.status, cols.files, cols.mediaId, 'last_download_attempt'] as const) put(col, '');
    put('download_errors', u.erased);
    return out;
  }
  put(cols.status, u.status);
  if (u.files !== undefined) put(cols.files, u.files.join(','));
  if (u.mediaIds !== undefined) put(cols.mediaId, u.mediaIds.join(','));
  if (u.lastAttempt !== undefined) put('last_download_attempt', u.lastAttempt);
  if (u.error !== undefined) put('download_errors', mergeErrorLine(currentErrors, u.source, u.error));
  return out;
}
