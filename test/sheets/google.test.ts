import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS, columnLetter } from '../../shared/columns.js';
import { silentLogger } from '../../worker/src/log.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { Reporter } from '../../worker/src/report/reporter.js';
import { GoogleSheetsBackend } from '../../worker/src/sheets/google.js';
import type { StatusUpdate } from '../../worker/src/sheets/types.js';
import type { CellValue, SheetData } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { googleCredentials } from '../../worker/src/google/auth.js';

const SHEET = "People's sheet";
const SS = 'ss-1';
/** 24 input/link columns, so the tracking columns land at Y…AF: past Z. */
const INPUT_HEADERS = ['row_id', 'name', 'email', 'type', ...Array.from({ length: 20 }, (_, i) => `link ${i + 1}`)];

let stand: SheetsStandIn;
let sheet: SheetData;
let backend: GoogleSheetsBackend;

function rows(n: number): CellValue[][] {
  const out: CellValue[][] = [INPUT_HEADERS];
  for (let i = 1; i <= n; i++)
    out.push([String(100 + i), `Person ${i}`, `p${i}@example.org`, `FF-Fi/Se-CP/B(S) #${i % 5}`, `https://youtu.be/abcdefghij${i % 10}`]);
  return out;
}

function upd(i: number, extra: Partial<StatusUpdate> = {}): StatusUpdate {
  return {
    spreadsheetId: SS,
    sheetId: 0,
    sheetName: SHEET,
    rowId: String(100 + i),
    type: `FF-Fi/Se-CP/B(S) #${i % 5}`,
    rowNumberHint: i + 1,
    source: 'youtube',
    status: 'completed',
    files: [`${100 + i}/youtube/v${i}/clip.mp4`],
    mediaIds: [`v${i}`],
    lastAttempt: '2026-11-21T09:15:02Z',
    ...extra,
  };
}

const cell = (r: number, name: string) => stand.model.getCell(sheet, r, stand.model.rowsOf(sheet)[0]!.indexOf(name));
const rowOf = (rowId: string) => sheet.values.findIndex((r) => String(r[0]) === rowId);

/** Every range a write request touched stays inside the tracking columns (and row 1 only for headers). */
function expectOnlyTrackingWrites(): void {
  const trackingCols = new Set(TRACKING_COLUMNS.map((c) => INPUT_HEADERS.length + TRACKING_COLUMNS.indexOf(c)));
  const writes = stand.writeRequests().filter((r) => r.op === 'values.batchUpdate' || r.op === 'values.update' || r.op === 'values.append');
  expect(writes.length).toBeGreaterThan(0);
  for (const w of writes) {
    for (const range of w.ranges) {
      const a = stand.parseRange(stand.model.spreadsheet(SS)!, range);
      for (let c = a.c0; c <= a.c1; c++) expect(trackingCols.has(c), `${w.op} ${range} writes column ${columnLetter(c)}`).toBe(true);
    }
  }
}

beforeEach(async () => {
  stand = await SheetsStandIn.start();
  stand.model.addSpreadsheet(SS, [{ title: SHEET, rows: rows(120) }]);
  sheet = stand.model.sheet(SS, SHEET)!;
  stand.setGrid(sheet, 1000, INPUT_HEADERS.length); // no room for the tracking columns yet
  backend = new GoogleSheetsBackend({
    auth: googleCredentials({ accessToken: 'test-token' }).auth!,
    rootUrl: stand.url,
    logger: silentLogger,
    retry: { baseMs: 5, maxMs: 50 },
  });
});
afterEach(async () => {
  await stand.close();
});

