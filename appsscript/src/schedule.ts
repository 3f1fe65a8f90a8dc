/**
 * Hourly dispatch (issue 3 §5, issue 8 §2): one time-driven trigger per user per document, checked
 * with `ScriptApp.getUserTriggers(spreadsheet)` before creating one (add-ons may hold one trigger of
 * each type per user per document and run time-driven triggers at most hourly;
 * https://developers.google.com/workspace/add-ons/concepts/editor-triggers#restrictions_2).
 *
 * A time-driven run is not reliably given the spreadsheet (docs/decisions.md, "Add-on: scheduled
 * runs"), so turning the schedule on stores `archiver.trigger.<triggerUid>` → spreadsheet id in the
 * user's UserProperties; the run finds its spreadsheet from the event's triggerUid
 * (https://developers.google.com/apps-script/guides/triggers/events#time-driven-events), uses the
 * active spreadsheet when it is that one, and otherwise opens it with SpreadsheetApp.openById
 * (scope `spreadsheets`). Every run records its outcome under `archiver.lastScheduledRun.<id>` in
 * UserProperties (always available; add-on triggers otherwise fail silently), which the sidebar shows.
 */
import type { ActionResult, RunRecord } from './api.js';
import { activeSpreadsheet } from './context.js';
import { runDispatch, type DispatchOutcome } from './dispatch.js';
import { ACTION_SCOPES, SCOPES, missingScopes, permissionMessage } from './scopes.js';
import { documentSettings, refreshSettingsCopy, secretKey, settingsFrom } from './settings.js';
import { errorText, isoUtc, nowMs } from './util.js';

/** The global the trigger calls (listed in main.ts). */
export const TRIGGER_HANDLER = 'onScheduledDispatch';
const LAST_DISPATCH = 'archiver.lastDispatch';

/** UserProperties key: trigger → the spreadsheet it dispatches. */
export function triggerKey(triggerUid: string): string {
  return `archiver.trigger.${triggerUid}`;
}
/** UserProperties key of the user's last scheduled run in one spreadsheet. */
export function scheduledRunKey(spreadsheetId: string): string {
  return `archiver.lastScheduledRun.${spreadsheetId}`;
}

function ourTriggers(ss: GoogleAppsScript.Spreadsheet.Spreadsheet): GoogleAppsScript.Script.Trigger[] {
  return ScriptApp.getUserTriggers(ss).filter((t) => t.getHandlerFunction() === TRIGGER_HANDLER);
}

/** Whether this user has the hourly trigger in this document. */
export function isScheduled(ss: GoogleAppsScript.Spreadsheet.Spreadsheet): boolean {
  return ourTriggers(ss).length > 0;
}

/**
 * Creates the hourly trigger unless this user already has one here (extra ones are removed), and
 * remembers which spreadsheet it is for, with a copy of the document's settings (settings.ts).
 */
export function scheduleHourly(ss: GoogleAppsScript.Spreadsheet.Spreadsheet): ActionResult {
  const id = ss.getId();
  const user = PropertiesService.getUserProperties();
  refreshSettingsCopy(id, documentSettings(id).values);
  const existing = ourTriggers(ss);
  if (existing.length) {
    existing.slice(1).forEach((t) => ScriptApp.deleteTrigger(t));
    user.setProperty(triggerKey(existing[0]!.getUniqueId()), id);
    return { ok: true, message: 'Hourly dispatch is already on for you in this document.' };
  }
  const trigger = ScriptApp.newTrigger(TRIGGER_HANDLER).timeBased().everyHours(1).create();
  user.setProperty(triggerKey(trigger.getUniqueId()), id);
  return { ok: true, message: 'Hourly dispatch is on: pending rows are sent every hour. Each run is shown under "Last scheduled run".' };
}

/** Deletes this user's trigger(s) in this document and what was stored for them. */
export function stopSchedule(ss: GoogleAppsScript.Spreadsheet.Spreadsheet): ActionResult {
  const existing = ourTriggers(ss);
  const user = PropertiesService.getUserProperties();
  existing.forEach((t) => {
    user.deleteProperty(triggerKey(t.getUniqueId()));
    ScriptApp.deleteTrigger(t);
  });
  return { ok: true, message: existing.length ? 'Hourly dispatch is off.' : 'Hourly dispatch was not on.' };
}

