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
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
import { startFakeWorker, type FakeWorker } from '../support/appsScript/fakeWorker.js';
import { peopleRows, SECRET, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, type LoadAddonOptions, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import { SIGNATURE_VECTORS } from '../support/appsScript/signatureVectors.js';

let worker: FakeWorker;
let prefixed: FakeWorker;
let deadPort: number;
let dist: string;
const open: LoadedAddon[] = [];

beforeAll(async () => {
  worker = await startFakeWorker({ secret: SECRET });
  prefixed = await startFakeWorker({ secret: SECRET, prefix: '/archiver' });
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  deadPort = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  // The manifest allows exactly these workers, as ARCHIVER_WORKER_URL does for a real one.
  dist = await buildAddonFor(worker.url, prefixed.url, `https://127.0.0.1:${deadPort}`);
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.close()));
  await worker.close();
  await prefixed.close();
});

function setup(rows: number, extra: Partial<LoadAddonOptions> = {}, settings: Record<string, unknown> = {}) {
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows, tracking: true }) }]);
  const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, distDir: dist, ...extra });
  open.push(addon);
  const saved = addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET, ...settings }) as { ok: boolean; message: string };
  expect(saved.message).toMatch(/^Settings saved/);
  const sheet = model.sheet(SPREADSHEET_ID, 'People')!;
  return { model, addon, sheet };
}

type Outcome = {
  ok: boolean;
  message: string;
  rowsSent: number;
  jobsAccepted: number;
  rowsLeft: number;
  errors: string[];
  details: string[];
};

/** Counts that must not depend on the number of rows: everything but requests, responses and per-batch Utilities. */
function fixedCounts(addon: LoadedAddon): Record<string, number> {
  const perBatch = /^(UrlFetchApp\.|HTTPResponse\.|Utilities\.)/;
  return Object.fromEntries(Object.entries(addon.counts.snapshot()).filter(([k]) => !perBatch.test(k)));
}

/** The worker's dispatch requests (saving settings also sends a signed GET /v1/jobs/stats). */
async function dispatches(w: FakeWorker = worker) {
  return (await w.requests()).filter((r) => r.path.endsWith('/v1/dispatch'));
}

