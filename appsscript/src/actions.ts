/**
 * The add-on's actions, shared by the menu and the sidebar. Each checks the permissions it needs
 * (scopes.ts), returns an ActionResult and turns expected failures into plain messages instead of
 * exceptions.
 */
import type { ActionResult, ArchivedMediaView, LiveStatus, PollRequest, SettingsInput, SidebarState, WorkerReportView } from './api.js';
import { archivedMedia } from './archivedMedia.js';
import { ensureTrackingColumns } from './columns.js';
import { documentProperties, requireActiveSpreadsheet } from './context.js';
import { runDispatch } from './dispatch.js';
import { resetRows } from './reset.js';
import { isScheduled, readDispatch, readScheduledRun, recordDispatch, scheduleHourly, stopSchedule, toRecord } from './schedule.js';
import { ACTION_SCOPES, missingScopes, permissionMessage, requirePermissions } from './scopes.js';
import { readSettings, refreshSettingsCopy, settingsFrom, settingsView, writeSettings } from './settings.js';
import { readSheet, readTracking, targetSheet } from './sheet.js';
import { computeStatus, countStatuses } from './status.js';
import { errorText, nowMs } from './util.js';
import { validateSnapshot } from './validate.js';
import { checkHealth, testConnection } from './workerClient.js';
import { noReport, workerReport } from './workerReport.js';
import { SOURCES, type SourceName } from '../../shared/columns.js';

/** Runs an action after its permission check; an exception becomes `{ ok: false, message }`. */
export function guard(scopes: readonly string[], toDo: string, action: () => ActionResult): ActionResult {
  try {
    return requirePermissions(scopes, toDo) ?? action();
  } catch (e) {
    return { ok: false, message: errorText(e) };
  }
}

function dispatchAction(mode: 'auto' | 'manual'): ActionResult {
  return guard(ACTION_SCOPES.dispatch, 'send rows to your worker', () => {
    const at = nowMs();
    const ss = requireActiveSpreadsheet();
    const o = runDispatch(mode === 'auto' ? { mode } : { mode, onlyFailed: true }, ss, readSettings(ss.getId()));
    recordDispatch(toRecord(at, o), documentProperties());
    return o;
  });
}

