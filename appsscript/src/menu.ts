/**
 * The add-on menu and its handlers. onOpen runs in AuthMode.NONE before the add-on is enabled in
 * the document: it may only build the menu — no PropertiesService, no document access
 * (https://developers.google.com/workspace/add-ons/concepts/editor-auth-lifecycle#authorization_modes).
 */
import type { ActionResult } from './api.js';
import { actions } from './actions.js';
import { ACTION_SCOPES } from './scopes.js';

/** Menu captions → global handler names (each is in main.ts's export list). */
export const MENU_ITEMS: readonly (readonly [caption: string, handler: string] | null)[] = [
  ['Open sidebar', 'menuOpenSidebar'],
  null,
  ['Add tracking columns', 'menuAddTrackingColumns'],
  ['Dispatch pending rows', 'menuDispatchPendingRows'],
  ['Retry failed rows', 'menuRetryFailedRows'],
  ['Reset selected rows', 'menuResetSelectedRows'],
  ['Validate sheet', 'menuValidateSheet'],
  null,
  ['Schedule hourly dispatch', 'menuScheduleHourlyDispatch'],
  ['Stop schedule', 'menuStopSchedule'],
];

/** Simple trigger: builds the add-on menu (any AuthMode). */
export function onOpen(_e?: GoogleAppsScript.Events.SheetsOnOpen): void {
  const menu = SpreadsheetApp.getUi().createAddonMenu();
  for (const item of MENU_ITEMS) {
    if (item) menu.addItem(item[0], item[1]);
    else menu.addSeparator();
  }
  menu.addToUi();
}

/** Runs when the add-on is installed: same menu as onOpen. */
export function onInstall(e?: GoogleAppsScript.Events.AddonOnInstall): void {
  onOpen(e as unknown as GoogleAppsScript.Events.SheetsOnOpen);
}

/** Shows the sidebar (HtmlService, dist/sidebar.html). */
export function menuOpenSidebar(): void {
  const html = HtmlService.createHtmlOutputFromFile('sidebar').setTitle('Sheet Archiver');
  SpreadsheetApp.getUi().showSidebar(html);
}

function show(title: string, r: ActionResult): void {
  const details = r.details?.length
    ? '\n\n' + r.details.slice(0, 20).join('\n') + (r.details.length > 20 ? `\n… and ${r.details.length - 20} more (see the sidebar)` : '')
    : '';
  const ui = SpreadsheetApp.getUi();
  ui.alert(title, r.message + details, ui.ButtonSet.OK);
}

export function menuAddTrackingColumns(): void {
  show('Add tracking columns', actions.addTrackingColumns());
}
export function menuDispatchPendingRows(): void {
  show('Dispatch pending rows', actions.dispatch());
}
export function menuRetryFailedRows(): void {
  show('Retry failed rows', actions.retryFailed());
}
export function menuResetSelectedRows(): void {
  show('Reset selected rows', actions.resetSelected());
}
export function menuValidateSheet(): void {
  show('Validate sheet', actions.validate());
}
/**
 * From the menu, Apps Script can show its consent prompt, so the schedule asks for its permissions
 * with requireScopes before installing the trigger, as Google recommends ("Ensure that trigger
 * executions have permissions", https://developers.google.com/apps-script/concepts/scopes#handle-granular).
 */
export function menuScheduleHourlyDispatch(): void {
  ScriptApp.requireScopes(ScriptApp.AuthMode.FULL, [...ACTION_SCOPES.schedule]);
  show('Schedule hourly dispatch', actions.schedule());
}
export function menuStopSchedule(): void {
  show('Stop schedule', actions.stopSchedule());
}
