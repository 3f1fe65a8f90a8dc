/** Schedule, reset, validate, settings and "Check worker" through the built bundle. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SheetModel } from '../support/sheetModel.js';
import { ensureAddonBuilt } from '../support/appsScript/ensureBuilt.js';
import { startFakeWorker, type FakeWorker } from '../support/appsScript/fakeWorker.js';
import { peopleRows, SECRET, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, type LoadAddonOptions, type LoadedAddon } from '../support/appsScript/loadAddon.js';

let worker: FakeWorker;
const open: LoadedAddon[] = [];
beforeAll(async () => {
  await ensureAddonBuilt();
  worker = await startFakeWorker({ secret: SECRET, version: '1.2.3' });
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.close()));
  await worker.close();
});

type Result = { ok: boolean; message: string; details?: string[] };

function setup(rows = 6, extra: Partial<LoadAddonOptions> = {}) {
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows, tracking: true }) }]);
  const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, ...extra });
  open.push(addon);
  addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
  return { model, addon, sheet: model.sheet(SPREADSHEET_ID, 'People')! };
}

describe('schedule', () => {
  it('one hourly trigger per user per document; each run records its outcome in DocumentProperties', async () => {
    await worker.reset();
    const { model, addon } = setup(3);
    expect((addon.call('scheduleHourlyDispatch') as Result).message).toMatch(/^Hourly dispatch is on/);
    expect((addon.call('scheduleHourlyDispatch') as Result).message).toBe('Hourly dispatch is already on for you in this document.');
    expect(addon.state.triggers).toEqual([expect.objectContaining({ handler: 'onScheduledDispatch', everyHours: 1, user: 'owner@example.org', sourceId: SPREADSHEET_ID })]);

    // A second user on the same document gets their own trigger.
    const other = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, state: addon.state, user: 'editor@example.org' });
    open.push(other);
    other.call('scheduleHourlyDispatch');
    expect(addon.state.triggers.map((t) => t.user).sort()).toEqual(['editor@example.org', 'owner@example.org']);
    expect((other.call('getSidebarState') as { scheduled: boolean }).scheduled).toBe(true);

    // The editor has no secret: their run records a plain error instead of failing silently.
    addon.runTimeTriggers();
    const runs = addon.state.documentProperties.get(SPREADSHEET_ID)!;
    const last = JSON.parse(runs.get('archiver.lastScheduledRun')!);
    expect(last).toMatchObject({ at: expect.stringMatching(/Z$/), rowsSent: expect.any(Number), errors: expect.any(Array) });
    const state = addon.call('getSidebarState') as { lastScheduledRun: { rowsSent: number; ok: boolean } };
    expect(state.lastScheduledRun).toEqual(last);
    const all = (await worker.requests()).filter((r) => r.status === 202);
    expect(all).toHaveLength(1); // owner's run sent the 3 rows; the editor's run had no secret

    other.call('saveSettings', { secret: SECRET });
    other.runTimeTriggers();
    expect(JSON.parse(runs.get('archiver.lastScheduledRun')!)).toMatchObject({ ok: true, rowsSent: 0 });

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
    const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID });
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
    expect(addon.call('validateSheet')).toEqual({ ok: true, message: 'No problems found. 3 rows checked; link columns: video, files.', details: [] });
  });
});

describe('settings and worker check', () => {
  it('never returns the secret, only its last four characters; rejects bad input plainly', () => {
    const { addon } = setup(1);
    const s = addon.call('getSidebarState') as { settings: Record<string, unknown> };
    expect(s.settings).toMatchObject({ workerUrl: worker.url, secretHint: '••••cdef', sources: ['youtube', 'drive'], leaseHours: 2 });
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(addon.call('saveSettings', { workerUrl: 'ftp://x' })).toMatchObject({ ok: false, message: expect.stringMatching(/is not a worker URL/) });
    expect(addon.call('saveSettings', { secret: 'short' })).toMatchObject({ ok: false, message: 'The shared secret must be at least 16 characters.' });
    expect(addon.call('saveSettings', { sources: [] })).toMatchObject({ ok: false });
    expect(addon.call('saveSettings', { leaseHours: 6, allowedHosts: ['127.0.0.1:8080'], secret: '' })).toMatchObject({ ok: true });
    expect((addon.call('getSidebarState') as { settings: Record<string, unknown> }).settings).toMatchObject({ leaseHours: 6, allowedHosts: ['127.0.0.1:8080'], secretHint: '••••cdef' });
  });

  it('Check worker shows version and uptime, or the error', async () => {
    const { addon } = setup(1);
    expect(addon.call('checkWorker')).toMatchObject({ ok: true, message: expect.stringMatching(/^The worker is up: version 1\.2\.3, running for \d+ s\.$/) });
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
    const s = addon.call('getSidebarState') as { status: { counts: Record<string, Record<string, number>>; successRate: number; attention: unknown[] } };
    expect(s.status.counts['youtube']).toEqual({ pending: 1, queued: 0, downloading: 0, completed: 2, failed: 1 });
    expect(s.status.counts['drive']!['pending']).toBe(4);
    expect(s.status.successRate).toBeCloseTo(2 / 3);
    expect(s.status.attention).toEqual([
      { rowNumber: 4, rowId: '103', source: 'youtube', status: 'failed', error: '#1 permission: Private video', advice: expect.stringMatching(/private or gated/) },
    ]);
  });
});
