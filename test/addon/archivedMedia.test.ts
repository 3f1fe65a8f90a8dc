/**
 * getArchivedMedia (the sidebar's per-row panel) in the Apps Script vm against the fake worker:
 * one signed GET of the person and one fetchAll of at most 20 link requests, the worker URL's
 * origin in every link, and plain messages for a row with nothing archived or a refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchivedMediaView } from '../../appsscript/src/api.js';
import { SheetModel } from '../support/sheetModel.js';
import { buildAddonFor } from '../support/appsScript/ensureBuilt.js';
import { startFakeWorker, type FakeWorker } from '../support/appsScript/fakeWorker.js';
import { peopleRows, SECRET, SPREADSHEET_ID } from '../support/appsScript/fixtures.js';
import { loadAddon, type LoadedAddon } from '../support/appsScript/loadAddon.js';

let worker: FakeWorker;
let addon: LoadedAddon;

beforeAll(async () => {
  worker = await startFakeWorker({ secret: SECRET, prefix: '/archiver' });
  const dist = await buildAddonFor(worker.url);
  const model = new SheetModel();
  model.addSpreadsheet(SPREADSHEET_ID, [{ title: 'People', rows: peopleRows({ rows: 2, tracking: true }) }]);
  addon = loadAddon({ model, spreadsheetId: SPREADSHEET_ID, distDir: dist });
  addon.call('saveSettings', { workerUrl: worker.url, secret: SECRET });
});
afterAll(async () => {
  await addon?.close();
  await worker?.close();
});

const asset = (n: number, kind = 'video') => ({
  assetId: `a_${n.toString(16).padStart(4, '0')}`,
  kind,
  fileName: `clip${n}.mp4`,
  size: n,
  source: 'youtube',
  mediaId: 'm',
});

describe('getArchivedMedia', () => {
  it('links at most 20 files in one fetchAll, leaving metadata out, under the worker URL and its prefix', async () => {
    const assets = [asset(0, 'metadata'), asset(1, 'info'), ...Array.from({ length: 25 }, (_, i) => asset(i + 2))];
    await worker.setPeople({
      '151': { person: { rowId: '151' }, sources: { youtube: [{ mediaId: 'm', title: 'T', assets }], drive: [] } },
    });
    await worker.reset();
    addon.counts.reset();
    const v = addon.call('getArchivedMedia', ' 151 ') as ArchivedMediaView;
    expect(v.ok, v.message).toBe(true);
    expect(v.total).toBe(25);
    expect(v.files).toHaveLength(20);
    expect(v.files[0]!.fileName).toBe('clip2.mp4');
    expect(v.message).toMatch(/^25 archived files for row 151\. Links work until \d{2}:\d{2} UTC\. Showing 20 of 25/);
    for (const f of v.files)
      expect(f.url).toMatch(new RegExp(`^${worker.url}/v1/assets/${f.assetId}/content\\?expires=\\d+&sig=[0-9a-f]{64}$`));
    expect(addon.counts.get('UrlFetchApp.fetchAll')).toBe(1);
    expect(addon.counts.get('UrlFetchApp.request')).toBe(21);
    const reqs = await worker.requests();
    expect(reqs.every((r) => r.signatureOk)).toBe(true);
    expect(reqs[0]!.path).toBe(`/archiver/v1/people/151?spreadsheetId=${SPREADSHEET_ID}`);
  });

  it('says so for a row with nothing archived, an empty row_id, and a refused request', async () => {
    const none = addon.call('getArchivedMedia', '999') as ArchivedMediaView;
    expect(none).toMatchObject({ ok: true, files: [], message: 'Nothing is archived for row 999 yet.' });
    const empty = addon.call('getArchivedMedia', '  ') as ArchivedMediaView;
    expect(empty).toMatchObject({ ok: false, message: 'Give the row_id of a row (1 to 200 characters).' });
    await worker.setMode({
      kind: 'status',
      status: 401,
      body: JSON.stringify({ error: 'unauthorized', message: 'signature does not match' }),
    });
    try {
      const refused = addon.call('getArchivedMedia', '151') as ArchivedMediaView;
      expect(refused.ok).toBe(false);
      expect(refused.message).toMatch(
        /^The worker refused the request: HTTP 401 \(signature does not match\)\. Check that the shared secret/,
      );
    } finally {
      await worker.setMode({ kind: 'accept' });
    }
  });
});
