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
}

/** Throws like Apps Script does when a service is used in a mode that does not allow it. */
export function requireAuth(env: HarnessEnv, what: string): void {
  if (env.authMode === 'NONE' || env.authMode === 'CUSTOM_FUNCTION')
    throw new Error(`You do not have permission to call ${what} in AuthMode.${env.authMode}.`);
}