export const actions = {
  addTrackingColumns: (): ActionResult =>
    guard(ACTION_SCOPES.readSheet, 'change this spreadsheet', () => {
      const ss = requireActiveSpreadsheet();
      return ensureTrackingColumns(targetSheet(ss, readSettings(ss.getId()).sheetName));
    }),

  dispatch: (): ActionResult => dispatchAction('auto'),
  retryFailed: (): ActionResult => dispatchAction('manual'),

  resetSelected: (): ActionResult =>
    guard(ACTION_SCOPES.readSheet, 'change this spreadsheet', () => {
      const ss = requireActiveSpreadsheet();
      return resetRows(readSheet(targetSheet(ss, readSettings(ss.getId()).sheetName)), SpreadsheetApp.getActiveRange());
    }),

  validate: (): ActionResult =>
    guard(ACTION_SCOPES.readSheet, 'read this spreadsheet', () => {
      const ss = requireActiveSpreadsheet();
      const s = readSettings(ss.getId());
      return validateSnapshot(readSheet(targetSheet(ss, s.sheetName)), s);
    }),

  schedule: (): ActionResult =>
    guard(ACTION_SCOPES.schedule, 'run the hourly dispatch while you are away', () => scheduleHourly(requireActiveSpreadsheet())),
  stopSchedule: (): ActionResult =>
    guard(ACTION_SCOPES.stopSchedule, 'remove your hourly trigger', () => stopSchedule(requireActiveSpreadsheet())),

  checkWorker: (): ActionResult =>
    guard(ACTION_SCOPES.checkWorker, 'reach your worker', () => {
      const s = readSettings(requireActiveSpreadsheet().getId());
      if (!s.workerUrl) return { ok: false, message: 'Set the worker URL in Settings first.' };
      return checkHealth(s.workerUrl);
    }),

  /** The per-row panel: a row's archived files with links (on demand only: two UrlFetch calls). */
  archivedMedia: (rowId: string): ArchivedMediaView => {
    const denied = requirePermissions(ACTION_SCOPES.dispatch, 'list what is archived for a row');
    if (denied) return { ok: false, message: denied.message, rowId: String(rowId ?? ''), files: [], total: 0, expiresAt: '' };
    try {
      return archivedMedia(requireActiveSpreadsheet().getId(), rowId);
    } catch (e) {
      return { ok: false, message: errorText(e), rowId: String(rowId ?? ''), files: [], total: 0, expiresAt: '' };
    }
  },

  /** The worker's health report (signed GET /v1/report), cached briefly; never throws. */
  workerReport: (): WorkerReportView => {
    try {
      const missing = missingScopes(ACTION_SCOPES.checkWorker);
      if (missing) return noReport(permissionMessage('reach your worker', missing));
      const ss = requireActiveSpreadsheet();
      const s = readSettings(ss.getId());
      if (!s.workerUrl || !s.secret) return noReport("Set the worker URL and shared secret in Settings to see the worker's health.");
      return workerReport(s.workerUrl, s.secret, ss.getId());
    } catch (e) {
      return noReport(errorText(e));
    }
  },

  /** Saves, then tests the connection with a signed request so a wrong secret shows at once. */
  saveSettings: (input: SettingsInput): ActionResult =>
    guard(ACTION_SCOPES.readSheet, 'keep settings for this spreadsheet', () => {
      const id = requireActiveSpreadsheet().getId();
      writeSettings(input ?? {}, id);
      const s = readSettings(id);
      if (!s.workerUrl || !s.secret)
        return { ok: true, message: `Settings saved. Set the ${s.workerUrl ? 'shared secret' : 'worker URL'} to test the connection.` };
      const missing = missingScopes(ACTION_SCOPES.checkWorker);
      if (missing)
        return {
          ok: false,
          message: `Settings saved, but the connection was not tested: ${permissionMessage('reach your worker', missing)}`,
        };
      const t = testConnection(s.workerUrl, s.secret);
      return { ok: t.ok, message: `Settings saved. ${t.message}` };
    }),

  /** Everything the sidebar shows, from one whole-sheet read. */
  state: (): SidebarState => {
    const docProps = documentProperties()?.getProperties() ?? {};
    const missing = missingScopes(ACTION_SCOPES.readSheet);
    if (missing) {
      // Without the spreadsheet permission there is no spreadsheet (nor its id): say what to grant.
      const view = settingsView(settingsFrom('', docProps, ''));
      const statusError = permissionMessage('read this spreadsheet', missing);
      return { settings: view, status: null, statusError, scheduled: null, lastScheduledRun: null, lastDispatch: readDispatch(docProps) };
    }
    const ss = requireActiveSpreadsheet();
    const id = ss.getId();
    const settings = readSettings(id);
    const userProps = PropertiesService.getUserProperties().getProperties();
    let status: SidebarState['status'] = null;
    let statusError = '';
    try {
      status = computeStatus(readSheet(targetSheet(ss, settings.sheetName)), settings, nowMs());
    } catch (e) {
      statusError = `Could not read the status: ${errorText(e)}`;
    }
    let scheduled: boolean | null = null;
    if (!missingScopes(ACTION_SCOPES.stopSchedule))
      try {
        scheduled = isScheduled(ss);
      } catch {
        scheduled = null;
      }
    // Keeps the copy a scheduled run without DocumentProperties uses in step with the document (settings.ts).
    if (scheduled) refreshSettingsCopy(id, docProps);
    return {
      settings: settingsView(settings),
      status,
      statusError,
      scheduled,
      lastScheduledRun: readScheduledRun(id, userProps),
      lastDispatch: readDispatch(docProps),
    };
  },

  /**
   * A live update: reads the header, row_id and tracking columns of the tab only — no properties,
   * no triggers — so a sidebar left open costs little of the daily quotas
   * (https://developers.google.com/apps-script/guides/services/quotas).
   */
  poll: (req: PollRequest): LiveStatus => {
    try {
      return pollOnce(req);
    } catch (e) {
      // Only on failure: was it a permission the user took back? Then say which.
      const m = missingScopes(ACTION_SCOPES.readSheet);
      throw new Error(m ? permissionMessage('read this spreadsheet', m) : errorText(e));
    }
  },
};

function pollOnce(req: PollRequest): LiveStatus {
  const ss = requireActiveSpreadsheet();
  const sources = (Array.isArray(req?.sources) ? req.sources : []).filter((s): s is SourceName =>
    (SOURCES as readonly string[]).includes(s),
  );
  const lease = Number(req?.leaseHours);
  const settings = { sources: sources.length ? sources : [...SOURCES], leaseMs: (lease > 0 ? lease : 2) * 3_600_000, allowedHosts: [] };
  return countStatuses(readTracking(targetSheet(ss, String(req?.sheetName ?? ''))), settings, nowMs(), false);
}
