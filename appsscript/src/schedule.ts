/**
 * Hourly dispatch (issue 3 §5): one time-driven trigger per user per document, checked with
 * `ScriptApp.getUserTriggers(spreadsheet)` before creating one (add-ons may hold one trigger of
 * each type per user per document and may run time-driven triggers at most hourly; see
 * https://developers.google.com/apps-script/guides/triggers/installable#time-driven_triggers).
 * Each run records its outcome in DocumentProperties: add-on triggers otherwise fail silently.
 */
import type { ActionResult, RunRecord } from './api.js';
import { runDispatch, type DispatchOutcome } from './dispatch.js';
import { errorText, isoUtc, nowMs } from './util.js';

/** The global the trigger calls (listed in main.ts). */
export const TRIGGER_HANDLER = 'onScheduledDispatch';
const LAST_SCHEDULED = 'archiver.lastScheduledRun';
const LAST_DISPATCH = 'archiver.lastDispatch';

function ourTriggers(): GoogleAppsScript.Script.Trigger[] {
  return ScriptApp.getUserTriggers(SpreadsheetApp.getActiveSpreadsheet()).filter((t) => t.getHandlerFunction() === TRIGGER_HANDLER);
}

/** Whether this user has the hourly trigger in this document. */
export function isScheduled(): boolean {
  return ourTriggers().length > 0;
}

/** Creates the hourly trigger unless this user already has one here (extra ones are removed). */
export function scheduleHourly(): ActionResult {
  const existing = ourTriggers();
  if (existing.length) {
    existing.slice(1).forEach((t) => ScriptApp.deleteTrigger(t));
    return { ok: true, message: 'Hourly dispatch is already on for you in this document.' };
  }
  ScriptApp.newTrigger(TRIGGER_HANDLER).timeBased().everyHours(1).create();
  return { ok: true, message: 'Hourly dispatch is on: pending rows are sent every hour. Each run is shown under "Last scheduled run".' };
}

/** Deletes this user's trigger(s) in this document. */
export function stopSchedule(): ActionResult {
  const existing = ourTriggers();
  existing.forEach((t) => ScriptApp.deleteTrigger(t));
  return { ok: true, message: existing.length ? 'Hourly dispatch is off.' : 'Hourly dispatch was not on.' };
}

/** The record stored after a dispatch. */
export function toRecord(at: number, o: DispatchOutcome): RunRecord {
  return { at: isoUtc(at), ok: o.ok, rowsSent: o.rowsSent, jobsAccepted: o.jobsAccepted, errors: o.errors.slice(0, 5), message: o.message };
}

/** Stores a run; `scheduled` selects the key the sidebar shows as "Last scheduled run". */
export function recordRun(record: RunRecord, scheduled: boolean): void {
  PropertiesService.getDocumentProperties().setProperty(scheduled ? LAST_SCHEDULED : LAST_DISPATCH, JSON.stringify(record));
}

/** Reads a stored run, or null. */
export function readRun(scheduled: boolean, props: Record<string, string>): RunRecord | null {
  const raw = props[scheduled ? LAST_SCHEDULED : LAST_DISPATCH];
  if (!raw) return null;
  try {
    return JSON.parse(raw) as RunRecord;
  } catch {
    return null;
  }
}

/** The time-driven run: dispatch, then record the outcome (also when it throws). */
export function runScheduled(): RunRecord {
  const at = nowMs();
  let record: RunRecord;
  try {
    record = toRecord(at, runDispatch({ mode: 'auto' }));
  } catch (e) {
    record = { at: isoUtc(at), ok: false, rowsSent: 0, jobsAccepted: 0, errors: [errorText(e)], message: `The scheduled run failed: ${errorText(e)}` };
  }
  recordRun(record, true);
  return record;
}
