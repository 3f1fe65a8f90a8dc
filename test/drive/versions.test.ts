/**
 * Versions of Docs and Drive files (issue 10 item 8; docs/catalogue.md "Versions of Docs and Drive
 * files"): the real Drive source through googleapis against the Drive stand-in, whose `revise`
 * edits a file as the Drive v3 files resource describes (modifiedTime, version, headRevisionId,
 * md5Checksum). A changed Doc or file is stored as v2 beside v1; an unchanged one writes nothing;
 * the catalogue (SQLite) and GET /v1/assets list every version, the current one marked.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { rebuildCatalogue } from '../../worker/src/catalogue/rebuild.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { verifyArchive } from '../../worker/src/catalogue/verify.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { lookup } from '../../worker/src/storage/lookup.js';
import { attachMetadataSink, type MediaMetadata } from '../../worker/src/storage/metadata.js';
import type { PutOptions } from '../../worker/src/storage/types.js';
import { DOC_MIME, driveLinks, testContext, type DriveStandIn } from '../support/driveStandIn.js';
import { driveSourceFor, useDriveFixture } from './fixture.js';
import { testApp } from '../support/app.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PDF = 'application/pdf';

/** A LocalStore that records every put (the real store underneath). */
class CountingStore extends LocalStore {
  readonly puts: string[] = [];
  override async put(key: string, body: Parameters<LocalStore['put']>[1], opts: PutOptions) {
    this.puts.push(key);
    return super.put(key, body, opts);
  }
}

let standIn: DriveStandIn;
let dir: string;

useDriveFixture('drive-versions', (f) => ({ standIn, dir } = f));

const metaOf = async (store: LocalStore, mediaId: string) =>
  JSON.parse((await store.getText(`151/drive/${mediaId}/metadata.json`))!) as MediaMetadata;

