/** What every stand-in service needs: the shared state, the counter, who runs, and in which mode. */
import type { CallCounter } from './counter.js';
import type { AppsScriptState } from './state.js';

export type AuthModeName = 'NONE' | 'LIMITED' | 'FULL' | 'CUSTOM_FUNCTION';

export interface UiRecord {
  menus: { title: string; items: ({ caption: string; functionName: string } | { separator: true })[] }[];
  alerts: { title: string; prompt: string }[];
  sidebars: { title: string; content: string }[];
}

export interface Selection {
  sheetName: string;
  /** 1-based */
  row: number;
  column: number;
  numRows: number;
  numColumns: number;
}

export interface HarnessEnv {
  state: AppsScriptState;
  counter: CallCounter;
  spreadsheetId: string;
  /** the effective user's email */
  user: string;
  authMode: AuthModeName;
  /** creates a Date in the vm's realm (so `instanceof Date` holds inside the add-on) */
  makeDate: (ms: number) => Date;
  /** the vm's clock, ms since epoch */
  now: () => number;
  activeSheetName: string;
  selection: Selection | null;
  ui: UiRecord;
  timeZone: string;
  /** directory holding the built files (HtmlService reads sidebar.html from it) */
  distDir: string;
  /** the built appsscript.json: oauthScopes and urlFetchWhitelist */
  manifest: { oauthScopes: string[]; urlFetchWhitelist?: string[] };
  /**
   * the scopes the user granted (default: all of the manifest's). Granular consent lets a user
   * untick some (https://developers.google.com/apps-script/concepts/scopes#handle-granular).
   */
  grantedScopes: Set<string>;
  /**
   * false: the execution has no containing document, as a time-driven run may have — then
   * getActiveSpreadsheet() returns null, LockService.getDocumentLock() returns null
   * (https://developers.google.com/apps-script/reference/lock/lock-service#getDocumentLock()) and
   * PropertiesService.getDocumentProperties() returns null
   * (https://developers.google.com/apps-script/reference/properties/properties-service#getDocumentProperties()).
   */
  documentContext: boolean;
}

/** Throws like Apps Script does when a service is used in a mode that does not allow it. */
export function requireAuth(env: HarnessEnv, what: string): void {
  if (env.authMode === 'NONE' || env.authMode === 'CUSTOM_FUNCTION')
    throw new Error(`You do not have permission to call ${what} in AuthMode.${env.authMode}.`);
}

/**
 * Throws like Apps Script does when a method needs a scope the user has not granted:
 * "You do not have permission to call X. Required permissions: a || b"
 * (https://developers.google.com/apps-script/guides/services/authorization).
 * @param anyOf the method works with any one of these scopes.
 */
export function requireScope(env: HarnessEnv, what: string, anyOf: readonly string[]): void {
  if (anyOf.some((s) => env.grantedScopes.has(s))) return;
  throw new Error(`You do not have permission to call ${what}. Required permissions: ${anyOf.join(' || ')}`);
}

export const AUTH_SCOPE = {
  currentOnly: 'https://www.googleapis.com/auth/spreadsheets.currentonly',
  spreadsheets: 'https://www.googleapis.com/auth/spreadsheets',
  externalRequest: 'https://www.googleapis.com/auth/script.external_request',
  scriptApp: 'https://www.googleapis.com/auth/script.scriptapp',
  containerUi: 'https://www.googleapis.com/auth/script.container.ui',
} as const;