/** The record stored after a dispatch. */
export function toRecord(at: number, o: DispatchOutcome): RunRecord {
  return { at: isoUtc(at), ok: o.ok, rowsSent: o.rowsSent, jobsAccepted: o.jobsAccepted, errors: o.errors.slice(0, 5), message: o.message };
}

function failed(at: number, message: string): RunRecord {
  return { at: isoUtc(at), ok: false, rowsSent: 0, jobsAccepted: 0, errors: [message], message };
}

/** Stores the outcome of a manual dispatch (DocumentProperties: everyone sees "Last dispatch"). */
export function recordDispatch(record: RunRecord, docProps: GoogleAppsScript.Properties.Properties | null): void {
  docProps?.setProperty(LAST_DISPATCH, JSON.stringify(record));
}

/** Reads a stored run from a properties map, or null. */
export function parseRun(raw: string | undefined | null): RunRecord | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as RunRecord;
  } catch {
    return null;
  }
}
/** The last manual dispatch in DocumentProperties' map. */
export function readDispatch(docProps: Record<string, string>): RunRecord | null {
  return parseRun(docProps[LAST_DISPATCH]);
}
/** This user's last scheduled run in one spreadsheet, from UserProperties' map. */
export function readScheduledRun(spreadsheetId: string, userProps: Record<string, string>): RunRecord | null {
  return parseRun(userProps[scheduledRunKey(spreadsheetId)]);
}

/**
 * The time-driven run: find the spreadsheet, check the permissions the run needs, dispatch, and
 * record the outcome — also when anything fails. Never throws.
 * @param e the time-driven event (`triggerUid` says which trigger fired).
 * @returns the record, or null when the run cannot tell which spreadsheet it belongs to.
 */
export function runScheduled(e?: { triggerUid?: unknown }): RunRecord | null {
  const at = nowMs();
  let user: GoogleAppsScript.Properties.Properties;
  let id = '';
  try {
    user = PropertiesService.getUserProperties();
    const uid = e?.triggerUid === undefined || e?.triggerUid === null ? '' : String(e.triggerUid);
    const active = activeSpreadsheet();
    id = (uid && user.getProperty(triggerKey(uid))) || active?.getId() || '';
    if (!id) {
      const trigger = uid || '(unknown)';
      console.error(
        `Sheet Archiver: scheduled run for trigger ${trigger} has no spreadsheet (no active one, no stored id); nothing was done.`,
      );
      return null;
    }
    if (uid && !user.getProperty(triggerKey(uid))) user.setProperty(triggerKey(uid), id); // a trigger made before ids were stored
    const record = runFor(at, id, active, user);
    user.setProperty(scheduledRunKey(id), JSON.stringify(record));
    return record;
  } catch (err) {
    const record = failed(at, `The scheduled run failed: ${errorText(err)}`);
    console.error(`Sheet Archiver: ${record.message}`);
    try {
      if (id) PropertiesService.getUserProperties().setProperty(scheduledRunKey(id), JSON.stringify(record));
    } catch {
      // nothing left to record into; the execution log has it
    }
    return record;
  }
}

function runFor(
  at: number,
  id: string,
  active: GoogleAppsScript.Spreadsheet.Spreadsheet | null,
  user: GoogleAppsScript.Properties.Properties,
): RunRecord {
  const useActive = !!active && active.getId() === id;
  const needed = useActive ? [SCOPES.thisSpreadsheet, SCOPES.worker] : [...ACTION_SCOPES.scheduledRun];
  const missing = missingScopes(needed);
  if (missing) return failed(at, `The scheduled run could not run: ${permissionMessage('dispatch on schedule', missing)}`);
  let ss = useActive ? active : null;
  const why = active
    ? `Apps Script started it in another spreadsheet (${active.getId()})`
    : 'Apps Script started it without an active spreadsheet';
  if (!ss) {
    try {
      ss = SpreadsheetApp.openById(id);
    } catch (err) {
      return failed(at, `The scheduled run could not open this spreadsheet: ${why}, and opening it by id failed: ${errorText(err)}`);
    }
    if (!ss) return failed(at, `The scheduled run could not open this spreadsheet: ${why}, and SpreadsheetApp.openById returned nothing.`);
  }
  const doc = documentSettings(id);
  if (!doc.fromCopy) refreshSettingsCopy(id, doc.values);
  const settings = settingsFrom(id, doc.values, user.getProperty(secretKey(id)) ?? '');
  return toRecord(at, runDispatch({ mode: 'auto' }, ss, settings));
}