describe('drive source: versions', () => {
  it('a Doc whose revision changed is stored as v2 and v1 is kept; an unchanged Doc writes nothing', async () => {
    const store = new CountingStore(join(dir, 'archive'));
    const doc = standIn.addNative({ name: 'Notes', mimeType: DOC_MIME, exports: { [DOCX]: 'docx one', [PDF]: 'pdf one' } });
    const link = driveLinks.document(doc.id);
    const first = await driveSourceFor(standIn).archive(link, testContext(store));
    const v1 = [`151/drive/${doc.id}/Notes.docx`, `151/drive/${doc.id}/Notes.pdf`];
    expect(first.files.map((f) => f.key)).toEqual([...v1, `151/drive/${doc.id}/metadata.json`]);

    // unchanged: no export request, no put, the same files reported
    standIn.clearLog();
    store.puts.length = 0;
    const same = await driveSourceFor(standIn).archive(link, testContext(store));
    expect(standIn.requestsFor('files.export')).toHaveLength(0);
    expect(store.puts).toEqual([]);
    expect(same.files).toEqual(first.files);

    // Drive's export of an unchanged Doc may differ byte for byte: revisions are compared, not hashes
    doc.exports = { [DOCX]: 'docx one, re-rendered', [PDF]: 'pdf one, re-rendered' };
    await driveSourceFor(standIn).archive(link, testContext(store));
    expect(store.puts).toEqual([]);

    await standIn.revise(doc, { exports: { [DOCX]: 'docx two', [PDF]: 'pdf two' } });
    standIn.clearLog();
    const second = await driveSourceFor(standIn).archive(link, testContext(store));
    const v2 = [`151/drive/${doc.id}/v2/Notes.docx`, `151/drive/${doc.id}/v2/Notes.pdf`];
    expect(standIn.requestsFor('files.export')).toHaveLength(2);
    expect(second.files.map((f) => f.key)).toEqual([...v2, `151/drive/${doc.id}/metadata.json`]);
    expect(await store.getText(v2[0]!)).toBe('docx two');
    expect(await store.getText(v1[0]!)).toBe('docx one');
    expect(await store.getText(v1[1]!)).toBe('pdf one');

    const meta = await metaOf(store, doc.id);
    expect(meta.files.map((f) => f.key)).toEqual(v2);
    expect(meta.extra!['version']).toBe(2);
    const versions = meta.extra!['versions'] as { version: number; files: { key: string }[]; entries: { modifiedTime: string }[] }[];
    expect(versions.map((v) => [v.version, v.files.map((f) => f.key)])).toEqual([[1, v1]]);
    expect(versions[0]!.entries[0]!.modifiedTime).toBe('2026-01-02T03:04:05.000Z');
    // file → row still works for a kept old version
    const found = await lookup(store, v1[1]!, '');
    expect(found).toMatchObject({ rowId: '151', mediaId: doc.id, file: { key: v1[1], size: 7 } });
    // verify reads the kept v1 files as listed (and intact), not as orphans
    const check = await verifyArchive(store, { rowIds: ['151'] });
    expect(check.findings.filter((f) => f.key.includes(doc.id))).toEqual([]);
  });

  it('a binary file with a new md5 and headRevisionId gets v2; an unchanged one is not downloaded', async () => {
    const store = new CountingStore(join(dir, 'archive'));
    const file = await standIn.addFile({ name: 'scan.bin', content: 'first bytes' });
    const link = driveLinks.file(file.id);
    await driveSourceFor(standIn).archive(link, testContext(store));
    expect((await metaOf(store, file.id)).extra!['entries']).toMatchObject([{ headRevisionId: `rev-${file.id}-1` }]);

    standIn.clearLog();
    store.puts.length = 0;
    await driveSourceFor(standIn).archive(link, testContext(store));
    expect(standIn.requestsFor('media')).toHaveLength(0);
    expect(store.puts).toEqual([]);

    await standIn.revise(file, { content: 'second, longer bytes' });
    const r = await driveSourceFor(standIn).archive(link, testContext(store));
    expect(r.files.map((f) => f.key)).toEqual([`151/drive/${file.id}/v2/scan.bin`, `151/drive/${file.id}/metadata.json`]);
    expect(await store.getText(`151/drive/${file.id}/v2/scan.bin`)).toBe('second, longer bytes');
    expect(await store.getText(`151/drive/${file.id}/scan.bin`)).toBe('first bytes');
    const meta = await metaOf(store, file.id);
    expect(meta.extra).toMatchObject({ version: 2, headRevisionId: `rev-${file.id}-2` });
    expect(meta.files[0]!.md5).toBe(file.md5);

    await standIn.revise(file, { content: 'third' });
    await driveSourceFor(standIn).archive(link, testContext(store));
    const third = await metaOf(store, file.id);
    expect(third.files.map((f) => f.key)).toEqual([`151/drive/${file.id}/v3/scan.bin`]);
    expect((third.extra!['versions'] as { version: number }[]).map((v) => v.version)).toEqual([1, 2]);
  });

  it('a folder: only the changed file goes under v2/, the others keep their keys; a `v2` subfolder cannot clash', async () => {
    const store = new CountingStore(join(dir, 'archive'));
    const root = standIn.addFolder({ name: 'Portfolio' });
    const sub = standIn.addFolder({ name: 'v2', parent: root.id });
    const a = await standIn.addFile({ name: 'a.txt', parent: root.id, content: 'a one' });
    await standIn.addFile({ name: 'b.txt', parent: sub.id, content: 'b one' });
    const link = driveLinks.folder(root.id);
    const first = await driveSourceFor(standIn).archive(link, testContext(store));
    const base = `151/drive/${root.id}/`;
    expect(first.files.map((f) => f.key.slice(base.length)).sort()).toEqual(['a.txt', 'metadata.json', 'v2_/b.txt']);

    await standIn.revise(a, { content: 'a two' });
    store.puts.length = 0;
    const second = await driveSourceFor(standIn).archive(link, testContext(store));
    expect(second.files.map((f) => f.key.slice(base.length)).sort()).toEqual(['metadata.json', 'v2/a.txt', 'v2_/b.txt']);
    expect(store.puts.sort()).toEqual([`${base}metadata.json`, `${base}v2/a.txt`]);
    expect(await store.getText(`${base}a.txt`)).toBe('a one');
    const meta = await metaOf(store, root.id);
    expect((meta.extra!['versions'] as { files: { key: string }[] }[])[0]!.files.map((f) => f.key)).toEqual([`${base}a.txt`]);
  });

  it('the catalogue and GET /v1/assets?mediaId= list every version; a rebuild gives the same', async () => {
    const store = new LocalStore(join(dir, 'archive'));
    const cat = await Catalogue.open({ engine: 'sqlite', path: join(dir, 'catalogue.db') });
    const queue = new SqliteJobBackend(':memory:');
    try {
      attachMetadataSink(store, catalogueSink(cat));
      const doc = standIn.addNative({ name: 'Plan', mimeType: DOC_MIME, exports: { [DOCX]: 'a1', [PDF]: 'b1' } });
      const link = driveLinks.document(doc.id);
      await driveSourceFor(standIn).archive(link, testContext(store));
      await standIn.revise(doc, { exports: { [DOCX]: 'a2', [PDF]: 'b2' } });
      await driveSourceFor(standIn).archive(link, testContext(store));

      const secret = 'versions-secret-0123456789abcdef';
      const app = testApp({
        secret,
        queue,
        catalogue: { catalogue: cat, store },
      });
      const path = `/v1/assets?mediaId=${doc.id}`;
      const res = await app.request(path, { headers: { [SIGNATURE_HEADER]: signRequest(secret, 'GET', path, '') } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        assets: { objectKey: string; version: number; current: boolean; revision: string; status: string }[];
      };
      const rows = body.assets.map((a) => [
        a.objectKey.slice(a.objectKey.indexOf(doc.id) + doc.id.length + 1),
        a.version,
        a.current,
        a.revision,
        a.status,
      ]);
      expect(rows).toEqual([
        ['Plan.docx', 1, false, '2026-01-02T03:04:05.000Z', 'stored'],
        ['Plan.pdf', 1, false, '2026-01-02T03:04:05.000Z', 'stored'],
        ['metadata.json', 2, true, doc.modifiedTime, 'stored'],
        ['v2/Plan.docx', 2, true, doc.modifiedTime, 'stored'],
        ['v2/Plan.pdf', 2, true, doc.modifiedTime, 'stored'],
      ]);

      const live = await cat.snapshot();
      await rebuildCatalogue(cat, store);
      expect(await cat.snapshot()).toEqual(live);
    } finally {
      attachMetadataSink(store, null);
      queue.close();
      await cat.close();
    }
  });
});
