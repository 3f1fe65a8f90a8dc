/** "Validate sheet" (issue 3 §7): missing headers, empty/duplicate row_ids, malformed links, with row numbers. */
import { validateSheet } from '../../shared/rows.js';
import type { ActionResult } from './api.js';
import { headerTypos } from './columns.js';
import type { Settings } from './settings.js';
import type { SheetSnapshot } from './sheet.js';
import { plural } from './util.js';

/** Lists at most this many issues (the message gives the total). */
const MAX_LISTED = 200;

/**
 * Checks the tab. Every problem is one line starting with its 1-based row number (1 = header).
 * @returns ok when nothing was found.
 */
export function validateSnapshot(snap: SheetSnapshot, settings: Settings): ActionResult {
  const v = validateSheet(snap.headers, snap.rows, settings.allowedHosts);
  const lines = v.issues.sort((a, b) => a.rowNumber - b.rowNumber).map((i) => `Row ${i.rowNumber}: ${i.message}`);
  if (snap.map.missingTracking.length)
    lines.unshift(
      `Row 1: missing tracking column${snap.map.missingTracking.length === 1 ? '' : 's'} ${snap.map.missingTracking.join(', ')} (use "Add tracking columns")`,
    );
  lines.unshift(...headerTypos(snap.headers).map((t) => `Row 1: ${t}`));
  const where = `${plural(v.rowCount, 'row')} checked; link columns: ${v.linkColumns.length ? v.linkColumns.join(', ') : 'none found'}.`;
  if (!lines.length) return { ok: true, message: `No problems found. ${where}`, details: [] };
  return {
    ok: false,
    message: `${plural(lines.length, 'problem')} found. ${where}`,
    details: lines.slice(0, MAX_LISTED),
  };
}
