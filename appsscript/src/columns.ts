/**
 * "Add tracking columns" (issue 3 §3): append the missing tracking columns after the last used
 * column, in design §1 order; freeze the header row; colour both status columns; copy the tab to
 * a dated backup before the first schema change. Idempotent.
 */
import { INPUT_COLUMNS, TRACKING_COLUMNS, columnLetter, mapColumns, normalizeHeader } from '../../shared/columns.js';
import type { ActionResult } from './api.js';
import { rememberSheetName } from './settings.js';
import { plainText } from './util.js';

/** Background/font colours per status (both pass WCAG AA for the dark text on the light fill). */
export const STATUS_COLOURS: Record<string, { background: string; font: string }> = {
  completed: { background: '#b7e1cd', font: '#0d5323' },
  failed: { background: '#f4c7c3', font: '#8c0b0b' },
  queued: { background: '#fce8b2', font: '#6b4500' },
  downloading: { background: '#fce8b2', font: '#6b4500' },
};

/** Edit distance, for spotting header typos such as `youtube_staus`. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/**
 * Headers that look like a known column but are not one (edit distance ≤ 2, or only separators
 * differ), e.g. `Youtube Status` or `youtube_staus`.
 * @returns one plain sentence per suspect header, with its column letter.
 */
export function headerTypos(headers: readonly unknown[]): string[] {
  const known = [...INPUT_COLUMNS, ...TRACKING_COLUMNS] as string[];
  const map = mapColumns(headers);
  const out: string[] = [];
  for (const i of map.other) {
    const h = normalizeHeader(headers[i]);
    const squashed = h.replace(/[\s_-]+/g, '');
    const near = known.find((k) => (h.length >= 4 && distance(h, k) <= 2) || squashed === k.replace(/_/g, ''));
    if (near)
      out.push(
        `Header "${String(headers[i])}" (column ${columnLetter(i)}) looks like "${near}" but does not match it; rename it to "${near}" or delete it.`,
      );
  }
  return out;
}

/** A backup tab name that does not exist yet: `People backup 2026-11-21`, then `… (2)`. */
function backupName(ss: GoogleAppsScript.Spreadsheet.Spreadsheet, sheetName: string): string {
  const day = Utilities.formatDate(new Date(), ss.getSpreadsheetTimeZone(), 'yyyy-MM-dd');
  const base = `${sheetName} backup ${day}`;
  let name = base;
  for (let n = 2; ss.getSheetByName(name); n++) name = `${base} (${n})`;
  return name;
}

/**
 * Whether a conditional format rule is one this add-on created: a "text is exactly <status>" rule
 * with exactly our colours for that status, whose every range is one status column from row 2.
 * A user's own rule (other colours, other condition, other cells) is never matched.
 * See https://developers.google.com/apps-script/reference/spreadsheet/conditional-format-rule.
 */
export function isOurRule(rule: GoogleAppsScript.Spreadsheet.ConditionalFormatRule, statusCols: number[]): boolean {
  const cond = rule.getBooleanCondition();
  if (!cond || String(cond.getCriteriaType()) !== 'TEXT_EQUAL_TO') return false;
  const values = cond.getCriteriaValues();
  const colours = values.length === 1 ? STATUS_COLOURS[String(values[0])] : undefined;
  if (!colours) return false;
  const same = (a: string | null, b: string) => String(a ?? '').toLowerCase() === b.toLowerCase();
  if (!same(cond.getBackground(), colours.background) || !same(cond.getFontColor(), colours.font)) return false;
  const ranges = rule.getRanges();
  return ranges.length > 0 && ranges.every((r) => r.getNumColumns() === 1 && r.getRow() === 2 && statusCols.includes(r.getColumn() - 1));
}

/**
 * Replaces this add-on's rules on the status columns, keeping every other rule. The rules cover
 * open-ended A1 ranges (`G2:G`), so rows added to the grid later are coloured too. A grid with a
 * header row only gets one empty row first: a range starting at row 2 must exist.
 */
function colourStatusColumns(sheet: GoogleAppsScript.Spreadsheet.Sheet, statusCols: number[]): void {
  if (sheet.getMaxRows() < 2) sheet.insertRowsAfter(sheet.getMaxRows(), 1);
  const ranges = statusCols.map((c) => sheet.getRange(`${columnLetter(c)}2:${columnLetter(c)}`));
  const kept = sheet.getConditionalFormatRules().filter((rule) => !isOurRule(rule, statusCols));
  const added = Object.keys(STATUS_COLOURS).map((status) =>
    SpreadsheetApp.newConditionalFormatRule()
      .whenTextEqualTo(status)
      .setBackground(STATUS_COLOURS[status]!.background)
      .setFontColor(STATUS_COLOURS[status]!.font)
      .setRanges(ranges)
      .build(),
  );
  sheet.setConditionalFormatRules([...kept, ...added]);
}

/**
 * Adds what is missing and reports what it did. Safe to run any number of times.
 * @returns ok with the columns added (letters) and the backup tab, or a warning about header typos.
 */
export function ensureTrackingColumns(sheet: GoogleAppsScript.Spreadsheet.Sheet): ActionResult {
  const ss = sheet.getParent();
  const lastCol = sheet.getLastColumn();
  const headers = lastCol > 0 ? (sheet.getRange(1, 1, 1, lastCol).getValues()[0] ?? []) : [];
  const map = mapColumns(headers);
  const typos = headerTypos(headers);
  const details: string[] = [];
  let backup = '';
  if (map.missingTracking.length) {
    const docProps = PropertiesService.getDocumentProperties();
    const key = `archiver.backup.${sheet.getSheetId()}`;
    if (!docProps.getProperty(key) && sheet.getLastRow() > 0) {
      backup = backupName(ss, sheet.getName());
      sheet.copyTo(ss).setName(backup);
      docProps.setProperty(key, backup);
    }
    const need = lastCol + map.missingTracking.length - sheet.getMaxColumns();
    if (need > 0) sheet.insertColumnsAfter(sheet.getMaxColumns(), need); // getRange past the grid throws
    sheet.getRange(1, lastCol + 1, 1, map.missingTracking.length).setValues([map.missingTracking.map(plainText)]);
    details.push(...map.missingTracking.map((h, i) => `${columnLetter(lastCol + i)}: ${h}`));
  }
  if (sheet.getFrozenRows() < 1) sheet.setFrozenRows(1);
  const after = map.missingTracking.length ? mapColumns([...headers, ...map.missingTracking]) : map;
  colourStatusColumns(sheet, [after.tracking.youtube_status!, after.tracking.drive_status!]);
  rememberSheetName(sheet.getName());
  details.push(...typos);
  const added = map.missingTracking.length
    ? `Added ${map.missingTracking.length} tracking column${map.missingTracking.length === 1 ? '' : 's'} (${columnLetter(lastCol)}–${columnLetter(lastCol + map.missingTracking.length - 1)}).`
    : 'All 8 tracking columns are already there.';
  const backupNote = backup ? ` A copy of the tab was saved as "${backup}".` : '';
  const missingInput = map.missingInput.length
    ? ` Missing input column${map.missingInput.length === 1 ? '' : 's'}: ${map.missingInput.join(', ')}.`
    : '';
  return { ok: typos.length === 0 && map.missingInput.length === 0, message: added + backupNote + missingInput, details };
}
