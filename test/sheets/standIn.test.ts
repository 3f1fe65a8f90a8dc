import { google } from 'googleapis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { googleCredentials } from '../../worker/src/google/auth.js';

let stand: SheetsStandIn;
let api: ReturnType<typeof google.sheets>;
const NAME = "People's sheet";

beforeAll(async () => {
  stand = await SheetsStandIn.start();
  api = google.sheets({ version: 'v4', auth: googleCredentials({ accessToken: 'test-token' }).auth!, rootUrl: stand.url });
});
afterAll(() => stand.close());
beforeEach(() => {
  stand.model.spreadsheets.clear();
  stand.model.addSpreadsheet('s1', [
    {
      title: NAME,
      rows: [
        ['row_id', 'name', '', ''],
        ['1', 'Ana', '', ''],
        ['2', '', '', ''],
        ['', '', '', ''],
      ],
    },
    { title: 'Other', rows: [] },
  ]);
  stand.clearLog();
  stand.setQuota({ writesPerMinute: undefined, readsPerMinute: undefined, quotaWindowMs: 60_000 });
});

describe('Sheets API v4 stand-in', () => {
  it('requires a Bearer token (401 UNAUTHENTICATED, Google error body)', async () => {
    const res = await fetch(`${stand.url}v4/spreadsheets/s1/values/A1`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    const bad = await fetch(`${stand.url}v4/spreadsheets/s1/values/A1`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('reads quoted ranges, whole columns and rows, trimming trailing empties', async () => {
    const r = await api.spreadsheets.values.batchGet({
      spreadsheetId: 's1',
      ranges: [`'People''s sheet'!A:A`, `'People''s sheet'!A2:B`, `'People''s sheet'!1:1`, 'Other!A1:C3'],
    });
    const [a, b, c, d] = r.data.valueRanges!;
    expect(a).toEqual({ range: `'People''s sheet'!A1:A1000`, majorDimension: 'ROWS', values: [['row_id'], ['1'], ['2']] });
    expect(b!.values).toEqual([['1', 'Ana'], ['2']]);
    expect(c!.range).toBe(`'People''s sheet'!A1:Z1`);
    expect(c!.values).toEqual([['row_id', 'name']]);
    expect(d).toEqual({ range: 'Other!A1:C3', majorDimension: 'ROWS' });
    expect(stand.requests[0]!.ranges).toEqual([`'People''s sheet'!A:A`, `'People''s sheet'!A2:B`, `'People''s sheet'!1:1`, 'Other!A1:C3']);
  });

  it('writes past Z once the grid has room; refuses writes beyond the grid as Google does', async () => {
    await expect(
      api.spreadsheets.values.update(
        { spreadsheetId: 's1', range: `'People''s sheet'!AA1`, valueInputOption: 'RAW', requestBody: { values: [['x']] } },
        { retry: false },
      ),
    ).rejects.toMatchObject({
      status: 400,
    });
    await api.spreadsheets.batchUpdate({
      spreadsheetId: 's1',
      requestBody: { requests: [{ appendDimension: { sheetId: 0, dimension: 'COLUMNS', length: 10 } }] },
    });
    await api.spreadsheets.values.update({
      spreadsheetId: 's1',
      range: `'People''s sheet'!AA1:AB1`,
      valueInputOption: 'RAW',
      requestBody: { values: [['x', 'y']] },
    });
    const sh = stand.model.sheet('s1', NAME)!;
    expect([stand.model.getCell(sh, 0, 26), stand.model.getCell(sh, 0, 27)]).toEqual(['x', 'y']);
    const meta = await api.spreadsheets.get({
      spreadsheetId: 's1',
      fields: 'sheets.properties(sheetId,title,gridProperties(columnCount))',
    });
    expect(meta.data).toEqual({
      sheets: [
        { properties: { sheetId: 0, title: NAME, gridProperties: { columnCount: 36 } } },
        { properties: { sheetId: expect.any(Number), title: 'Other', gridProperties: { columnCount: 26 } } },
      ],
    });
  });

  it('RAW stores strings as they are; USER_ENTERED parses numbers, booleans and formulas', async () => {
    await api.spreadsheets.values.batchUpdate({
      spreadsheetId: 's1',
      requestBody: { valueInputOption: 'RAW', data: [{ range: `'People''s sheet'!C2:F2`, values: [['=SUM(1,2)', '42', 'TRUE', 7]] }] },
    });
    await api.spreadsheets.values.batchUpdate({
      spreadsheetId: 's1',
      requestBody: {
        valueInputOption: 'USER_ENTERED',
        data: [{ range: `'People''s sheet'!C3:G3`, values: [['=HYPERLINK("http://x","lbl")', '42', 'true', "'0042", null]] }],
      },
    });
    const sh = stand.model.sheet('s1', NAME)!;
    expect(sh.values[1]!.slice(2, 6)).toEqual(['=SUM(1,2)', '42', 'TRUE', 7]);
    expect(sh.values[2]!.slice(2, 6)).toEqual(['lbl', 42, true, '0042']);
    expect([...sh.formulas]).toEqual([['2,2', '=HYPERLINK("http://x","lbl")']]);
    const f = await api.spreadsheets.values.get({ spreadsheetId: 's1', range: `'People''s sheet'!C3:F3`, valueRenderOption: 'FORMULA' });
    expect(f.data.values).toEqual([['=HYPERLINK("http://x","lbl")', 42, true, '0042']]);
    const plain = await api.spreadsheets.values.get({ spreadsheetId: 's1', range: `'People''s sheet'!C3:F3` });
    expect(plain.data.values).toEqual([['lbl', '42', 'TRUE', '0042']]);
  });

  it('requires valueInputOption and keeps writes inside the given range', async () => {
    const res = await fetch(`${stand.url}v4/spreadsheets/s1/values:batchUpdate`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ range: 'A1', values: [['x']] }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/valueInputOption/);
    await expect(
      api.spreadsheets.values.update(
        { spreadsheetId: 's1', range: `'People''s sheet'!A1:B1`, valueInputOption: 'RAW', requestBody: { values: [['a', 'b', 'c']] } },
        { retry: false },
      ),
    ).rejects.toMatchObject({ status: 400 });
    await expect(api.spreadsheets.values.get({ spreadsheetId: 's1', range: `'Nope'!A1` }, { retry: false })).rejects.toMatchObject({
      status: 400,
    });
  });

  it('answers 429 RESOURCE_EXHAUSTED after N writes per window, then recovers', async () => {
    stand.setQuota({ writesPerMinute: 2, quotaWindowMs: 300 });
    const write = () =>
      api.spreadsheets.values.update(
        { spreadsheetId: 's1', range: 'Other!A1', valueInputOption: 'RAW', requestBody: { values: [['x']] } },
        { retry: false },
      );
    await write();
    await write();
    const err = (await write().then(
      () => null,
      (e: unknown) => e,
    )) as { status: number; response: { data: unknown } };
    expect(err.status).toBe(429);
    expect(err.response.data).toMatchObject({
      error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ reason: 'RATE_LIMIT_EXCEEDED' }, expect.anything()] },
    });
    // reads have their own quota
    await api.spreadsheets.values.get({ spreadsheetId: 's1', range: 'Other!A1' });
    await new Promise((r) => setTimeout(r, 320));
    await write();
  });

  it('injects faults and delays, and logs every request', async () => {
    stand.injectFault({ times: 1, status: 503, retryAfterSeconds: 2 });
    stand.injectFault({ times: 1, delayMs: 150, match: (r) => r.op === 'values.get' });
    const e = await fetch(`${stand.url}v4/spreadsheets/s1/values/A1`, { headers: { authorization: 'Bearer test-token' } });
    expect(e.status).toBe(503);
    expect(e.headers.get('retry-after')).toBe('2');
    expect(await e.json()).toMatchObject({ error: { status: 'UNAVAILABLE' } });
    const t0 = Date.now();
    await api.spreadsheets.values.get({ spreadsheetId: 's1', range: 'A1' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(stand.requests.map((r) => [r.method, r.op, r.status])).toEqual([
      ['GET', 'values.get', 503],
      ['GET', 'values.get', 200],
    ]);
  });

  it('inserts and deletes rows with spreadsheets.batchUpdate; appends values', async () => {
    await api.spreadsheets.batchUpdate({
      spreadsheetId: 's1',
      requestBody: { requests: [{ insertDimension: { range: { sheetId: 0, dimension: 'ROWS', startIndex: 1, endIndex: 3 } } }] },
    });
    const sh = stand.model.sheet('s1', NAME)!;
    expect(stand.model.rowsOf(sh).map((r) => r[0])).toEqual(['row_id', '', '', '1', '2']);
    await api.spreadsheets.batchUpdate({
      spreadsheetId: 's1',
      requestBody: { requests: [{ deleteDimension: { range: { sheetId: 0, dimension: 'ROWS', startIndex: 1, endIndex: 3 } } }] },
    });
    const ap = await api.spreadsheets.values.append({
      spreadsheetId: 's1',
      range: `'People''s sheet'!A1`,
      valueInputOption: 'RAW',
      requestBody: { values: [['3', 'Zoë']] },
    });
    expect(ap.data.updates?.updatedRange).toBe(`'People''s sheet'!A4:B4`);
    expect(stand.model.rowsOf(sh).map((r) => r[0])).toEqual(['row_id', '1', '2', '3']);
  });
});
