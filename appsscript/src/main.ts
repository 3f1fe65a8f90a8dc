/**
 * THE list of entry points: every export of this module becomes a top-level
 * `function name() { return SheetArchiver.name.apply(this, arguments); }` in dist/Code.js
 * (appsscript/build.mjs generates the stubs from these exports; test/addon/bundle.test.ts checks
 * the built file against this list). Apps Script only sees top-level functions: onOpen, menu
 * handlers, trigger handlers and google.script.run targets must all be here.
 *
 * Every global is callable through google.script.run. Helpers that the sidebar must not call are
 * simply not exported (they stay inside the bundle's closure); a global that must exist but must
 * not be callable from the client would end in `_` (Apps Script hides those from
 * google.script.run, menus and triggers) — there is none today.
 */
import type { PollRequest, SettingsInput, SidebarApi } from './api.js';
import { actions } from './actions.js';
import { runScheduled } from './schedule.js';

// Simple triggers and menu handlers (menu.ts builds the menu from MENU_ITEMS).
export {
  onOpen,
  onInstall,
  menuOpenSidebar,
  menuAddTrackingColumns,
  menuDispatchPendingRows,
  menuRetryFailedRows,
  menuResetSelectedRows,
  menuValidateSheet,
  menuScheduleHourlyDispatch,
  menuStopSchedule,
} from './menu.js';

/** Time-driven trigger handler (schedule.ts TRIGGER_HANDLER); `e.triggerUid` names the trigger. */
export function onScheduledDispatch(e?: GoogleAppsScript.Events.TimeDriven): void {
  runScheduled(e);
}

// google.script.run targets: the SidebarApi in api.ts.
export const getSidebarState = () => actions.state();
export const pollStatus = (request: PollRequest) => actions.poll(request);
export const saveSettings = (input: SettingsInput) => actions.saveSettings(input);
export const addTrackingColumns = () => actions.addTrackingColumns();
export const dispatchPendingRows = () => actions.dispatch();
export const retryFailedRows = () => actions.retryFailed();
export const resetSelectedRows = () => actions.resetSelected();
export const validateSheet = () => actions.validate();
export const scheduleHourlyDispatch = () => actions.schedule();
export const stopSchedule = () => actions.stopSchedule();
export const checkWorker = () => actions.checkWorker();
export const getArchivedMedia = (rowId: string) => actions.archivedMedia(rowId);
export const getWorkerReport = () => actions.workerReport();

/** Compile-time check: the exports above implement the SidebarApi the sidebar is typed against. */
const sidebarApi: SidebarApi = {
  getSidebarState,
  pollStatus,
  saveSettings,
  addTrackingColumns,
  dispatchPendingRows,
  retryFailedRows,
  resetSelectedRows,
  validateSheet,
  scheduleHourlyDispatch,
  stopSchedule,
  checkWorker,
  getArchivedMedia,
  getWorkerReport,
};
void sidebarApi;