describe('Google Sheets backend (real googleapis client vs the stand-in)', () => {
  it('appends the tracking headers past Z, growing the grid, once', async () => {
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    expect(stand.model.rowsOf(sheet)[0]).toEqual([...INPUT_HEADERS, ...TRACKING_COLUMNS]);
    const structural = stand.requests.filter((r) => r.op === 'spreadsheets.batchUpdate');
    expect(structural).toHaveLength(1);
    expect(structural[0]!.body).toEqual({ requests: [{ appendDimension: { sheetId: 0, dimension: 'COLUMNS', length: 8 } }] });
    expect(stand.requests.filter((r) => r.op === 'values.update').map((r) => r.ranges[0])).toEqual([`'People''s sheet'!Y1:AF1`]);
  });

  it('writes the right row after rows are inserted above', async () => {
    expect(await backend.apply([upd(5)])).toEqual([{ ok: true, rowNumber: 6 }]);
    stand.model.insertRows(sheet, 1, 3); // three new rows under the header
    stand.model.setRange(sheet, 1, 0, [['900', 'New', '', 'X']]);
    const out = await backend.apply([
      upd(7, { status: 'failed', error: { source: 'youtube', attempt: 1, category: 'network', message: 'reset' } }),
    ]);
    expect(out).toEqual([{ ok: true, rowNumber: 11 }]);
    const r = rowOf('107');
    expect(r).toBe(10);
    expect(cell(r, 'youtube_status')).toBe('failed');
    expect(cell(r, 'download_errors')).toBe('youtube#1 network: reset');
    // the row that now sits where 107 used to be is untouched
    expect(cell(7, 'youtube_status')).toBe('');
    expect(cell(rowOf('105'), 'youtube_status')).toBe('completed');
    expectOnlyTrackingWrites();
  });

  it('refuses a row whose type changed (data_corruption) and writes nothing', async () => {
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    stand.model.setCell(sheet, rowOf('103'), 3, 'MM-Ne/Ti-CS/P(B) #1');
    stand.clearLog();
    const out = await backend.apply([upd(3)]);
    expect(out[0]).toMatchObject({ ok: false, category: 'data_corruption' });
    expect(stand.writeRequests()).toHaveLength(0);
    expect(cell(rowOf('103'), 'youtube_status')).toBe('');
    // the others in a batch still go through, in one batchUpdate
    const mixed = await backend.apply([upd(3), upd(4), upd(999)]);
    expect(mixed.map((o) => (o.ok ? 'ok' : o.category))).toEqual(['data_corruption', 'ok', 'not_found']);
    expect(stand.writeRequests()).toHaveLength(1);
  });

  it('writes values as RAW: a =HYPERLINK(…) message stays a string, no formula', async () => {
    const msg = '=HYPERLINK("http://evil.test","click me")';
    await backend.apply([
      upd(1, { status: 'failed', files: ['=1+1'], error: { source: 'youtube', attempt: 1, category: 'permission', message: msg } }),
    ]);
    expect(cell(rowOf('101'), 'download_errors')).toBe(`youtube#1 permission: ${msg}`);
    expect(cell(rowOf('101'), 'youtube_files')).toBe('=1+1');
    expect(sheet.formulas.size).toBe(0);
    const bu = stand.requests.find((r) => r.op === 'values.batchUpdate')!;
    expect((bu.body as { valueInputOption: string }).valueInputOption).toBe('RAW');
  });

  it('merges download_errors with the other source’s line', async () => {
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    stand.model.setCell(sheet, rowOf('102'), INPUT_HEADERS.length + 7, 'drive#2 not_found: gone');
    await backend.apply([
      upd(2, { status: 'failed', error: { source: 'youtube', attempt: 3, category: 'rate_limit', message: 'HTTP Error 429' } }),
    ]);
    expect(cell(rowOf('102'), 'download_errors')).toBe('youtube#3 rate_limit: HTTP Error 429\ndrive#2 not_found: gone');
  });

  it('rides out 5xx faults within one apply()', async () => {
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    stand.injectFault({ times: 2, status: 503 });
    stand.injectFault({ times: 1, status: 500, match: (r) => r.op === 'values.batchUpdate' });
    expect(await backend.apply([upd(8)])).toEqual([{ ok: true, rowNumber: 9 }]);
    expect(stand.requests.filter((r) => r.status >= 500)).toHaveLength(3);
  });

  it('throws rate_limit after its tries when 429s persist (the caller keeps the batch)', async () => {
    stand.injectFault({ times: 100, status: 429, retryAfterSeconds: 0 });
    await expect(backend.apply([upd(1)])).rejects.toMatchObject({ name: 'ArchiveError', category: 'rate_limit' });
    expect(stand.requests.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it('100 jobs finishing together → one batchUpdate (plus a few reads), only tracking cells', async () => {
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    const db = new Database(':memory:');
    const outbox = new SqliteOutbox(db);
    const reporter = new Reporter({ backend, outbox, windowMs: 50, logger: silentLogger });
    stand.clearLog();
    for (let i = 1; i <= 100; i++) {
      reporter.push(upd(i, { status: 'downloading', files: undefined, mediaIds: undefined }));
      reporter.push(upd(i)); // coalesces with the one above
    }
    await reporter.flush();
    const batches = stand.requests.filter((r) => r.op === 'values.batchUpdate');
    expect(batches).toHaveLength(1);
    expect(stand.requests.length).toBeLessThanOrEqual(3);
    expect(await outbox.size()).toBe(0);
    for (let i = 1; i <= 100; i++) expect(cell(rowOf(String(100 + i)), 'youtube_status')).toBe('completed');
    expectOnlyTrackingWrites();
    await reporter.close();
    db.close();
  });

  it('a 429 storm → every update lands (Reporter + SqliteOutbox)', async () => {
    await backend.ensureColumns({ spreadsheetId: SS, sheetName: SHEET });
    stand.setQuota({ writesPerMinute: 2, readsPerMinute: 4, quotaWindowMs: 400 });
    stand.injectFault({ times: 6, status: 429 });
    const db = new Database(':memory:');
    const outbox = new SqliteOutbox(db);
    const refused: unknown[] = [];
    const storm = new GoogleSheetsBackend({
      auth: googleCredentials({ accessToken: 'test-token' }).auth!,
      rootUrl: stand.url,
      logger: silentLogger,
      retry: { tries: 2, baseMs: 10, maxMs: 40 },
    });
    const reporter = new Reporter({
      backend: storm,
      outbox,
      windowMs: 40,
      backoff: { baseMs: 40, maxMs: 300 },
      logger: silentLogger,
      onRefused: (u, o) => refused.push([u, o]),
    });
    reporter.start();
    for (let i = 1; i <= 60; i++) {
      reporter.push(upd(i, { status: i % 3 ? 'completed' : 'failed' }));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 60));
    }
    const deadline = Date.now() + 15_000;
    while ((await outbox.size()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await reporter.close();
    expect(await outbox.size()).toBe(0);
    expect(refused).toEqual([]);
    expect(stand.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i <= 60; i++) expect(cell(rowOf(String(100 + i)), 'youtube_status')).toBe(i % 3 ? 'completed' : 'failed');
    expect(reporter.stats.failedBatches).toBeGreaterThan(0);
    db.close();
  }, 20_000);

  it('finds a renamed tab again by sheetId', async () => {
    await backend.apply([upd(1)]);
    sheet.title = 'Renamed';
    expect(await backend.apply([upd(2)])).toEqual([{ ok: true, rowNumber: 3 }]);
    expect(cell(rowOf('102'), 'youtube_status')).toBe('completed');
  });

  it('reports a missing spreadsheet as not_found for its updates', async () => {
    expect(await backend.apply([{ ...upd(1), spreadsheetId: 'nope' }])).toEqual([
      { ok: false, category: 'not_found', message: expect.any(String) },
    ]);
  });
});
