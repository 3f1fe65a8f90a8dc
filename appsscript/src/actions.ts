/**
 * The add-on's actions, shared by the menu and the sidebar. Each returns an ActionResult and
 * turns expected failures into plain messages instead of exceptions.
 */
import type { ActionResult, SettingsInput, SidebarState } from './api.js';
import { ensureTrackingColumns } from './columns.js';
import { runDispatch } from './dispatch.js';
import { resetRows } from './reset.js';
import { isScheduled, readRun, recordRun, scheduleHourly, stopSchedule, toRecord } from './schedule.js';
import { readSettings, settingsView, writeSettings } from './settings.js';
import { readSheet, targetSheet } from './sheet.js';
import { computeStatus } from './status.js';
import { errorText, nowMs } from './util.js';
import { validateSnapshot } from './validate.js';
import { checkHealth } from './workerClient.js';

/** Runs an action; an exception becomes `{ ok: false, message }`. */
export function guard(action: () => ActionResult): ActionResult {
  try {
    return action();
  } catch (e) {
    return { ok: false, message: errorText(e) };
  }
}

export const actions = {
  addTrackingColumns: (): ActionResult => guard(() => ensureTrackingColumns(targetSheet(readSettings().sheetName))),

  dispatch: (): ActionResult =>
    guard(() => {
      const at = nowMs();
      const o = runDispatch({ mode: 'auto' });
      recordRun(toRecord(at, o), false);
      return o;
    }),

  retryFailed: (): ActionResult =>
    guard(() => {
      const at = nowMs();
      const o = runDispatch({ mode: 'manual', onlyFailed: true });
      recordRun(toRecord(at, o), false);
      return o;
    }),

  resetSelected: (): ActionResult =>
    guard(() => {
      const s = readSettings();
      return resetRows(readSheet(targetSheet(s.sheetName)), SpreadsheetApp.getActiveRange());
    }),

  validate: (): ActionResult =>
    guard(() => {
      const s = readSettings();
      return validateSnapshot(readSheet(targetSheet(s.sheetName)), s);
    }),

  schedule: (): ActionResult => guard(scheduleHourly),
  stopSchedule: (): ActionResult => guard(stopSchedule),

  checkWorker: (): ActionResult =>
    guard(() => {
      const s = readSettings();
      if (!s.workerUrl) return { ok: false, message: 'Set the worker URL in Settings first.' };
      return checkHealth(s.workerUrl);
    }),

  saveSettings: (input: SettingsInput): ActionResult =>
    guard(() => {
      writeSettings(input ?? {});
      return { ok: true, message: 'Settings saved.' };
    }),

  state: (): SidebarState => {
    const settings = readSettings();
    const props = PropertiesService.getDocumentProperties().getProperties();
    let status: SidebarState['status'] = null;
    let statusError = '';
    try {
      status = computeStatus(readSheet(targetSheet(settings.sheetName)), settings, nowMs());
    } catch (e) {
      statusError = errorText(e);
    }
    return {
      settings: settingsView(settings),
      status,
      statusError,
      scheduled: isScheduled(),
      lastScheduledRun: readRun(true, props),
      lastDispatch: readRun(false, props),
    };
  },
};
