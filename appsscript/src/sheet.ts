/** Finding the tab and reading it. */
import { mapColumns, type ColumnMap } from '../../shared/columns.js';
import { contiguousBlocks } from './writeBack.js';

/**
 * The tab the add-on works on in `ss`: the remembered one when it still exists, else the active
 * sheet (for a spreadsheet opened by id, the first tab).
 */
export function targetSheet(ss: GoogleAppsScript.Spreadsheet.Spreadsheet, sheetName: string): GoogleAppsScript.Spreadsheet.Sheet {
  const named = sheetName ? ss.getSheetByName(sheetName) : null;
  return named ?? ss.getActiveSheet();
}

/** The whole used area, header first. */
export interface SheetSnapshot {
  sheet: GoogleAppsScript.Spreadsheet.Sheet;
  headers: unknown[];
  /** data rows (sheet row 2 onwards), each as wide as the header */
  rows: unknown[][];
  map: ColumnMap;
}

/**
 * Reads the used area with ONE `Range.getValues` of `Sheet.getDataRange()` (Apps Script returns
 * a rectangular 2-D array: empty cells '', numbers as numbers, date cells as Date).
 */
export function readSheet(sheet: GoogleAppsScript.Spreadsheet.Sheet): SheetSnapshot {
  const values = sheet.getDataRange().getValues() as unknown[][];
  const headers = values[0] ?? [];
  return { sheet, headers, rows: values.slice(1), map: mapColumns(headers) };
}

/**
 * Reads only the header, the row_id column and the tracking columns (what the sidebar's live
 * updates need): one getValues for the header and one per contiguous block of those columns.
 * The returned rows are as wide as the header, with every other column left ''. A sheet with a
 * header row only gives no rows (a range starting at row 2 would not exist).
 */
export function readTracking(sheet: GoogleAppsScript.Spreadsheet.Sheet): SheetSnapshot {
  const lastCol = sheet.getLastColumn();
  const headers = lastCol > 0 ? ((sheet.getRange(1, 1, 1, lastCol).getValues()[0] ?? []) as unknown[]) : [];
  const map = mapColumns(headers);
  const lastRow = sheet.getLastRow();
  const n = lastRow - 1;
  const rows: unknown[][] = Array.from({ length: Math.max(n, 0) }, () => headers.map(() => ''));
  if (n > 0) {
    const cols = [...Object.values(map.tracking), map.input.row_id].filter((c): c is number => c !== undefined);
    for (const block of contiguousBlocks(cols)) {
      const values = sheet.getRange(2, block[0]! + 1, n, block.length).getValues();
      values.forEach((line, r) => line.forEach((v, i) => (rows[r]![block[0]! + i] = v)));
    }
  }
  return { sheet, headers, rows, map };
}
