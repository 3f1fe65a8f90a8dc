/**
 * Marks accepted rows `queued` (design §1: tracking cells of the target row only) writing ONLY the
 * cells it means to change: the status cell of each accepted (row, source) and that row's
 * last_download_attempt. Cells are grouped by value into `Sheet.getRangeList(a1s).setValue(v)`
 * (https://developers.google.com/apps-script/reference/spreadsheet/range-list#setValue(Object)),
 * one call per distinct value, with neighbouring rows of a column merged into one A1 range, so
 * the number of service calls does not grow with the rows. Nothing outside those cells is written,
 * so a `completed` the worker writes anywhere else meanwhile survives.
 *
 * Reads: the row_id column and each touched status column over the span of touched rows (one
 * getValues each). A status cell is only overwritten when it still holds what dispatch planned
 * from and its row still has the dispatched row_id; otherwise it is left alone for the next run.
 */
import { columnLetter, readStatus, sourceColumns, type ColumnMap, type SheetStatus, type SourceName } from '../../shared/columns.js';
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
 * A1 ranges covering exactly the given cells of one column, neighbouring rows merged:
 * (col 6, rows [2,3,4,9]) → ['G2:G4', 'G9'].
 * @param col 0-based column; @param rows 1-based row numbers.
 */
export function columnRuns(col: number, rows: Iterable<number>): string[] {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const letter = columnLetter(col);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${letter}${sorted[i]}` : `${letter}${sorted[i]}:${letter}${sorted[j]}`);
    i = j + 1;
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
  const statusCol = (s: SourceName) => map.tracking[sourceColumns(s).status]!;
  const freshIds = sheet.getRange(minRow, idCol + 1, span, 1).getValues();
  const fresh = new Map<number, unknown[][]>();
  for (const c of new Set(jobs.map((j) => statusCol(j.source)))) fresh.set(c, sheet.getRange(minRow, c + 1, span, 1).getValues());

  // value → column → rows
  const writes = new Map<string, Map<number, number[]>>();
  const add = (value: string, col: number, row: number) => {
    let byCol = writes.get(value);
    if (!byCol) writes.set(value, (byCol = new Map()));
    let rows = byCol.get(col);
    if (!rows) byCol.set(col, (rows = []));
    rows.push(row);
  };
  const rowsDone = new Set<number>();
  let leftAlone = 0;
  for (const j of jobs) {
    const r = j.rowNumber - minRow;
    const id = String(freshIds[r]?.[0] ?? '').trim();
    const col = statusCol(j.source);
    const now = readStatus(fresh.get(col)![r]?.[0]);
    if (id !== j.rowId || now !== j.plannedFrom) {
      leftAlone++;
      continue;
    }
    add(j.status, col, j.rowNumber);
    rowsDone.add(j.rowNumber);
  }
  for (const row of rowsDone) add(attemptIso, lastCol, row);
  for (const [value, byCol] of writes) {
    const a1s = [...byCol].flatMap(([col, rows]) => columnRuns(col, rows));
    sheet.getRangeList(a1s).setValue(plainText(value));
  }
  return { rowsWritten: rowsDone.size, leftAlone };
}
