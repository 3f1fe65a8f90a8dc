/** Schedule, reset, validate, settings and "Check worker" through the built bundle. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SheetModel } from '../support/sheetModel.js';
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
import { startFakeWorker, type FakeWorker } from '../support/appsScript/fakeWorker.js';
import { peopleRows, SECRET, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, type LoadAddonOptions, type LoadedAddon } from '../support/appsScript/loadAddon.js';

let worker: FakeWorker;
let dist: string;
const open: LoadedAddon[] = [];
beforeAll(async () => {
  worker = await startFakeWorker({ secret: SECRET, version: '1.2.3' });
  dist = await buildAddonFor(worker.url);
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.close()));
  await worker.close();
});

type Result = { ok: boolean; message: string; details?: string[] };

function setup(rows = 6, extra: Partial<LoadAddonOptions> = {}) {
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows, tracking: true }) }]);
  const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, distDir: dist, ...extra });
  open.push(addon);
  addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
  return { model, addon, sheet: model.sheet(SPREADSHEET_ID, 'People')! };
}

describe('schedule', () => {
  it('one hourly trigger per user per document; each run records its outcome for its user', async () => {
    await worker.reset();
    const { model, addon } = setup(3);
    expect((addon.call('scheduleHourlyDispatch') as Result).message).toMatch(/^Hourly dispatch is on/);
    expect((addon.call('scheduleHourlyDispatch') as Result).message).toBe('Hourly dispatch is already on for you in this document.');
    expect(addon.state.triggers).toEqual([
      expect.objectContaining({ handler: 'onScheduledDispatch', everyHours: 1, user: 'owner@example.org', sourceId: SPREADSHEET_ID }),
    ]);

    // A second user on the same document gets their own trigger.
    const other = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, state: addon.state, user: 'editor@example.org', distDir: dist });
    open.push(other);
    other.call('scheduleHourlyDispatch');
    expect(addon.state.triggers.map((t) => t.user).sort()).toEqual(['editor@example.org', 'owner@example.org']);
    expect((other.call('getSidebarState') as { scheduled: boolean }).scheduled).toBe(true);

    // Each run records its outcome for its user; the editor has no secret: a plain error, not silence.
    addon.runTimeTriggers();
    const key = `archiver.lastScheduledRun.${SPREADSHEET_ID}`;
    const ownerRun = JSON.parse(addon.state.userProperties.get('owner@example.org')!.get(key)!);
    const editorRun = JSON.parse(addon.state.userProperties.get('editor@example.org')!.get(key)!);
    expect(ownerRun).toMatchObject({ at: expect.stringMatching(/Z$/), ok: true, rowsSent: 3 });
    expect(editorRun).toMatchObject({ ok: false, message: 'Set the shared secret for this spreadsheet in the sidebar (Settings) first.' });
    const state = addon.call('getSidebarState') as { lastScheduledRun: { rowsSent: number; ok: boolean } };
    expect(state.lastScheduledRun).toEqual(ownerRun);
    const all = (await worker.requests()).filter((r) => r.status === 202);
    expect(all).toHaveLength(1); // owner's run sent the 3 rows; the editor's run had no secret

    other.call('saveSettings', { secret: SECRET });
    other.runTimeTriggers();
    expect(JSON.parse(addon.state.userProperties.get('editor@example.org')!.get(key)!)).toMatchObject({ ok: true, rowsSent: 0 });

    expect((addon.call('stopSchedule') as Result).message).toBe('Hourly dispatch is off.');
    expect((addon.call('stopSchedule') as Result).message).toBe('Hourly dispatch was not on.');
    expect(addon.state.triggers.map((t) => t.user)).toEqual(['editor@example.org']);
  });

  it('a failing scheduled run is recorded', async () => {
    await worker.setMode({ kind: 'status', status: 503, body: 'maintenance' });
    try {
      const { addon } = setup(2);
      addon.call('scheduleHourlyDispatch');
      addon.runTimeTriggers();
      const s = addon.call('getSidebarState') as { lastScheduledRun: { ok: boolean; errors: string[] } };
      expect(s.lastScheduledRun.ok).toBe(false);
      expect(s.lastScheduledRun.errors[0]).toMatch(/HTTP 503 \(maintenance\)/);
    } finally {
      await worker.setMode({ kind: 'accept' });
    }
  });
});

describe('reset selected rows', () => {
  it('clears status, errors and last attempt of the selected data rows only; files stay', () => {
    const { model, addon, sheet } = setup(6);
    const h = model.rowsOf(sheet)[0]!;
    const c = (n: string) => h.indexOf(n);
    for (let r = 1; r <= 6; r++) {
      model.setCell(sheet, r, c('youtube_status'), 'failed');
      model.setCell(sheet, r, c('drive_status'), 'completed');
      model.setCell(sheet, r, c('drive_files'), `archive/${100 + r}/drive/x/file.pdf`);
      model.setCell(sheet, r, c('last_download_attempt'), '2026-11-21T09:15:02Z');
      model.setCell(sheet, r, c('download_errors'), 'youtube#3 permission: Private video');
    }
    addon.select('B1:C4'); // header + rows 2–4
    addon.counts.reset();
    const r = addon.call('resetSelectedRows') as Result;
    expect(r).toMatchObject({ ok: true, message: expect.stringMatching(/^Reset 3 rows \(2–4\)/) });
    expect(addon.counts.get('Range.setValues')).toBe(3); // youtube_status, drive_status, last attempt + errors
    const rows = model.rowsOf(sheet);
    for (const i of [1, 2, 3]) {
      expect(rows[i]![c('youtube_status')]).toBe('');
      expect(rows[i]![c('drive_status')]).toBe('');
      expect(rows[i]![c('download_errors')]).toBe('');
      expect(rows[i]![c('drive_files')]).toMatch(/file\.pdf$/);
    }
    expect(rows[4]![c('youtube_status')]).toBe('failed');
    expect(rows[0]![c('youtube_status')]).toBe('youtube_status');
  });

  it('asks for a selection on the right tab', () => {
    const { addon, model } = setup(2);
    expect((addon.call('resetSelectedRows') as Result).message).toBe('Select the rows to reset first.');
    model.addSheet(SPREADSHEET_ID, 'Other', [['a']]);
    addon.call('addTrackingColumns');
    addon.select('A2', 'Other');
    expect((addon.call('resetSelectedRows') as Result).message).toBe('Select rows on the tab "People" first.');
  });
});

describe('validate', () => {
  it('lists missing headers, empty and duplicate row_ids and malformed links with row numbers', () => {
    const rows = peopleRows({ rows: 5 });
    rows[0]![2] = 'e-mail';
    rows[2]![0] = '';
    rows[3]![0] = '104';
    rows[5]![4] = 'https://www.youtube.com/watch?v=short';
    const model = new SheetModel();
    model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows }]);
    const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, distDir: dist });
    open.push(addon);
    const r = addon.call('validateSheet') as Result;
    expect(r.ok).toBe(false);
    expect(r.message).toBe('7 problems found. 5 rows checked; link columns: video, files.');
    expect(r.details).toEqual([
      'Row 1: Header "e-mail" (column C) looks like "email" but does not match it; rename it to "email" or delete it.',
      'Row 1: missing tracking columns youtube_status, youtube_files, youtube_media_id, drive_status, drive_files, drive_media_id, last_download_attempt, download_errors (use "Add tracking columns")',
      'Row 1: missing header "email"',
      'Row 3: row_id is empty',
      'Row 4: row_id "104" appears more than once',
      'Row 5: row_id "104" appears more than once',
      'Row 6: column "video": "https://www.youtube.com/watch?v=short" is not a valid YouTube or Drive link',
    ]);
  });

  it('a clean sheet', () => {
    const { addon } = setup(3);
    expect(addon.call('validateSheet')).toEqual({
      ok: true,
      message: 'No problems found. 3 rows checked; link columns: video, files.',
      details: [],
    });
  });
});

describe('settings and worker check', () => {
  it('never returns the secret, only its last four characters; rejects bad input plainly', () => {
    const { addon } = setup(1);
    const s = addon.call('getSidebarState') as { settings: Record<string, unknown> };
    expect(s.settings).toMatchObject({ workerUrl: worker.url, secretHint: '••••cdef', sources: ['youtube', 'drive'], leaseHours: 2 });
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(addon.call('saveSettings', { workerUrl: 'ftp://x' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/is not a worker URL/),
    });
    expect(addon.call('saveSettings', { workerUrl: 'http://worker.example.org' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/uses http/),
    });
    expect(addon.call('saveSettings', { secret: 'short' })).toMatchObject({
      ok: false,
      message: 'The shared secret must be at least 16 characters.',
    });
    expect(addon.call('saveSettings', { sources: [] })).toMatchObject({ ok: false });
    expect(addon.call('saveSettings', { leaseHours: 6, allowedHosts: ['127.0.0.1:8080'], secret: '' })).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^Settings saved\. The worker accepted/),
    });
    expect((addon.call('getSidebarState') as { settings: Record<string, unknown> }).settings).toMatchObject({
      leaseHours: 6,
      allowedHosts: ['127.0.0.1:8080'],
      secretHint: '••••cdef',
    });
  });

  it('Check worker shows version and uptime, or the error', async () => {
    const { addon } = setup(1);
    expect(addon.call('checkWorker')).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^The worker is up: version 1\.2\.3, running for \d+ s\.$/),
    });
    await worker.setMode({ kind: 'status', status: 502, body: 'Bad gateway' });
    try {
      expect(addon.call('checkWorker')).toMatchObject({ ok: false, message: expect.stringMatching(/HTTP 502 \(Bad gateway\)/) });
    } finally {
      await worker.setMode({ kind: 'accept' });
    }
  });

  it('status counts, success rate and rows needing attention with advice', () => {
    const { model, addon, sheet } = setup(4);
    const h = model.rowsOf(sheet)[0]!;
    const c = (n: string) => h.indexOf(n);
    model.setCell(sheet, 1, c('youtube_status'), 'completed');
    model.setCell(sheet, 2, c('youtube_status'), 'completed');
    model.setCell(sheet, 3, c('youtube_status'), 'failed');
    model.setCell(sheet, 3, c('download_errors'), 'youtube#1 permission: Private video');
    const s = addon.call('getSidebarState') as {
      status: { counts: Record<string, Record<string, number>>; successRate: number; attention: unknown[] };
    };
    expect(s.status.counts['youtube']).toEqual({ pending: 1, queued: 0, downloading: 0, completed: 2, failed: 1 });
    expect(s.status.counts['drive']!['pending']).toBe(4);
    expect(s.status.successRate).toBeCloseTo(2 / 3);
    expect(s.status.attention).toEqual([
      {
        rowNumber: 4,
        rowId: '103',
        source: 'youtube',
        status: 'failed',
        error: '#1 permission: Private video',
        advice: expect.stringMatching(/private or gated/),
      },
    ]);
  });
});

const ALL_SCOPES = [
  'https://www.googleapis.com/auth/spreadsheets.currentonly',
  'https://www.googleapis.com/auth/script.container.ui',
  'https://www.googleapis.com/auth/script.external_request',
  'https://www.googleapis.com/auth/script.scriptapp',
  'https://www.googleapis.com/auth/spreadsheets',
];
const without = (...names: string[]) => ALL_SCOPES.filter((s) => !names.some((n) => s.endsWith(`/${n}`)));
type State = {
  lastScheduledRun: { ok: boolean; message: string; rowsSent: number } | null;
  scheduled: boolean | null;
  statusError: string;
};

describe('scheduled runs without a document (B3)', () => {
  it('no active spreadsheet, no document lock, no DocumentProperties: the run opens the stored spreadsheet by id and dispatches', async () => {
    await worker.reset();
    const { model, addon, sheet } = setup(3);
    expect((addon.call('scheduleHourlyDispatch') as Result).ok).toBe(true);
    const t = addon.state.triggers[0]!;
    const user = addon.state.userProperties.get('owner@example.org')!;
    expect(user.get(`archiver.trigger.${t.id}`)).toBe(SPREADSHEET_ID);
    expect(JSON.parse(user.get(`archiver.docSettings.${SPREADSHEET_ID}`)!)).toMatchObject({ 'archiver.workerUrl': worker.url });

    addon.counts.reset();
    expect(addon.runTimeTriggers({ withoutDocument: true })).toEqual(['onScheduledDispatch']);
    expect(addon.counts.get('SpreadsheetApp.openById')).toBe(1);
    expect(addon.counts.get('LockService.getDocumentLock')).toBe(1);
    expect(addon.counts.get('LockService.getUserLock')).toBe(1);
    expect(addon.counts.get('ScriptApp.getAuthorizationInfo')).toBeGreaterThanOrEqual(1);
    const h = model.rowsOf(sheet)[0]!;
    expect(model.rowsOf(sheet)[1]![h.indexOf('youtube_status')]).toBe('queued');
    const s = addon.call('getSidebarState') as State;
    expect(s.lastScheduledRun).toMatchObject({ ok: true, rowsSent: 3 });
    expect(addon.state.documentLocks.size).toBe(0); // the user lock was released
  });

  it('without the spreadsheets permission the run records, visibly, that it could not open the spreadsheet', async () => {
    await worker.reset();
    const { addon } = setup(2);
    addon.call('scheduleHourlyDispatch');
    addon.setGrantedScopes(without('spreadsheets'));
    addon.runTimeTriggers({ withoutDocument: true });
    expect((await worker.requests()).filter((r) => r.path === '/v1/dispatch')).toHaveLength(0);
    const s = addon.call('getSidebarState') as State;
    expect(s.lastScheduledRun!.ok).toBe(false);
    expect(s.lastScheduledRun!.message).toMatch(
      /^The scheduled run could not run: Sheet Archiver needs the permission “See, edit, create, and delete all your Google Sheets spreadsheets”/,
    );
    expect(s.lastScheduledRun!.message).toContain('https://script.google.com/macros/d/FAKE_SCRIPT_ID/authorize');
  });

  it('a stored id the run cannot open is recorded with the reason; an unexpected active spreadsheet is not used', async () => {
    const { addon, model } = setup(2);
    addon.call('scheduleHourlyDispatch');
    const t = addon.state.triggers[0]!;
    addon.state.userProperties.get('owner@example.org')!.set(`archiver.trigger.${t.id}`, '1Gone000000000000000000000000000000000000');
    addon.runTimeTriggers({ withoutDocument: true });
    const run = JSON.parse(
      addon.state.userProperties.get('owner@example.org')!.get('archiver.lastScheduledRun.1Gone000000000000000000000000000000000000')!,
    );
    expect(run.message).toMatch(
      /^The scheduled run could not open this spreadsheet: Apps Script started it without an active spreadsheet, and opening it by id failed: /,
    );
    // With a document, but another one: not used, opened by id (which fails the same way).
    addon.runTimeTriggers();
    const again = JSON.parse(
      addon.state.userProperties.get('owner@example.org')!.get('archiver.lastScheduledRun.1Gone000000000000000000000000000000000000')!,
    );
    expect(again.message).toContain(`Apps Script started it in another spreadsheet (${SPREADSHEET_ID})`);
    expect(model.spreadsheet(SPREADSHEET_ID)).toBeDefined();
  });

  it('a dispatch where getDocumentLock() is null still runs, under the user lock', async () => {
    await worker.reset();
    const { addon } = setup(2);
    addon.state.documentLocks.add(`user:owner@example.org`); // another run of this user holds it
    addon.call('scheduleHourlyDispatch');
    addon.runTimeTriggers({ withoutDocument: true });
    const s = addon.call('getSidebarState') as State;
    expect(s.lastScheduledRun).toMatchObject({ ok: false, message: expect.stringMatching(/Another dispatch is running/) });
  });
});

describe('granular consent (L2)', () => {
  it('each action names the missing permission and how to grant it; nothing runs', async () => {
    await worker.reset();
    const { addon, model, sheet } = setup(2);
    const before = JSON.stringify(model.rowsOf(sheet));
    addon.setGrantedScopes(without('script.external_request'));
    const r = addon.call('dispatchPendingRows') as Result;
    expect(r).toEqual({
      ok: false,
      message:
        'Sheet Archiver needs the permission “Connect to an external service” to send rows to your worker, and it has not been granted. ' +
        "Grant it at https://script.google.com/macros/d/FAKE_SCRIPT_ID/authorize (or choose Extensions → Sheet Archiver again and tick it on Google's consent screen).",
    });
    expect((addon.call('checkWorker') as Result).message).toMatch(/“Connect to an external service” to reach your worker/);
    expect(JSON.stringify(model.rowsOf(sheet))).toBe(before);
    expect((await worker.requests()).filter((q) => q.path === '/v1/dispatch')).toHaveLength(0);

    addon.setGrantedScopes(without('script.scriptapp'));
    expect((addon.call('scheduleHourlyDispatch') as Result).message).toMatch(
      /“Allow this application to run when you are not present” to run the hourly dispatch/,
    );
    expect(addon.state.triggers).toHaveLength(0);
    const s = addon.call('getSidebarState') as State;
    expect(s.scheduled).toBeNull();
    // From the menu, requireScopes ends the execution (Apps Script then shows its consent prompt).
    expect(() => addon.call('menuScheduleHourlyDispatch')).toThrow(/Authorization is required.*script\.scriptapp/);
    expect(addon.state.triggers).toHaveLength(0);

    addon.setGrantedScopes(without('spreadsheets.currentonly', 'spreadsheets'));
    expect((addon.call('getSidebarState') as State).statusError).toMatch(
      /^Sheet Archiver needs the permission “View and manage spreadsheets that this application has been installed in” to read this spreadsheet/,
    );
    expect(() => addon.evaluate('SpreadsheetApp.getActiveSpreadsheet()')).toThrow(
      /You do not have permission to call SpreadsheetApp.getActiveSpreadsheet/,
    );
    expect((addon.call('validateSheet') as Result).message).toMatch(
      /“View and manage spreadsheets that this application has been installed in” to read this spreadsheet/,
    );
  });

  it('the trigger handler checks its permissions first and records what is missing', () => {
    const { addon } = setup(1);
    addon.call('scheduleHourlyDispatch');
    addon.setGrantedScopes(without('script.external_request'));
    addon.counts.reset();
    addon.runTimeTriggers();
    expect(addon.counts.get('UrlFetchApp.fetchAll')).toBe(0);
    addon.setGrantedScopes(ALL_SCOPES);
    const s = addon.call('getSidebarState') as State;
    expect(s.lastScheduledRun!.message).toMatch(
      /^The scheduled run could not run: Sheet Archiver needs the permission “Connect to an external service”/,
    );
  });
});

describe('live updates (pollStatus)', () => {
  it('read the header, row_id and tracking columns only: no properties, no triggers, no whole-sheet read', () => {
    const { model, addon, sheet } = setup(500);
    const h = model.rowsOf(sheet)[0]!;
    model.setCell(sheet, 1, h.indexOf('youtube_status'), 'queued');
    model.setCell(sheet, 2, h.indexOf('drive_status'), 'failed');
    model.setCell(sheet, 2, h.indexOf('download_errors'), 'drive#1 permission: 403');
    addon.call('scheduleHourlyDispatch');
    addon.counts.reset();
    const live = addon.call('pollStatus', { sheetName: 'People', sources: ['youtube', 'drive'], leaseHours: 2 }) as {
      active: boolean;
      counts: Record<string, Record<string, number>>;
      attention: { rowNumber: number; error: string }[];
    };
    expect(live.active).toBe(true);
    expect(live.counts['youtube']).toMatchObject({ queued: 1, pending: 0 });
    expect(live.attention).toEqual([expect.objectContaining({ rowNumber: 3, error: '#1 permission: 403' })]);
    expect(addon.counts.total('PropertiesService')).toBe(0);
    expect(addon.counts.total('UserProperties') + addon.counts.total('DocumentProperties')).toBe(0);
    expect(addon.counts.total('ScriptApp')).toBe(0);
    expect(addon.counts.get('Sheet.getDataRange')).toBe(0);
    expect(addon.counts.get('Range.getValues')).toBe(3); // header, row_id, the 8 tracking columns
  });
});
