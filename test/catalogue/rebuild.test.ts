/**
 * `catalogue rebuild` against what the current pipeline writes: the real Runner archives YouTube-style
 * media from the local media host (real yt-dlp and ffmpeg) and Drive files, a Doc and a folder from
 * the Drive stand-in, into the local store and into s3rver, writing the catalogue live; a rebuild
 * into an empty catalogue from the metadata.json files alone gives the same catalogue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchOptionsSchema } from '../../shared/schemas.js';
import { rebuildCatalogue } from '../../worker/src/catalogue/rebuild.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { lookup } from '../../worker/src/storage/lookup.js';
import { attachMetadataSink } from '../../worker/src/storage/metadata.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';
import { driveSourceFor } from '../drive/fixture.js';
import { DOC_MIME, driveLinks, startDriveStandIn, type DriveStandIn } from '../support/driveStandIn.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { TYPE } from './fixtures.js';
import { testEvents } from '../support/jobs.js';

let dir: string;
let host: MediaHost;
let drive: DriveStandIn;
let s3: S3rverHandle;
const links = { pdf: '', doc: '', folder: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-rebuild-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
  drive = await startDriveStandIn();
  const pdf = await drive.addFile({ name: 'cv.pdf', content: { seed: 7, size: 40_000 }, mimeType: 'application/pdf' });
  const doc = drive.addNative({
    name: 'Notes',
    mimeType: DOC_MIME,
    exports: {
      'application/pdf': 'pdf of the notes',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx of the notes',
    },
  });
  const folder = drive.addFolder({ name: 'Portfolio' });
  await drive.addFile({ name: 'a.mp4', parent: folder.id, content: { seed: 8, size: 30_000 }, mimeType: 'video/mp4' });
  await drive.addFile({ name: 'b.txt', parent: folder.id, content: 'plain text', mimeType: 'text/plain' });
  links.pdf = driveLinks.file(pdf.id);
  links.doc = driveLinks.document(doc.id);
  links.folder = driveLinks.folder(folder.id);
  s3 = await startS3rver();
}, 120_000);

afterAll(async () => {
  await host?.close();
  await drive?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function job(spreadsheetId: string, rowId: string, source: 'youtube' | 'drive', jobLinks: string[]): NewJob {
  return {
    dispatchId: '00000000-0000-4000-8000-00000000000a',
    spreadsheetId,
    sheetId: 0,
    sheetName: 'People',
    rowId,
    rowNumber: 2,
    name: `Person ${rowId}`,
    email: `${rowId.replace(/\W/g, '')}@example.org`,
    type: TYPE,
    source,
    links: jobLinks,
    attempt: 1,
    options: DispatchOptionsSchema.parse({}),
  };
}

/** Archives a small sheet's worth of rows through the real runner into `store`, with the catalogue attached. */
async function archive(store: ObjectStore, cat: Catalogue, name: string): Promise<void> {
  attachMetadataSink(store, catalogueSink(cat));
  const queue = new SqliteJobBackend(':memory:');
  const runner = new Runner({
    events: testEvents(new SqliteOutbox(queue.db)),
    queue,
    sources: { youtube: createYtDlpSource({ allowedHosts: [host.host] }), drive: driveSourceFor(drive) },
    store,
    prefix: '',
    workRoot: join(dir, `work-${name}`),
    concurrency: 2,
    leaseMs: 30_000,
    jobTimeoutMs: 90_000,
    retryScale: 0.01,
    log: silentLogger,
    pollMs: 50,
    launchGapMs: 0,
  });
  await queue.enqueue([
    job('ss-1', '151', 'youtube', [host.pageUrl(host.clips[0]!)]),
    job('ss-1', '151', 'drive', [links.pdf, links.doc]),
    job('ss-1', 'col/x', 'youtube', [host.clipUrl(host.clips[1]!)]),
    job('ss-1', 'col_x', 'drive', [links.folder]),
    job('ss-2', '151', 'drive', [links.pdf]),
  ]);
  runner.start();
  await runner.idle();
  await runner.stop();
  const failed = (await queue.list({})).jobs.filter((j) => j.status !== 'completed');
  expect(
    failed.map((j) => [j.rowId, j.source, j.error]),
    'every job completed',
  ).toEqual([]);
  await queue.close();
  attachMetadataSink(store, null);
}

