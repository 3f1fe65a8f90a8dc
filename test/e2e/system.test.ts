/**
 * The whole system, offline — the proof of the product. The BUILT add-on (appsscript/dist/Code.js
 * in a vm) dispatches over https (a TLS front, as in production) to a real `sheet-archiver serve` process; the worker archives from
 * the local media host (real yt-dlp/ffmpeg) and the Drive stand-in, and writes status back through
 * googleapis to the Sheets stand-in, whose cells the add-on reads again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
import { loadAddon, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import { startTlsProxy, type TlsProxy } from '../support/appsScript/tlsProxy.js';
import { driveLinks, startDriveStandIn, type DriveStandIn } from '../support/driveStandIn.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { SheetModel } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';

const SECRET = 'system-secret-0123456789abcdef';
const TYPE = 'FF-Fi/Se-CP/B(S) #4';
let host: MediaHost;
let drive: DriveStandIn;
let sheets: SheetsStandIn;
let worker: ServeProcess;
let front: TlsProxy;
let addon: LoadedAddon;
let dir: string;
let model: SheetModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-system-'));
  host = await startMediaHost({ clipCount: 4, clipSeconds: 1, playlistSize: 3 });
  drive = await startDriveStandIn();
  const cv = await drive.addFile({ name: 'cv.pdf', content: { seed: 3, size: 80_000 }, mimeType: 'application/pdf' });
  model = new SheetModel();
  model.addSpreadsheet('ss-system', [
    {
      title: 'People',
      rows: [
        ['row_id', 'name', 'email', 'type', 'link', 'google_drive', 'notes'],
        ['151', 'Ana Souza', 'ana@example.org', TYPE, host.clipUrl(host.clips[0]!), driveLinks.file(cv.id), 'interview round 2'],
        ['152', 'Bruno Oliveira', 'bruno@example.org', 'MF-Si/Te-BS/P(C) #3', host.pageUrl(host.clips[1]!), '', ''],
        ['153', 'Chen Wang', 'chen@example.org', 'MM-Ne/Ti-CS/P(B) #1', host.playlistUrl(), '', ''],
        ['154', 'Dmitri Ivanov', 'dmitri@example.org', 'FM-Te/Ni-SC/B(P) #2', host.notFoundUrl('mp4'), '', ''],
        ['155', 'Émilie Dubois', '', 'FF-Ni/Fe-SB/C(P) #4', `${host.clipUrl(host.clips[2]!)}\n${host.clipUrl(host.clips[3]!)}`, '', ''],
        ['156', 'No Links', 'x@example.org', TYPE, '', '', 'nothing to archive'],
      ],
    },
  ]);
  sheets = await SheetsStandIn.start({ model });
  worker = await startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'data'), mediaHost: host.host, sheetsUrl: sheets.url, drive }));
  // Apps Script reaches a worker over https only, through the manifest's allow-list (docs/deploy.md).
  front = await startTlsProxy(worker.baseUrl);
  addon = loadAddon({ model, spreadsheetId: 'ss-system', sheetName: 'People', distDir: await buildAddonFor(front.url) });
}, 120_000);

afterAll(async () => {
  await addon?.close();
  await front?.close();
  await worker?.stop();
  await host?.close();
  await drive?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

type State = {
  status: {
    counts: Record<string, Record<string, number>>;
    active: boolean;
    attention: { rowId: string; source: string; error: string }[];
    successRate: number | null;
  };
};

describe('add-on → worker → sheet, offline', () => {
  it('archives the rows the add-on dispatches and shows them completed on the next status read', async () => {
    const started = Date.now();
    expect(addon.call('addTrackingColumns')).toMatchObject({ ok: true });
    expect(addon.call('saveSettings', { workerUrl: front.url, secret: SECRET, allowedHosts: [host.host] })).toMatchObject({
      ok: true,
      message: 'Settings saved. The worker accepted a signed test request: the URL and the shared secret are right.',
    });
    expect(addon.call('checkWorker')).toMatchObject({ ok: true, message: expect.stringMatching(/0\.1\.0/) });

    const dispatched = addon.call('dispatchPendingRows') as { ok: boolean; message: string };
    expect(dispatched.ok, dispatched.message).toBe(true);
    const sh = model.sheet('ss-system', 'People')!;
    const header = model.rowsOf(sh)[0]!;
    const col = (name: string) => header.indexOf(name);
    // the add-on marked the dispatched rows queued before the worker touched them
    expect(['queued', 'downloading', 'completed']).toContain(model.rowsOf(sh)[1]![col('youtube_status')]);

    let state: State;
    for (;;) {
      state = addon.call('getSidebarState') as State;
      if (!state.status.active) break;
      if (Date.now() - started > 50_000) throw new Error(`still active: ${JSON.stringify(state.status.counts)}`);
      await new Promise((r) => setTimeout(r, 500)); // lets the in-process stand-ins answer the worker
    }
    expect(state.status.counts['youtube']).toMatchObject({ completed: 4, failed: 1, queued: 0, downloading: 0 });
    expect(state.status.counts['drive']).toMatchObject({ completed: 1, failed: 0 });
    expect(state.status.attention).toMatchObject([
      { rowId: '154', source: 'youtube', error: expect.stringMatching(/#1 not_found: .*404/) },
    ]);

    const rows = model.rowsOf(sh);
    const byId = (id: string) => rows.find((r) => r[0] === id)!;
    expect(byId('151')[col('drive_status')]).toBe('completed');
    expect(byId('151')[col('drive_files')]).toBe(`151/drive/${byId('151')[col('drive_media_id')]}/cv.pdf`);
    expect(byId('153')[col('youtube_media_id')]).toMatch(/^playlist:/);
    expect(byId('155')[col('youtube_media_id')]!.split(',')).toHaveLength(2);
    for (const r of rows.slice(1)) expect(r[col('type')]).not.toBe(''); // never written
    expect(byId('156').slice(col('youtube_status'))).toEqual(
      Array(8)
        .fill('')
        .slice(0, byId('156').length - col('youtube_status')),
    );
    // nothing the worker wrote became a formula
    expect(sh.formulas.size).toBe(0);

    // A second dispatch finds nothing to do: completed rows stay, not_found is not retried automatically.
    const again = addon.call('dispatchPendingRows') as { ok: boolean; message: string };
    expect(again.message).toMatch(/nothing|no rows|0 rows/i);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
