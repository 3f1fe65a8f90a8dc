/**
 * The artifact clasp pushes: Code.js's top-level functions match the one export list, the menu and
 * the sidebar only name existing globals, the bundle needs nothing Apps Script lacks, the manifest
 * is least-privilege, and clasp's configs point at dist.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SheetModel } from '../support/sheetModel.js';
import { ensureAddonBuilt, importBuildAddon } from '../support/appsScript/ensureBuilt.js';
import { peopleRows, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, REPO_ROOT, type LoadedAddon } from '../support/appsScript/loadAddon.js';

let dist: string;
let code: string;
let html: string;
let addon: LoadedAddon;

beforeAll(async () => {
  dist = await ensureAddonBuilt();
  code = await readFile(join(dist, 'Code.js'), 'utf8');
  html = await readFile(join(dist, 'sidebar.html'), 'utf8');
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows: 2 }) }]);
  addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID });
});
afterAll(async () => addon?.close());

const EXPECTED = [
  'onOpen',
  'onInstall',
  'onScheduledDispatch',
  'menuOpenSidebar',
  'menuAddTrackingColumns',
  'menuDispatchPendingRows',
  'menuRetryFailedRows',
  'menuResetSelectedRows',
  'menuValidateSheet',
  'menuScheduleHourlyDispatch',
  'menuStopSchedule',
  'getSidebarState',
  'pollStatus',
  'saveSettings',
  'addTrackingColumns',
  'dispatchPendingRows',
  'retryFailedRows',
  'resetSelectedRows',
  'validateSheet',
  'scheduleHourlyDispatch',
  'stopSchedule',
  'checkWorker',
  'getArchivedMedia',
  'getWorkerReport',
].sort();

describe('the built bundle', () => {
  it('has one top-level function per export of src/main.ts, and nothing else', () => {
    const topLevel = [...code.matchAll(/^function ([A-Za-z_$][\w$]*)\(/gm)].map((m) => m[1]!).sort();
    expect(addon.entryPoints().sort()).toEqual(EXPECTED);
    expect(topLevel).toEqual(EXPECTED);
    expect(addon.globalFunctions().sort()).toEqual(EXPECTED);
    expect(code).toMatch(/^var SheetArchiver = \(\(\) => \{/m);
  });

  it('runs without Node APIs, URL or timers (what Apps Script V8 lacks)', () => {
    for (const g of ['require', 'process', 'URL', 'setTimeout', 'setInterval', 'TextEncoder', 'Buffer', 'fetch'])
      expect(addon.evaluate(`typeof ${g}`), g).toBe('undefined');
    expect(code).not.toMatch(/\brequire\(|\bimport\(|process\.env/);
  });

  it('onOpen builds the add-on menu under AuthMode.NONE without touching properties; onInstall calls it', () => {
    addon.counts.reset();
    addon.callAs('NONE', 'onOpen', { authMode: 'NONE' });
    expect(addon.counts.total('PropertiesService')).toBe(0);
    expect(addon.counts.get('Ui.createAddonMenu')).toBe(1);
    const menu = addon.ui.menus.at(-1)!;
    const items = menu.items.flatMap((i) => ('caption' in i ? [i] : []));
    expect(items.map((i) => i.caption)).toEqual([
      'Open sidebar',
      'Add tracking columns',
      'Dispatch pending rows',
      'Retry failed rows',
      'Reset selected rows',
      'Validate sheet',
      'Schedule hourly dispatch',
      'Stop schedule',
    ]);
    for (const i of items) expect(EXPECTED, i.functionName).toContain(i.functionName);
    addon.callAs('NONE', 'onInstall', { authMode: 'NONE' });
    expect(addon.ui.menus).toHaveLength(2);
  });

  it('Open sidebar serves dist/sidebar.html through HtmlService', () => {
    addon.call('menuOpenSidebar');
    expect(addon.ui.sidebars.at(-1)).toEqual({ title: 'Sheet Archiver', content: html });
  });

  it('sidebar.html is one file that only calls existing, public globals', () => {
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/i);
    expect(html).not.toContain('/*@inline');
    const actions = [...html.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]!);
    const called = [...html.matchAll(/call\("([A-Za-z_$][\w$]*)"/g)].map((m) => m[1]!);
    const names = new Set([...actions, ...called, 'stopSchedule']);
    expect(called).toContain('getSidebarState');
    expect(called).toContain('saveSettings');
    for (const n of names) {
      expect(EXPECTED, n).toContain(n);
      expect(n.endsWith('_')).toBe(false);
      expect(n.startsWith('menu') || n.startsWith('on')).toBe(false);
    }
  });

  it('appsscript.json: V8, least-privilege scopes, whitelist from ARCHIVER_WORKER_URL, exception logging', async () => {
    const buildAddon = await importBuildAddon();
    const out = await mkdtemp(join(tmpdir(), 'addon-build-'));
    try {
      const read = async () => JSON.parse(await readFile(join(out, 'appsscript.json'), 'utf8'));
      await buildAddon({ root: REPO_ROOT, outDir: out, workerUrl: 'https://Worker.Example.org' });
      const m = await read();
      expect(m).toMatchObject({
        runtimeVersion: 'V8',
        exceptionLogging: 'STACKDRIVER',
        urlFetchWhitelist: ['https://worker.example.org/'],
      });
      // spreadsheets: SpreadsheetApp.openById for a scheduled run started without the document
      // (docs/decisions.md, "Add-on: scheduled runs"); everything else works with currentonly.
      expect(m.oauthScopes.sort()).toEqual([
        'https://www.googleapis.com/auth/script.container.ui',
        'https://www.googleapis.com/auth/script.external_request',
        'https://www.googleapis.com/auth/script.scriptapp',
        'https://www.googleapis.com/auth/spreadsheets',
        'https://www.googleapis.com/auth/spreadsheets.currentonly',
      ]);
      // The same allow-list is compiled into Code.js, for the save-time check of the worker URL.
      expect(await readFile(join(out, 'Code.js'), 'utf8')).toContain('["https://worker.example.org/"]');
      await buildAddon({ root: REPO_ROOT, outDir: out, workerUrl: 'https://worker.example.org/archiver' });
      expect((await read()).urlFetchWhitelist).toEqual(['https://worker.example.org/archiver/']);
      await buildAddon({ root: REPO_ROOT, outDir: out, workerUrl: '' });
      expect((await read()).urlFetchWhitelist).toEqual(['https://worker.example.invalid/']);
      await expect(buildAddon({ root: REPO_ROOT, outDir: out, workerUrl: 'http://worker.example.org' })).rejects.toThrow(/https/);
      expect(await readFile(join(out, 'Code.js'), 'utf8')).toBe(code);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('clasp configs push appsscript/dist', async () => {
    for (const f of ['.clasp.json', '.clasp.dev.json']) {
      const text = (await readFile(join(REPO_ROOT, f), 'utf8')).replace(/^\s*\/\/.*$/gm, '');
      const cfg = JSON.parse(text);
      expect(cfg.rootDir, f).toBe('appsscript/dist');
      expect(cfg.scriptId, f).toMatch(/^REPLACE_WITH_YOUR_/);
    }
  });
});