describe.each([
  ['local store', () => new LocalStore(join(dir, 'archive'))],
  ['s3rver', () => s3.makeStore({ prefix: 'arch' })],
])('rebuild on %s', (_name, makeStore) => {
  it('rebuilds, from metadata.json alone, the catalogue the pipeline wrote live; again is a no-op', async () => {
    const store = makeStore();
    const live = await Catalogue.open({ engine: 'sqlite', path: join(dir, `${_name}-live.db`) });
    const rebuilt = await Catalogue.open({ engine: 'sqlite', path: join(dir, `${_name}-rebuilt.db`) });
    try {
      await archive(store, live, _name.replace(/\W/g, ''));
      const want = await live.snapshot();
      // what was archived is all there: two people called 151 (two spreadsheets), col/x and col_x apart
      expect(want.people.map((p) => `${p.spreadsheetId}:${p.rowId}`).sort()).toEqual(['ss-1:151', 'ss-1:col/x', 'ss-1:col_x', 'ss-2:151']);
      const kinds = new Set(want.assets.map((a) => `${a.source}:${a.kind}`));
      for (const k of [
        'youtube:video',
        'youtube:subtitles',
        'youtube:info',
        'youtube:metadata',
        'drive:document',
        'drive:export',
        'drive:video',
        'drive:metadata',
      ])
        expect(kinds, k).toContain(k);
      expect(want.assets.filter((a) => a.source === 'drive' && a.md5).length).toBeGreaterThan(0);
      expect(new Set(want.assets.filter((a) => a.rowId.startsWith('col')).map((a) => a.objectKey.split('/')[0]))).toEqual(
        new Set(['col%2Fx', 'col_x']),
      );

      const report = await rebuildCatalogue(rebuilt, store);
      expect(report.skipped).toEqual([]);
      expect(report.files).toBe(new Set(want.assets.map((a) => a.metadataKey)).size);
      expect(await rebuilt.snapshot()).toEqual(want);

      const again = await rebuildCatalogue(rebuilt, store);
      expect(again.pruned).toBe(0);
      expect(await rebuilt.snapshot()).toEqual(want);
    } finally {
      await live.close();
      await rebuilt.close();
    }
  }, 240_000);
});

describe('archives written by the old sanitising rule', () => {
  it('are still found by lookup and catalogued by rebuild', async () => {
    const store = new LocalStore(join(dir, 'legacy'));
    // the old rule folded `..` into `_`: a metadata.json and a file under that key
    const file = await store.put('_/youtube/old1/old1.mp4', 'old bytes', { rowId: '..' });
    const meta = {
      schema: 1,
      row: { rowId: '..', name: 'Old Row', email: '', type: TYPE, spreadsheetId: 'ss-old', sheetId: 0, sheetName: 'People' },
      source: 'youtube',
      mediaId: 'old1',
      url: 'https://www.youtube.com/watch?v=old1',
      title: 'Old clip',
      files: [{ key: file.key, size: file.size, sha256: file.sha256 }],
      archivedAt: '2025-01-01T00:00:00Z',
      tools: {},
    };
    await store.put('_/youtube/old1/metadata.json', JSON.stringify(meta), { rowId: '..' });
    expect(await lookup(store, '_/youtube/old1/old1.mp4', '')).toMatchObject({
      rowId: '..',
      mediaId: 'old1',
      file: { sha256: file.sha256 },
    });
    const cat = await Catalogue.open({ engine: 'sqlite', path: ':memory:' });
    try {
      expect((await rebuildCatalogue(cat, store)).files).toBe(1);
      const { items } = await cat.listAssets({ rowId: '..' });
      expect(items.map((a) => [a.objectKey, a.kind])).toEqual([
        ['_/youtube/old1/metadata.json', 'metadata'],
        ['_/youtube/old1/old1.mp4', 'video'],
      ]);
    } finally {
      await cat.close();
    }
  });
});