function dispatchedRowIds(reqs: { path: string; body: string; status: number }[]): string[] {
  return reqs
    .filter((r) => r.path === '/v1/dispatch' && r.status === 202)
    .flatMap((r) => (JSON.parse(r.body) as { rows: { rowId: string }[] }).rows.map((x) => x.rowId));
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
    expect(big.addon.counts.get('Range.setValues')).toBe(0);
    expect(big.addon.counts.get('RangeList.setValue')).toBe(2); // 'queued' and the attempt time
    expect(big.addon.counts.get('UrlFetchApp.request')).toBe(50);
    expect(big.addon.counts.get('UrlFetchApp.fetchAll')).toBe(10);
    expect(big.addon.counts.get('Utilities.computeHmacSha256Signature')).toBe(50);

    const reqs = await dispatches();
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
    expect(await dispatches()).toHaveLength(0);
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
    const firstIds = dispatchedRowIds(await dispatches());
    expect(firstIds).toHaveLength(4_000);
    const all = model.rowsOf(sheet);
    const statuses = all.slice(1).map((row) => row[all[0]!.indexOf('youtube_status')]);
    expect(statuses.filter((s) => s === 'queued')).toHaveLength(4_000);

    await worker.reset();
    clock = Date.now();
    slowNetwork = false;
    const next = addon.call('dispatchPendingRows') as Outcome;
    expect(next).toMatchObject({ ok: true, rowsSent: 6_000, rowsLeft: 0 });
    const nextIds = dispatchedRowIds(await dispatches());
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
      expect(
        signed.some((b) => b < 0),
        'Apps Script bytes are signed',
      ).toBe(true);
      expect(signed.every((b) => b >= -128 && b <= 127)).toBe(true);
      expect(bytesToHex(signed), v.name).toBe(v.hex);
    }
  });

  it('the add-on signs the exact body and the full path under a prefix', async () => {
    await prefixed.reset();
    {
      const fixedNow = Date.now();
      const { addon } = setup(
        3,
        { now: () => fixedNow, uuid: () => '00000000-0000-4000-8000-000000000001' },
        { workerUrl: prefixed.url + '/' },
      );
      expect((addon.call('dispatchPendingRows') as Outcome).ok).toBe(true);
      const req = (await prefixed.requests()).find((r) => r.path.endsWith('/v1/dispatch'));
      expect(req!.path).toBe('/archiver/v1/dispatch');
      expect(req!.signatureOk).toBe(true);
      const t = Math.floor(fixedNow / 1000);
      const hex = createHmac('sha256', SECRET).update(`${t}.POST./archiver/v1/dispatch.${req!.body}`, 'utf8').digest('hex');
      expect(req!.headers['x-archiver-signature']).toBe(`t=${t},v1=${hex}`);
      expect(JSON.parse(req!.body).dispatchId).toBe('00000000-0000-4000-8000-000000000001');
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
    const port = deadPort;
    const { addon, model, sheet } = setup(30, {}, { workerUrl: `https://127.0.0.1:${port}` });
    const before = JSON.stringify(model.rowsOf(sheet));
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(new RegExp(`Could not reach the worker at https://127.0.0.1:${port}: Address unavailable`));
    expect(JSON.stringify(model.rowsOf(sheet))).toBe(before);
  });

  it('a held document lock: nothing is sent', async () => {
    await worker.reset();
    const { addon } = setup(5);
    addon.state.documentLocks.add(SPREADSHEET_ID);
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/Another dispatch is running/) });
    expect(await dispatches()).toHaveLength(0);
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
    const sent = (await dispatches()).flatMap(
      (q) => JSON.parse(q.body).rows as { rowNumber: number; attempt: number; youtube: string[]; drive: string[] }[],
    );
    expect(sent.map((s) => s.rowNumber).sort((a, b) => a - b)).toEqual([3, 7, 9]);
    const row7 = sent.find((s) => s.rowNumber === 7)!;
    expect(row7).toMatchObject({ attempt: 3, drive: [] });
    expect(model.rowsOf(sheet)[6]![c('youtube_status')]).toBe('queued');
    expect(model.rowsOf(sheet)[6]![c('drive_status')]).toBe('completed');
    expect(model.rowsOf(sheet)[8]![c('last_download_attempt')]).toBe(iso(now));
  });

  it('re-sends completed Drive rows once the "re-archive Drive rows after" setting has passed (DRIVE_REARCHIVE_AFTER)', async () => {
    await worker.reset();
    const now = Math.floor(Date.now() / 1000) * 1000;
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const { addon, model, sheet } = setup(3, { now: () => now }, { driveRearchiveAfter: '7d' });
    const h = model.rowsOf(sheet)[0]!;
    const c = (n: string) => h.indexOf(n);
    for (const [i, age] of [
      [1, 8],
      [2, 1],
      [3, 8],
    ] as const) {
      model.setCell(sheet, i, c('youtube_status'), 'completed');
      model.setCell(sheet, i, c('drive_status'), i === 3 ? '' : 'completed');
      model.setCell(sheet, i, c('last_download_attempt'), iso(now - age * 86_400_000));
    }
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok, r.message).toBe(true);
    const sent = (await dispatches()).flatMap(
      (q) => JSON.parse(q.body).rows as { rowNumber: number; youtube: string[]; drive: string[] }[],
    );
    // row 2: completed 8 days ago → Drive again; row 3: 1 day ago → not yet; row 4: Drive pending anyway
    expect(sent.map((s) => [s.rowNumber, s.youtube.length, s.drive.length > 0])).toEqual([
      [2, 0, true],
      [4, 0, true],
    ]);
    const bad = addon.call('saveSettings', { driveRearchiveAfter: 'weekly' }) as { ok: boolean; message: string };
    expect(bad.message).toMatch(/not a duration/);
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
      onFetch: (reqs) => {
        if (!reqs.some((q) => q.url.endsWith('/v1/dispatch'))) return;
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

describe('write-back touches only the cells it means to change (L3)', () => {
  it('a `completed` the worker writes inside the dispatched span between the read and the write survives', async () => {
    await worker.reset();
    const { addon, model, sheet } = setup(5);
    const h = model.rowsOf(sheet)[0]!;
    const c = (n: string) => h.indexOf(n);
    // Row 4 (index 3) finished before: not dispatched, but inside the span 2–6 of dispatched rows.
    model.setCell(sheet, 3, c('youtube_status'), 'queued');
    model.setCell(sheet, 3, c('drive_status'), 'queued');
    model.setCell(sheet, 3, c('last_download_attempt'), new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
    let wrote = false;
    addon.counts.listener = (name) => {
      // The add-on has read the span (row_id and status columns) and is about to write: now the
      // worker's Sheets write-back finishes row 4.
      if (!wrote && (name === 'RangeList.setValue' || name === 'Range.setValues')) {
        wrote = true;
        model.setCell(sheet, 3, c('youtube_status'), 'completed');
        model.setCell(sheet, 3, c('youtube_files'), 'archive/104/youtube/x/video.mp4');
        model.setCell(sheet, 3, c('last_download_attempt'), '2026-11-21T09:15:02Z');
      }
    };
    const r = addon.call('dispatchPendingRows') as Outcome;
    addon.counts.listener = null;
    expect(wrote).toBe(true);
    expect(r).toMatchObject({ ok: true, rowsSent: 4 });
    const rows = model.rowsOf(sheet);
    expect(rows[3]![c('youtube_status')]).toBe('completed');
    expect(rows[3]![c('youtube_files')]).toBe('archive/104/youtube/x/video.mp4');
    expect(rows[3]![c('last_download_attempt')]).toBe('2026-11-21T09:15:02Z');
    for (const i of [1, 2, 4, 5]) expect(rows[i]![c('youtube_status')]).toBe('queued');
    expect(addon.counts.get('RangeList.setValue')).toBe(2);
  });
});

describe('archive_options', () => {
  it('is sent per row, parsed; a row with a bad token is not sent and is named', async () => {
    await worker.reset();
    const rows = peopleRows({ rows: 3, tracking: true });
    rows[0]!.splice(4, 0, 'Archive_Options');
    rows[1]!.splice(4, 0, 'mode=audio; max_height=720');
    rows[2]!.splice(4, 0, 'subs=en,pt-BR comments=yes');
    rows[3]!.splice(4, 0, 'mode=film');
    const model = new SheetModel();
    model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows }]);
    const addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, distDir: dist });
    open.push(addon);
    addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
    const r = addon.call('dispatchPendingRows') as Outcome;
    expect(r.ok, r.message).toBe(true);
    expect(r.details).toEqual(['Row 4: archive_options "mode=film": mode must be one of video, audio, transcript: row not dispatched']);
    const sent = (await dispatches()).flatMap((q) => DispatchRequestSchema.parse(JSON.parse(q.body)).rows);
    expect(sent.map((x) => [x.rowNumber, x.archiveOptions])).toEqual([
      [2, { mode: 'audio', maxHeight: 720 }],
      [3, { subs: ['en', 'pt-BR'], comments: true }],
    ]);
    const sheet = model.sheet(SPREADSHEET_ID, 'People')!;
    expect(model.rowsOf(sheet)[3]![4]).toBe('mode=film'); // input: never written
  });
});

