/**
 * Granular OAuth consent: a user may grant only some of the manifest's scopes, so every action
 * checks the scopes it needs first with `ScriptApp.getAuthorizationInfo(AuthMode.FULL, scopes)`
 * and says which permission is missing and how to grant it, instead of failing halfway
 * (https://developers.google.com/apps-script/concepts/scopes#handle-granular,
 * https://developers.google.com/apps-script/reference/script/script-app#getAuthorizationInfo(AuthMode,String)).
 * getAuthorizationInfo rather than requireScopes: requireScopes ends the execution to show a
 * consent prompt, which a google.script.run call from the sidebar cannot show.
 */
import type { ActionResult } from './api.js';

const AUTH = 'https://www.googleapis.com/auth/';

/** The manifest's scopes (appsscript.json), by what they allow. */
export const SCOPES = {
  thisSpreadsheet: `${AUTH}spreadsheets.currentonly`,
  sidebar: `${AUTH}script.container.ui`,
  worker: `${AUTH}script.external_request`,
  schedule: `${AUTH}script.scriptapp`,
  /** SpreadsheetApp.openById, for a scheduled run that Apps Script starts without this spreadsheet open (schedule.ts) */
  openById: `${AUTH}spreadsheets`,
} as const;

/** What Google's consent screen calls each scope, so the message matches what the user sees. */
const CONSENT_TEXT: Record<string, string> = {
  [SCOPES.thisSpreadsheet]: 'View and manage spreadsheets that this application has been installed in',
  [SCOPES.sidebar]: 'Display and run third-party web content in prompts and sidebars inside Google applications',
  [SCOPES.worker]: 'Connect to an external service',
  [SCOPES.schedule]: 'Allow this application to run when you are not present',
  [SCOPES.openById]: 'See, edit, create, and delete all your Google Sheets spreadsheets',
};

/** The scopes each action needs. */
export const ACTION_SCOPES = {
  readSheet: [SCOPES.thisSpreadsheet],
  dispatch: [SCOPES.thisSpreadsheet, SCOPES.worker],
  checkWorker: [SCOPES.worker],
  schedule: [SCOPES.schedule, SCOPES.thisSpreadsheet, SCOPES.worker, SCOPES.openById],
  stopSchedule: [SCOPES.schedule],
  scheduledRun: [SCOPES.worker, SCOPES.openById],
} as const;

/** AuthorizationInfo with getAuthorizedScopes (2025; @types/google-apps-script 2.0.13 lacks it). */
interface AuthInfo {
  getAuthorizationStatus(): unknown;
  getAuthorizationUrl(): string | null;
  getAuthorizedScopes?(): string[] | null;
}
interface ScriptAppWithScopes {
  getAuthorizationInfo(authMode: GoogleAppsScript.Script.AuthMode, oAuthScopes: string[]): AuthInfo;
}

export interface MissingScopes {
  scopes: string[];
  /** Google's page that grants them (AuthorizationInfo.getAuthorizationUrl), '' when unknown */
  url: string;
}

/**
 * The scopes of `needed` the user has not granted, or null when all are granted (or Apps Script
 * cannot tell: then the action runs and a missing scope fails with Apps Script's own message).
 */
export function missingScopes(needed: readonly string[]): MissingScopes | null {
  let info: AuthInfo;
  try {
    info = (ScriptApp as unknown as ScriptAppWithScopes).getAuthorizationInfo(ScriptApp.AuthMode.FULL, [...needed]);
  } catch {
    return null;
  }
  if (String(info.getAuthorizationStatus()) !== String(ScriptApp.AuthorizationStatus.REQUIRED)) return null;
  const granted = new Set(info.getAuthorizedScopes?.() ?? []);
  const scopes = needed.filter((s) => !granted.has(s));
  return { scopes: scopes.length ? scopes : [...needed], url: info.getAuthorizationUrl() ?? '' };
}

/** "Sheet Archiver needs the permission “Connect to an external service” to …" with how to grant it. */
export function permissionMessage(toDo: string, m: MissingScopes): string {
  const names = m.scopes.map((s) => `“${CONSENT_TEXT[s] ?? s}”`).join(' and ');
  const how = m.url
    ? `Grant it at ${m.url} (or choose Extensions → Sheet Archiver again and tick it on Google's consent screen).`
    : "Choose Extensions → Sheet Archiver again and tick it on Google's consent screen.";
  return `Sheet Archiver needs the permission ${names} to ${toDo}, and it has not been granted. ${how}`;
}

/** An ActionResult for a missing permission, or null when the action may run. */
export function requirePermissions(needed: readonly string[], toDo: string): ActionResult | null {
  const m = missingScopes(needed);
  return m ? { ok: false, message: permissionMessage(toDo, m) } : null;
}
