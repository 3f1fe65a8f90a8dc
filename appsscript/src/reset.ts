/**
 * "Reset selected rows": clears the statuses, last_download_attempt and download_errors of the
 * selected rows (files and media ids stay as a record of what was archived), so the next
 * dispatch sends them again with attempt 1. One setValues per contiguous block of cleared columns.
 */
import type { ActionResult } from './api.js';
import { contiguousBlocks } from './writeBack.js';
import type { SheetSnapshot } from './sheet.js';
import { plural } from './util.js';

const CLEARED = ['youtube_status', 'drive_status', 'last_download_attempt', 'download_errors'] as const;

/**
 * @param snap the target tab (header map); @param selection the active range
 *   (https://developers.google.com/apps-script/reference/spreadsheet/spreadsheet-app#getActiveRange()).
 */
export function resetRows(snap: SheetSnapshot, selection: GoogleAppsScript.Spreadsheet.Range | null): ActionResult {
  const { sheet, map } = snap;
  if (!selection) return { ok: false, message: 'Select the rows to reset first.' };
  if (selection.getSheet().getSheetId() !== sheet.getSheetId())
    return { ok: false, message: `Select rows on the tab "${sheet.getName()}" first.` };
  if (map.missingTracking.length) return { ok: false, message: 'This tab has no tracking columns yet; nothing to reset.' };
  const first = Math.max(selection.getRow(), 2);
  const last = Math.min(selection.getRow() + selection.getNumRows() - 1, snap.rows.length + 1);
  if (last < first) return { ok: false, message: 'Select data rows (below the header) to reset.' };
  const n = last - first + 1;
  const cols = CLEARED.map((c) => map.tracking[c]!);
  for (const block of contiguousBlocks(cols)) {
    const empty = Array.from({ length: n }, () => block.map(() => ''));
    sheet.getRange(first, block[0]! + 1, n, block.length).setValues(empty);
  }
  return {
    ok: true,
    message: `Reset ${plural(n, 'row')} (${first}${n > 1 ? `–${last}` : ''}): status, errors and last attempt cleared; archived files are kept. The next dispatch sends ${n === 1 ? 'it' : 'them'} again.`,
  };
}
