/**
 * Marks accepted rows `queued` with a fixed number of service calls: one getValues of the row_id
 * column and one getValues + one setValues per contiguous block of touched columns, over the span
 * of touched rows — never one call per row.
 *
 * Untouched cells inside a block are written back with the values read a moment before, and a
 * touched cell is only overwritten when it still holds what dispatch planned from (so a status the
 * worker wrote meanwhile, or a row that moved, is left alone; the next run picks such rows up).
 */
import { readStatus, sourceColumns, type ColumnMap, type SheetStatus, type SourceName } from '../../shared/columns.js';
import { plainText } from './util.js';

/** One (row, source) the worker accepted. */
export interface AcceptedJob {
  rowNumber: number;
  rowId: string;
  source: SourceName;
  /** what the sheet should show: queued or downloading */
  status: 'queued' | 'downloading';
  /** the status cell as read when planning */
  plannedFrom: SheetStatus;
}

/** Groups sorted 0-based column indexes into runs of neighbours: [3,4,7] → [[3,4],[7]]. */
export function contiguousBlocks(cols: number[]): number[][] {
  const sorted = [...new Set(cols)].sort((a, b) => a - b);
  const out: number[][] = [];
  for (const c of sorted) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1] === c - 1) last.push(c);
    else out.push([c]);
  }
  return out;
}

/**
 * Writes status and last_download_attempt for accepted jobs.
 * @param attemptIso ISO 8601 UTC written into last_download_attempt.
 * @returns rows written and (row, source) pairs left alone because the sheet changed meanwhile.
 */
export function markAccepted(
  sheet: GoogleAppsScript.Spreadsheet.Sheet,
  map: ColumnMap,
  jobs: AcceptedJob[],
  attemptIso: string,
): { rowsWritten: number; leftAlone: number } {
  if (!jobs.length) return { rowsWritten: 0, leftAlone: 0 };
  const idCol = map.input.row_id!;
  const lastCol = map.tracking.last_download_attempt!;
  const minRow = Math.min(...jobs.map((j) => j.rowNumber));
  const maxRow = Math.max(...jobs.map((j) => j.rowNumber));
  const span = maxRow - minRow + 1;
  const freshIds = sheet.getRange(minRow, idCol + 1, span, 1).getValues();
  const statusCol = (s: SourceName) => map.tracking[sourceColumns(s).status]!;
  const cols = [...new Set(jobs.map((j) => statusCol(j.source))), lastCol];
  const blocks = contiguousBlocks(cols).map((block) => {
    const c0 = block[0]!;
    const range = sheet.getRange(minRow, c0 + 1, span, block.length);
    return { c0, range, values: range.getValues().map((r) => r.map(plainText)) as unknown[][] };
  });
  const cell = (row: number, col: number) => {
    const b = blocks.find((x) => col >= x.c0 && col < x.c0 + (x.values[0]?.length ?? 0))!;
    return { b, r: row - minRow, c: col - b.c0 };
  };
  const rowsDone = new Set<number>();
  let leftAlone = 0;
  for (const j of jobs) {
    const fresh = String(freshIds[j.rowNumber - minRow]?.[0] ?? '').trim();
    const { b, r, c } = cell(j.rowNumber, statusCol(j.source));
    const now = readStatus(String(b.values[r]![c]).replace(/^'/, ''));
    if (fresh !== j.rowId || now !== j.plannedFrom) {
      leftAlone++;
      continue;
    }
    b.values[r]![c] = plainText(j.status);
    rowsDone.add(j.rowNumber);
  }
  for (const row of rowsDone) {
    const { b, r, c } = cell(row, lastCol);
    b.values[r]![c] = plainText(attemptIso);
  }
  for (const b of blocks) b.range.setValues(b.values);
  return { rowsWritten: rowsDone.size, leftAlone };
}