describe('the URL allow-list and https', () => {
  it('settings refuse http and a URL outside urlFetchWhitelist at save time; the fetch refuses them too', async () => {
    const { addon } = setup(1);
    const http = addon.call('saveSettings', { workerUrl: worker.url.replace('https:', 'http:') }) as Outcome;
    expect(http).toMatchObject({ ok: false, message: expect.stringMatching(/uses http: Apps Script only calls https URLs/) });
    const other = addon.call('saveSettings', { workerUrl: 'https://elsewhere.example.org' }) as Outcome;
    expect(other.ok).toBe(false);
    expect(other.message).toContain(`not covered by this add-on's urlFetchWhitelist (${worker.url}/`);
    expect(other.message).toContain('ARCHIVER_WORKER_URL=https://elsewhere.example.org');
    expect((addon.call('getSidebarState') as { settings: { workerUrl: string } }).settings.workerUrl).toBe(worker.url);
    // The stand-in enforces the manifest like Apps Script, whatever the add-on checks.
    expect(() => addon.evaluate(`UrlFetchApp.fetch(${JSON.stringify(worker.url.replace('https:', 'http:') + '/healthz')})`)).toThrow(
      /not covered by the urlFetchWhitelist/,
    );
    expect(() => addon.evaluate(`UrlFetchApp.fetch('https://elsewhere.example.org/healthz')`)).toThrow(/urlFetchWhitelist/);
  });

  it('saving tests the connection with a signed GET, so a wrong secret shows at once', async () => {
    await worker.reset();
    const { addon } = setup(1);
    const bad = addon.call('saveSettings', { secret: 'a-different-secret-of-enough-length' }) as Outcome;
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/^Settings saved\. The worker refused the request: HTTP 401 \(wrong signature\)/);
    const good = addon.call('saveSettings', { secret: SECRET }) as Outcome;
    expect(good).toMatchObject({
      ok: true,
      message: 'Settings saved. The worker accepted a signed test request: the URL and the shared secret are right.',
    });
    const stats = (await worker.requests()).filter((q) => q.path === '/v1/jobs/stats');
    expect(stats.map((q) => [q.method, q.signatureOk, q.body])).toEqual([
      ['GET', true, ''], // setup
      ['GET', false, ''],
      ['GET', true, ''],
    ]);
  });

  it('the secret is kept per document: another spreadsheet of the same user has its own', () => {
    const { addon, model } = setup(1);
    const otherId = '1ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zyxw';
    model.addSpreadsheet(otherId, [{ title: 'Other', rows: peopleRows({ rows: 1, tracking: true }) }]);
    const other = loadAddon({ model, spreadsheetId: otherId, state: addon.state, distDir: dist });
    open.push(other);
    expect((other.call('getSidebarState') as { settings: { secretHint: string } }).settings.secretHint).toBe('');
    other.call('saveSettings', { workerUrl: worker.url, secret: 'secret-for-the-other-worker-0000' });
    expect((addon.call('getSidebarState') as { settings: { secretHint: string } }).settings.secretHint).toBe('••••cdef');
    expect((other.call('getSidebarState') as { settings: { secretHint: string } }).settings.secretHint).toBe('••••0000');
    const user = addon.state.userProperties.get('owner@example.org')!;
    expect(user.get(`archiver.secret.${SPREADSHEET_ID}`)).toBe(SECRET);
    expect(user.get(`archiver.secret.${otherId}`)).toBe('secret-for-the-other-worker-0000');
    expect(user.has('archiver.secret')).toBe(false);
  });
});
