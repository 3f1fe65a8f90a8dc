/** Finding the tab and reading it in one call. */
import { mapColumns, type ColumnMap } from '../../shared/columns.js';

/**
 * The tab the add-on works on: the remembered one when it still exists, else the active sheet
 * (in a time-driven run that is the first tab).
 * @throws Error when the document is not available (e.g. AuthMode.NONE).
 */
export function targetSheet(sheetName: string): GoogleAppsScript.Spreadsheet.Sheet {
  const ss = SpreadsheetApp.getActiveSpreadsheet();
  if (!ss) throw new Error('No spreadsheet is open.');
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
