/**
 * Loads the BUILT add-on (appsscript/dist/Code.js, what clasp pushes) into a node:vm context whose
 * globals are the Apps Script stand-ins of this folder, backed by a SheetModel — the same model
 * the Sheets API stand-in serves, so the worker's write-back and the add-on see the same cells.
 *
 * The context has no Node APIs, no URL, no timers: what Apps Script's V8 runtime lacks.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import type { SheetModel } from '../sheetModel.js';
import { CallCounter } from './counter.js';
import type { AuthModeName, HarnessEnv, UiRecord } from './env.js';
import {
  makeHtmlService,
  makeLockService,
  makeLogger,
  makePropertiesService,
  makeScriptApp,
  makeSession,
  makeUrlFetchApp,
  makeCacheService,
  makeUtilities,
  type FetchHookRequest,
} from './services.js';
import { makeSpreadsheetApp } from './spreadsheet.js';
import { createAppsScriptState, type AppsScriptState } from './state.js';
import { SyncHttp } from './syncHttp.js';
import { testCert } from './tls.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_DIST = join(REPO_ROOT, 'appsscript/dist');

export interface LoadAddonOptions {
  model: SheetModel;
  spreadsheetId: string;
  /** the active tab (default: the first) */
  sheetName?: string;
  /** the add-on's clock, ms since epoch: `Date.now()` and `new Date()` in the vm (default: real time) */
  now?: () => number;
  /** the effective user (default `owner@example.org`); UserProperties and triggers are per user */
  user?: string;
  /** share properties, triggers and locks with other loadAddon calls (several users, several runs) */
  state?: AppsScriptState;
  /** where Code.js and sidebar.html are (default appsscript/dist) */
  distDir?: string;
  /** Utilities.getUuid (default crypto.randomUUID) */
  uuid?: () => string;
  /** called before every fetch/fetchAll with the requests (e.g. to advance a fake clock) */
  onFetch?: (requests: FetchHookRequest[]) => void;
  /** Utilities.sleep (default: really sleeps) */
  onSleep?: (ms: number) => void;
  /** per request, default 30 s */
  fetchTimeoutMs?: number;
  /** spreadsheet and script time zone, default Etc/UTC */
  timeZone?: string;
  /** scopes the user granted (default: every scope of the built appsscript.json) */
  grantedScopes?: string[];
}

export interface LoadedAddon {
  /** Calls a top-level function of Code.js; arguments are copied into the vm as JSON, like google.script.run does. */
  call(fn: string, ...args: unknown[]): unknown;
  /** The same in a given AuthMode (onOpen runs in NONE before the add-on is enabled in the document). */
  callAs(mode: AuthModeName, fn: string, ...args: unknown[]): unknown;
  /** Evaluates an expression in the vm (e.g. `Utilities.computeHmacSha256Signature(...)`). */
  evaluate(code: string): unknown;
  /** Keys of the bundle's global (`SheetArchiver`): the exported entry-point list. */
  entryPoints(): string[];
  /** Top-level functions Apps Script would see in Code.js (function declarations of the global scope). */
  globalFunctions(): string[];
  /** Selects a range on a tab (for "Reset selected rows"), A1 like `A5:C7`. */
  select(a1: string, sheetName?: string): void;
  /**
   * Runs every time-driven trigger of this document as its creator, with the time-driven event
   * object `{ authMode, triggerUid }` (https://developers.google.com/apps-script/guides/triggers/events#time-driven-events);
   * `withoutDocument`: as an execution Apps Script starts without the spreadsheet (no active
   * spreadsheet, no document lock, no DocumentProperties). Returns the handler names run.
   */
  runTimeTriggers(opts?: { withoutDocument?: boolean }): string[];
  /** Grants exactly these scopes from now on (granular consent). */
  setGrantedScopes(scopes: string[]): void;
  /** Acts as another user from now on (UserProperties, triggers). */
  setUser(email: string): void;
  services: Record<string, unknown>;
  counts: CallCounter;
  ui: UiRecord;
  logs: string[];
  state: AppsScriptState;
  env: HarnessEnv;
  /** Ends the HTTP helper thread. */
  close(): Promise<void>;
}

const scriptCache = new Map<string, { mtimeMs: number; script: vm.Script; source: string }>();

function compiled(file: string): { script: vm.Script; source: string } {
  const mtimeMs = statSync(file).mtimeMs;
  const hit = scriptCache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit;
  const source = readFileSync(file, 'utf8');
  const entry = { mtimeMs, source, script: new vm.Script(source, { filename: 'Code.js' }) };
  scriptCache.set(file, entry);
  return entry;
}

const GLOBAL_NAME = 'SheetArchiver';

/**
 * @throws Error when Code.js is missing (run `node scripts/build.mjs` or use ensureAddonBuilt()).
 */
