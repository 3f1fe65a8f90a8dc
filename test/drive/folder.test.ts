/**
 * Drive source, folders: recursive listing with paging (250 files over 3 pages), folder paths
 * under the folder's media key, trashed items, shortcuts and cycles, partial failures, a retry
 * that fetches only what is missing, and the max-files / max-bytes guards.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createDriveSource } from '../../worker/src/sources/drive/index.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import type { JobProgress } from '../../shared/schemas.js';
import { DOC_MIME, driveLinks, sha256Of, testContext, type DriveStandIn } from '../support/driveStandIn.js';
import { caught, driveSourceFor, useDriveFixture } from './fixture.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PDF = 'application/pdf';

let standIn: DriveStandIn;
let store: LocalStore;

useDriveFixture('drive-folder', (f) => ({ standIn, store } = f), { pageSize: 100 });

const source = (extra: Partial<Parameters<typeof createDriveSource>[0]> = {}) => driveSourceFor(standIn, extra);

async function readMeta(id: string): Promise<MediaMetadata> {
  return JSON.parse((await store.getText(`151/drive/${id}/metadata.json`))!) as MediaMetadata;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out.sort();
}

describe('drive source: folders', () => {
  it('archives a folder of 250 files that come in 3 pages', async () => {
    const root = standIn.addFolder({ name: 'Big folder' });
    for (let i = 0; i < 250; i++)
      await standIn.addFile({ name: `file-${String(i).padStart(3, '0')}.txt`, parent: root.id, content: `content of file ${i}\n` });
    const progress: JobProgress[] = [];
    const r = await source({ concurrency: 8 }).archive(driveLinks.folder(root.id), testContext(store, { progress }));
    expect(r.error).toBeUndefined();
    expect(r.mediaIds).toEqual([root.id]);
    expect(r.files).toHaveLength(251);
    const lists = standIn.requestsFor('files.list');
    expect(lists).toHaveLength(3);
    expect(lists[0]!.query['q']).toBe(`'${root.id}' in parents and trashed = false`);
    expect(lists[0]!.query['includeItemsFromAllDrives']).toBe('true');
    expect(lists[0]!.query['supportsAllDrives']).toBe('true');
    expect(lists[0]!.query['pageToken']).toBeUndefined();
    expect(lists[1]!.query['pageToken']).toBeTruthy();
    expect(standIn.requestsFor('media')).toHaveLength(250);
    // the listing gave every size and md5: no per-file files.get
    expect(standIn.requestsFor('files.get')).toHaveLength(1);
    expect(await store.getText(`151/drive/${root.id}/file-249.txt`)).toBe('content of file 249\n');
    const meta = await readMeta(root.id);
    expect(meta.title).toBe('Big folder');
    expect(meta.files).toHaveLength(250);
    expect(meta.extra).toMatchObject({ kind: 'folder', fileCount: 250, complete: true });
    expect(meta.files.every((f) => f.md5 && f.sha256 && f.path)).toBe(true);
    expect(progress.at(-1)!.fraction).toBe(1);
  });

  it('keeps the folder path under the folder media key, leaves out trashed items, exports native files', async () => {
    const root = standIn.addFolder({ name: 'Project' });
    const sub = standIn.addFolder({ name: 'Interviews', parent: root.id });
    const deep = standIn.addFolder({ name: 'Raw/2026', parent: sub.id, resourceKey: '0-DeepKey' });
    await standIn.addFile({ name: 'readme.md', parent: root.id, content: '# hi' });
    await standIn.addFile({ name: 'ana.mp4', parent: sub.id, content: { seed: 1, size: 70_000 } });
    const raw = await standIn.addFile({
      name: 'ana-raw.wav',
      parent: deep.id,
      content: { seed: 2, size: 90_000 },
      resourceKey: '0-RawKey',
    });
    await standIn.addFile({ name: 'deleted.txt', parent: sub.id, content: 'gone', trashed: true });
    standIn.addFolder({ name: 'Trash folder', parent: root.id, trashed: true });
    standIn.addNative({ name: 'Notes', parent: sub.id, mimeType: DOC_MIME, exports: { [DOCX]: 'docx', [PDF]: 'pdf' } });
    // two files with the same name in one folder
    const dupA = await standIn.addFile({ name: 'same.txt', parent: root.id, content: 'A' });
    const dupB = await standIn.addFile({ name: 'same.txt', parent: root.id, content: 'B' });
    // a file called metadata.json at the top does not clobber ours
    const mj = await standIn.addFile({ name: 'metadata.json', parent: root.id, content: '{"mine":true}' });

    const r = await source().archive(driveLinks.folder(root.id), testContext(store));
    expect(r.error).toBeUndefined();
    const base = `151/drive/${root.id}/`;
    expect(await keysUnder(base)).toEqual(
      [
        'Interviews/Notes.docx',
        'Interviews/Notes.pdf',
        'Interviews/Raw_2026/ana-raw.wav',
        'Interviews/ana.mp4',
        'metadata.json',
        `metadata (${mj.id}).json`,
        'readme.md',
        'same.txt',
        `same (${[dupA.id, dupB.id].sort()[1]}).txt`,
      ]
        .map((k) => base + k)
        .sort(),
    );
    // the deep file needed its own key and its folder's key
    const rawReq = standIn.requestsFor('media', raw.id)[0]!;
    expect(rawReq.resourceKeys).toContain(`${raw.id}/0-RawKey`);
    expect(rawReq.resourceKeys).toContain(`${deep.id}/0-DeepKey`);
    const meta = await readMeta(root.id);
    expect(meta.extra!['folders']).toEqual(['Interviews', 'Interviews/Raw/2026']);
    const paths = (meta.extra!['entries'] as { path: string }[]).map((e) => e.path);
    expect(paths).toContain('Interviews/Raw/2026/ana-raw.wav');
    expect(meta.files.find((f) => f.key.endsWith('ana-raw.wav'))!.path).toBe('Interviews/Raw_2026/ana-raw.wav');
    expect(await store.getText(`${base}metadata.json`)).toContain('"schema": 1');
  });

  it('resolves shortcuts to files and folders and guards against cycles', async () => {
    const root = standIn.addFolder({ name: 'Root' });
    const a = standIn.addFolder({ name: 'A', parent: root.id });
    const elsewhere = standIn.addFolder({ name: 'Elsewhere' });
    const target = await standIn.addFile({ name: 'real.txt', parent: elsewhere.id, content: 'real' });
    await standIn.addFile({ name: 'in-elsewhere.txt', parent: elsewhere.id, content: 'x' });
    standIn.addShortcut({ name: 'link to real.txt', parent: root.id, targetId: target.id });
    standIn.addShortcut({ name: 'Elsewhere (shortcut)', parent: a.id, targetId: elsewhere.id });
    // cycles: A contains a shortcut to Root; Elsewhere contains a shortcut back to A
    standIn.addShortcut({ name: 'back to root', parent: a.id, targetId: root.id });
    standIn.addShortcut({ name: 'back to A', parent: elsewhere.id, targetId: a.id });
    const ghost = standIn.addShortcut({ name: 'broken', parent: root.id, targetId: '1ThisTargetDoesNotExistAnywhere0000' });

    const r = await source().archive(driveLinks.folder(root.id), testContext(store));
    expect(r.error).toBeUndefined();
    const base = `151/drive/${root.id}/`;
    expect(await keysUnder(base)).toEqual(
      ['A/Elsewhere (shortcut)/in-elsewhere.txt', 'link to real.txt', 'metadata.json'].map((k) => base + k).sort(),
    );
    // real.txt is reached twice (directly through the shortcut, then inside Elsewhere) and fetched once
    const meta = await readMeta(root.id);
    const skipped = meta.extra!['skipped'] as { path: string; reason: string; id: string }[];
    expect(skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'A/back to root', reason: 'cycle' }),
        expect.objectContaining({ path: 'A/Elsewhere (shortcut)/back to A', reason: 'cycle' }),
        expect.objectContaining({ path: 'A/Elsewhere (shortcut)/real.txt', reason: 'duplicate' }),
        expect.objectContaining({ id: ghost.id, reason: 'shortcut target unavailable' }),
      ]),
    );
    expect(standIn.requestsFor('media', target.id)).toHaveLength(1);
  });

  it('a partial failure keeps what was archived, reports the error, and a retry fetches only what is missing', async () => {
    const root = standIn.addFolder({ name: 'Retry me' });
    const files = [];
    for (let i = 0; i < 6; i++)
      files.push(await standIn.addFile({ name: `f${i}.bin`, parent: root.id, content: { seed: 100 + i, size: 20_000 } }));
    // 503 twice: the first answer and the one resume allowed here
    standIn.inject({ api: 'media', id: files[2]!.id, status: 503, reason: 'backendError', times: 2 });
    standIn.inject({
      api: 'media',
      id: files[4]!.id,
      status: 403,
      reason: 'downloadQuotaExceeded',
      message: 'The download quota for this file has been exceeded.',
    });

    const first = await source({ maxResumes: 1 }).archive(driveLinks.folder(root.id), testContext(store));
    expect(first.error).toBeInstanceOf(ArchiveError);
    expect(first.error!.category).toBe('network'); // the first retryable failure
    expect(first.error!.message).toMatch(/^2 of 6 Drive files failed/);
    expect(first.files).toHaveLength(5); // 4 files + metadata.json
    const meta1 = await readMeta(root.id);
    expect(meta1.extra).toMatchObject({ complete: false });
    expect((meta1.extra!['failed'] as { category: string }[]).map((f) => f.category).sort()).toEqual(['network', 'quota']);

    standIn.clearLog();
    const second = await source().archive(driveLinks.folder(root.id), testContext(store));
    expect(second.error).toBeUndefined();
    expect(
      standIn
        .requestsFor('media')
        .map((q) => q.id)
        .sort(),
    ).toEqual([files[2]!.id, files[4]!.id].sort());
    expect(second.files).toHaveLength(7);
    expect((await readMeta(root.id)).extra).toMatchObject({ complete: true });

    // a third run fetches nothing; a changed or lost file is fetched again
    standIn.clearLog();
    await source().archive(driveLinks.folder(root.id), testContext(store));
    expect(standIn.requestsFor('media')).toHaveLength(0);
    await rm(store.pathOf(`151/drive/${root.id}/f0.bin`));
    files[1]!.content = { seed: 999, size: 20_000 };
    files[1]!.md5 = undefined;
    const { md5Of } = await import('../support/driveStandIn.js');
    files[1]!.md5 = await md5Of(files[1]!.content);
    standIn.clearLog();
    const fourth = await source().archive(driveLinks.folder(root.id), testContext(store));
    expect(fourth.error).toBeUndefined();
    expect(
      standIn
        .requestsFor('media')
        .map((q) => q.id)
        .sort(),
    ).toEqual([files[0]!.id, files[1]!.id].sort());
    expect(fourth.files.find((f) => f.key.endsWith('f1.bin'))!.sha256).toBe(await sha256Of({ seed: 999, size: 20_000 }));
  });

  it('trips the max-files guard with a clear validation error before downloading anything', async () => {
    const root = standIn.addFolder({ name: 'Too many' });
    for (let i = 0; i < 12; i++) await standIn.addFile({ name: `x${i}`, parent: root.id, content: 'x' });
    const e = await caught(
      source({ maxFiles: 10, limitNames: { maxFiles: 'DRIVE_MAX_FILES' } }).archive(driveLinks.folder(root.id), testContext(store)),
    );
    expect(e.category).toBe('validation');
    expect(e.message).toMatch(/holds more than 10 files/);
    expect(e.message).toMatch(/raise DRIVE_MAX_FILES/);
    expect(standIn.requestsFor('media')).toHaveLength(0);
  });

  it('trips the max-bytes guard with a clear validation error', async () => {
    const root = standIn.addFolder({ name: 'Too big' });
    await standIn.addFile({ name: 'a', parent: root.id, content: { seed: 1, size: 600_000 } });
    await standIn.addFile({ name: 'b', parent: root.id, content: { seed: 2, size: 600_000 } });
    const e = await caught(source({ maxBytes: 1_000_000 }).archive(driveLinks.folder(root.id), testContext(store)));
    expect(e.category).toBe('validation');
    expect(e.message).toMatch(/max-bytes limit of 1000000 bytes/);
    expect(e.message).toMatch(/raise the Drive maxBytes option/);
    expect(standIn.requestsFor('media')).toHaveLength(0);
  });

  it('an empty folder archives its metadata only', async () => {
    const root = standIn.addFolder({ name: 'Empty' });
    const r = await source().archive(driveLinks.folder(root.id), testContext(store));
    expect(r.files.map((f) => f.key)).toEqual([`151/drive/${root.id}/metadata.json`]);
  });

  it('needs credentials for folders', async () => {
    const root = standIn.addFolder({ name: 'No auth' });
    const e = await caught(
      createDriveSource({ auth: null, rootUrl: standIn.rootUrl, publicDownloadBaseUrl: standIn.publicBaseUrl }).archive(
        driveLinks.folder(root.id),
        testContext(store),
      ),
    );
    expect(e.category).toBe('permission');
    expect(e.message).toMatch(/need Drive credentials/);
  });
});
