/**
 * Write-back safety through a real `serve` and the Sheets stand-in (design §1): a row whose type
 * changed since dispatch is never written, and the job records the refusal as its write-back
 * outcome (data_corruption), staying completed (design §4); a row that moved
 * (rows inserted above) is found again by row_id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { SheetModel } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { dispatchBody, signedClient } from '../support/signedFetch.js';

const SECRET = 'writeback-secret-0123456789';
let host: MediaHost;
let sheets: SheetsStandIn;
let worker: ServeProcess;
let dir: string;
const model = new SheetModel();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-writeback-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
  model.addSpreadsheet('sheet-1', [
    {
      title: 'People',
      rows: [
        ['row_id', 'name', 'email', 'type', 'video'],
        ['301', 'Ana', 'a@example.org', 'FF-Fi/Se-CP/B(S) #4', host.clipUrl(host.clips[0]!)],
        ['302', 'Bruno', 'b@example.org', 'MF-Si/Te-BS/P(C) #3', host.clipUrl(host.clips[1]!)],
      ],
    },
  ]);
  sheets = await SheetsStandIn.start({ model });
  worker = await startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'data'), mediaHost: host.host, sheetsUrl: sheets.url }));
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await host?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readiness', () => {
  it('/readyz reports yt-dlp and ffmpeg versions, storage, disk and queue, and nothing secret', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${worker.baseUrl}/readyz`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.status).toBe('ready');
      expect(body.checks).toMatchObject({
        'yt-dlp': { ok: true, detail: expect.stringMatching(/^\d{4}\.\d\d\.\d\d/) },
        ffmpeg: { ok: true, detail: expect.stringMatching(/\d/) },
        storage: { ok: true },
        disk: { ok: true, detail: expect.stringMatching(/GiB free/) },
        queue: { ok: true },
      });
      const text = JSON.stringify(body);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('test-token');
      expect(text).not.toContain(dir);
    }
  });
});

describe('status write-back', () => {
  it("refuses a row whose type changed (recorded as the job's writeBack; the job stays completed) and finds a moved row by row_id", async () => {
    const api = signedClient(worker.baseUrl, SECRET);
    const sh = model.sheet('sheet-1', 'People')!;
    // two rows inserted above after dispatch: row 302 is no longer at its rowNumber hint
    model.insertRows(sh, 1, 2);
    model.setRange(sh, 1, 0, [
      ['401', 'New', 'n@example.org', 'MM-Ne/Ti-CS/P(B) #1', ''],
      ['402', 'New 2', 'n2@example.org', 'MM-Ne/Ti-CS/P(B) #1', ''],
    ]);
    const res = await api.request(
      'POST',
      '/v1/dispatch',
      dispatchBody([
        { rowId: '301', rowNumber: 2, type: 'FF-Fi/Se-CP/B(S) #1', youtube: [host.clipUrl(host.clips[0]!)] }, // type differs from the sheet
        { rowId: '302', rowNumber: 3, type: 'MF-Si/Te-BS/P(C) #3', youtube: [host.clipUrl(host.clips[1]!)] },
      ]),
    );
    expect(res.status).toBe(202);
    const [refusedId, movedId] = res.body.jobs.map((j: { jobId: string }) => j.jobId);

    // Wait for what is asserted: the refusal on the job, and the moved row's cell in the sheet
    // (written a reporter window after the job completes).
    const statusOf302 = () => {
      const rows = model.rowsOf(sh);
      return rows.find((r) => r[0] === '302')?.[rows[0]!.indexOf('youtube_status')];
    };
    let refused:
      { status: string; error: unknown; writeBack?: { status: string; error: { category: string; message: string } } } | undefined;
    for (let i = 0; i < 150; i++) {
      refused = (await api.request('GET', `/v1/jobs/${refusedId}`)).body;
      // The started write is refused too, before the job completes: wait for the completed one.
      if (refused?.status === 'completed' && refused.writeBack?.error.category === 'data_corruption' && statusOf302() === 'completed')
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await api.request('GET', `/v1/jobs/${movedId}`)).body.status).toBe('completed');
    expect(refused).toMatchObject({
      status: 'completed',
      error: null,
      writeBack: { status: 'refused', error: { category: 'data_corruption', message: expect.stringMatching(/type/i) } },
    });

    const rows = model.rowsOf(sh);
    const header = rows[0]!;
    const row = (id: string) => rows.find((r) => r[0] === id)!;
    // the refused row: nothing written, type untouched
    expect(header).toContain('youtube_status');
    expect(
      row('301')
        .slice(5)
        .every((c) => c === ''),
    ).toBe(true);
    expect(row('301')[3]).toBe('FF-Fi/Se-CP/B(S) #4');
    // the moved row was written where it is now, and the inserted rows were left alone
    expect(row('302')[header.indexOf('youtube_status')]).toBe('completed');
    expect(
      row('401')
        .slice(5)
        .every((c) => c === ''),
    ).toBe(true);
  }, 60_000);
});
