/**
 * `archive_options` through the whole system, offline: the BUILT add-on reads the cells, sends
 * each row's parsed options with the dispatch, and a real `sheet-archiver serve` archives from the
 * local media host with them (real yt-dlp/ffmpeg), writing status back to the Sheets stand-in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
import { loadAddon, type LoadedAddon } from '../support/appsScript/loadAddon.js';
import { startTlsProxy, type TlsProxy } from '../support/appsScript/tlsProxy.js';
import { startServe, workerEnv, type ServeProcess } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { SheetModel } from '../support/sheetModel.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';

const SECRET = 'options-secret-0123456789abcdef';
let host: MediaHost;
let sheets: SheetsStandIn;
let worker: ServeProcess;
let front: TlsProxy;
let addon: LoadedAddon;
let dir: string;
let model: SheetModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-system-options-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
  model = new SheetModel();
  model.addSpreadsheet('ss-options', [
    {
      title: 'People',
      rows: [
        ['row_id', 'name', 'email', 'type', 'link', 'archive_options'],
        ['301', 'Ana Souza', 'ana@example.org', 'FF-Fi/Se-CP/B(S) #4', host.pageUrl(host.clips[0]!), 'mode=audio'],
        ['302', 'Bruno Oliveira', '', 'MF-Si/Te-BS/P(C) #3', host.pageUrl(host.clips[1]!), 'mode=transcript;subs=en'],
        ['303', 'Chen Wang', '', 'MM-Ne/Ti-CS/P(B) #1', host.clipUrl(host.clips[0]!), 'comments=maybe'],
      ],
    },
  ]);
  sheets = await SheetsStandIn.start({ model });
  worker = await startServe(workerEnv({ secret: SECRET, dataDir: join(dir, 'data'), mediaHost: host.host, sheetsUrl: sheets.url }));
  // Apps Script reaches a worker over https only, through the manifest's allow-list.
  front = await startTlsProxy(worker.baseUrl);
  addon = loadAddon({ model, spreadsheetId: 'ss-options', sheetName: 'People', distDir: await buildAddonFor(front.url) });
}, 120_000);

afterAll(async () => {
  await addon?.close();
  await front?.close();
  await worker?.stop();
  await host?.close();
  await sheets?.close();
  rmSync(dir, { recursive: true, force: true });
});

const streams = (file: string) =>
  spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);

describe('add-on → worker with archive_options', () => {
  it('audio only and transcript only rows are archived so; a bad token row is not sent', async () => {
    const started = Date.now();
    expect(addon.call('addTrackingColumns')).toMatchObject({ ok: true });
    expect(addon.call('saveSettings', { workerUrl: front.url, secret: SECRET, allowedHosts: [host.host] })).toMatchObject({ ok: true });
    const dispatched = addon.call('dispatchPendingRows') as { ok: boolean; message: string; details?: string[] };
    expect(dispatched.ok, dispatched.message).toBe(true);
    expect(dispatched.details).toEqual([expect.stringMatching(/^Row 4: archive_options "comments=maybe": comments must be yes or no/)]);

    for (;;) {
      const state = addon.call('getSidebarState') as { status: { active: boolean } };
      if (!state.status.active) break;
      if (Date.now() - started > 60_000) throw new Error('still active');
      await new Promise((r) => setTimeout(r, 500)); // lets the in-process stand-ins answer the worker
    }
    const sh = model.sheet('ss-options', 'People')!;
    const rows = model.rowsOf(sh);
    const col = (name: string) => rows[0]!.indexOf(name);
    const byId = (id: string) => rows.find((r) => r[0] === id)!;
    const files = (id: string) =>
      String(byId(id)[col('youtube_files')] ?? '')
        .split(',')
        .filter(Boolean);
    const archive = join(dir, 'data', 'archive');

    expect(byId('301')[col('youtube_status')]).toBe('completed');
    const audio = files('301').filter((k) => /\.(m4a|mp4|webm|opus|mp3)$/.test(k));
    expect(audio).toHaveLength(1);
    expect(streams(join(archive, audio[0]!))).toEqual(['audio']);

    expect(byId('302')[col('youtube_status')]).toBe('completed');
    expect(files('302').some((k) => k.endsWith('.en.vtt'))).toBe(true);
    expect(files('302').filter((k) => /\.(m4a|mp4|webm|jpg)$/.test(k))).toEqual([]);

    for (const c of ['youtube_status', 'youtube_files', 'download_errors']) expect(byId('303')[col(c)] ?? '', c).toBe('');
    // the input cell is never written
    expect(byId('303')[col('archive_options')]).toBe('comments=maybe');
  }, 90_000);
});