export function loadAddon(opts: LoadAddonOptions): LoadedAddon {
  const distDir = opts.distDir ?? DEFAULT_DIST;
  const { script, source } = compiled(join(distDir, 'Code.js'));
  const ss = opts.model.spreadsheet(opts.spreadsheetId);
  if (!ss) throw new Error(`the model has no spreadsheet ${opts.spreadsheetId}`);
  const counter = new CallCounter();
  const manifest = JSON.parse(readFileSync(join(distDir, 'appsscript.json'), 'utf8')) as HarnessEnv['manifest'];
  const now = opts.now ?? (() => Date.now());
  const ctx = vm.createContext({}, { name: 'apps-script' });
  const makeDateInVm = vm.runInContext(
    `(function (nowFn) {
      const D = Date;
      class AppsScriptDate extends D {
        constructor(...a) { if (a.length === 0) super(nowFn()); else super(...a); }
        static now() { return nowFn(); }
      }
      globalThis.Date = AppsScriptDate;
      return (ms) => new AppsScriptDate(ms);
    })`,
    ctx,
  )(now) as (ms: number) => Date;
  const env: HarnessEnv = {
    state: opts.state ?? createAppsScriptState(opts.model),
    counter,
    spreadsheetId: opts.spreadsheetId,
    user: opts.user ?? 'owner@example.org',
    authMode: 'FULL',
    makeDate: makeDateInVm,
    now,
    activeSheetName: opts.sheetName ?? ss.sheets[0]?.title ?? '',
    selection: null,
    ui: { menus: [], alerts: [], sidebars: [] },
    timeZone: opts.timeZone ?? 'Etc/UTC',
    distDir,
    manifest,
    grantedScopes: new Set(opts.grantedScopes ?? manifest.oauthScopes),
    documentContext: true,
  };
  if (env.state.model !== opts.model) throw new Error('state.model and model differ');
  const http = new SyncHttp(testCert().cert);
  const logs: string[] = [];
  const services: Record<string, unknown> = {
    SpreadsheetApp: makeSpreadsheetApp(env),
    PropertiesService: makePropertiesService(env),
    LockService: makeLockService(env),
    CacheService: makeCacheService(env),
    UrlFetchApp: makeUrlFetchApp(env, http, { timeoutMs: opts.fetchTimeoutMs ?? 30_000, onFetch: opts.onFetch }),
    Utilities: makeUtilities(env, { uuid: opts.uuid, onSleep: opts.onSleep }),
    ScriptApp: makeScriptApp(env),
    HtmlService: makeHtmlService(env),
    Session: makeSession(env),
    Logger: makeLogger(env, logs),
    console: {
      log: (...a: unknown[]) => logs.push(a.map(String).join(' ')),
      info: (...a: unknown[]) => logs.push(a.map(String).join(' ')),
      warn: (...a: unknown[]) => logs.push(a.map(String).join(' ')),
      error: (...a: unknown[]) => logs.push(a.map(String).join(' ')),
    },
  };
  for (const [k, v] of Object.entries(services)) (ctx as Record<string, unknown>)[k] = v;
  const builtins = new Set(Object.keys(ctx));
  script.runInContext(ctx, { timeout: 10_000 });
  const fromJson = vm.runInContext('(s) => JSON.parse(s)', ctx) as (s: string) => unknown[];
  const g = ctx as Record<string, unknown>;

  const call = (fn: string, ...args: unknown[]): unknown => {
    const f = g[fn];
    if (typeof f !== 'function') throw new Error(`Script function not found: ${fn}`);
    const vmArgs = args.length ? fromJson(JSON.stringify(args)) : [];
    return (f as (...a: unknown[]) => unknown)(...(vmArgs as unknown[]));
  };

  return {
    call,
    callAs(mode, fn, ...args) {
      const before = env.authMode;
      env.authMode = mode;
      try {
        return call(fn, ...args);
      } finally {
        env.authMode = before;
      }
    },
    evaluate: (code) => vm.runInContext(code, ctx),
    entryPoints: () => Object.keys(g[GLOBAL_NAME] as object),
    globalFunctions: () =>
      Object.keys(ctx).filter((k) => !builtins.has(k) && typeof g[k] === 'function' && new RegExp(`^function ${k}\\(`, 'm').test(source)),
    select(a1, sheetName) {
      const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/i.exec(a1);
      if (!m) throw new Error(`bad A1 ${a1}`);
      const col = (l: string) =>
        l
          .toUpperCase()
          .split('')
          .reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
      const c1 = col(m[1]!);
      const r1 = Number(m[2]);
      const c2 = m[3] ? col(m[3]) : c1;
      const r2 = m[4] ? Number(m[4]) : r1;
      env.selection = {
        sheetName: sheetName ?? env.activeSheetName,
        row: Math.min(r1, r2),
        column: Math.min(c1, c2),
        numRows: Math.abs(r2 - r1) + 1,
        numColumns: Math.abs(c2 - c1) + 1,
      };
    },
    runTimeTriggers(o = {}) {
      const ran: string[] = [];
      const before = env.user;
      const ctx = env.documentContext;
      for (const t of env.state.triggers.filter((x) => x.sourceId === env.spreadsheetId && x.eventType === 'CLOCK')) {
        env.user = t.user;
        env.documentContext = !o.withoutDocument;
        try {
          call(t.handler, { authMode: 'FULL', triggerUid: t.id });
          ran.push(t.handler);
        } finally {
          env.user = before;
          env.documentContext = ctx;
        }
      }
      return ran;
    },
    setGrantedScopes(scopes) {
      env.grantedScopes = new Set(scopes);
    },
    setUser(email) {
      env.user = email;
    },
    services,
    counts: counter,
    ui: env.ui,
    logs,
    state: env.state,
    env,
    close: () => http.close(),
  };
}
