/**
 * The document an execution works on, and the lock that serialises dispatches in it.
 *
 * Apps Script gives an execution a document only when it runs in one: `getActiveSpreadsheet()`
 * may return null and `LockService.getDocumentLock()` returns null "outside the context of a
 * containing document" (https://developers.google.com/apps-script/reference/lock/lock-service#getDocumentLock()),
 * as may `PropertiesService.getDocumentProperties()` ("when document properties are not
 * available this method returns null",
 * https://developers.google.com/apps-script/reference/properties/properties-service#getDocumentProperties()).
 * A time-driven run is such an execution (docs/decisions.md, "Add-on: scheduled runs").
 */

/** The active spreadsheet, or null when there is none (or Apps Script refuses it in this mode). */
export function activeSpreadsheet(): GoogleAppsScript.Spreadsheet.Spreadsheet | null {
  try {
    return SpreadsheetApp.getActiveSpreadsheet() ?? null;
  } catch {
    return null;
  }
}

/** The active spreadsheet. @throws Error with a plain message when no spreadsheet is open. */
export function requireActiveSpreadsheet(): GoogleAppsScript.Spreadsheet.Spreadsheet {
  const ss = activeSpreadsheet();
  if (!ss) throw new Error('No spreadsheet is open: open the spreadsheet and use Extensions → Sheet Archiver.');
  return ss;
}

/** DocumentProperties, or null when this execution has no document. */
export function documentProperties(): GoogleAppsScript.Properties.Properties | null {
  try {
    return PropertiesService.getDocumentProperties() ?? null;
  } catch {
    return null;
  }
}

/**
 * The document lock, or — when Apps Script has no document for this execution and returns null —
 * this user's lock, so one user's runs still never overlap. Dispatch stays safe across users then
 * because the worker answers a repeated dispatch with the open job (design §3) and the write-back
 * re-checks every cell it writes (writeBack.ts).
 */
export function dispatchLock(): { lock: GoogleAppsScript.Lock.Lock; scope: 'document' | 'user' } {
  const doc = LockService.getDocumentLock();
  if (doc) return { lock: doc, scope: 'document' };
  return { lock: LockService.getUserLock(), scope: 'user' };
}
