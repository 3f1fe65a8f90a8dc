/**
 * Drive source, single files: metadata first, alt=media streamed into the store, md5 verified,
 * resource keys, shortcuts, acknowledgeAbuse, canDownload, resume after a dropped connection,
 * abort. Against the Drive v3 stand-in through the real googleapis client.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDriveSource } from '../../worker/src/sources/drive/index.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import type { JobProgress } from '../../shared/schemas.js';
import { driveLinks, md5Of, sha256Of, testAuth, testContext, type DriveStandIn } from '../support/driveStandIn.js';
import { caught, useDriveFixture } from './fixture.js';

let standIn: DriveStandIn;
let dir: string;
let store: LocalStore;

useDriveFixture('drive-files', (f) => ({ standIn, dir, store } = f));

function source(extra: Partial<Parameters<typeof createDriveSource>[0]> = {}) {
  return createDriveSource({
    auth: testAuth(),
    rootUrl: standIn.rootUrl,
    publicDownloadBaseUrl: standIn.publicBaseUrl,
    maxResumes: 3,
    ...extra,
  });
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function allFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('drive source: single files', () => {
  it('archives a file: metadata first, alt=media into <row>/drive/<id>/<name>, md5 and sha256 in metadata.json', async () => {
    const content = { seed: 7, size: 1_234_567 };
    const f = await standIn.addFile({ name: 'Interview 1: Ana/raw.mp4', content, mimeType: 'video/mp4' });
    const progress: JobProgress[] = [];
    const r = await source().archive(driveLinks.file(f.id), testContext(store, { progress }));

    expect(r.error).toBeUndefined();
    expect(r.mediaIds).toEqual([f.id]);
    const key = `151/drive/${f.id}/Interview 1: Ana_raw.mp4`;
    expect(r.files.map((x) => x.key)).toEqual([key, `151/drive/${f.id}/metadata.json`]);
    const sha = await sha256Of(content);
    expect(r.files[0]).toMatchObject({ size: content.size, sha256: sha, md5: f.md5 });
    expect(await sha256File(store.pathOf(key))).toBe(sha);

    const meta = JSON.parse((await store.getText(`151/drive/${f.id}/metadata.json`))!) as MediaMetadata;
    expect(meta.row).toMatchObject({
      rowId: '151',
      name: 'Ana Souza',
      email: 'ana@example.org',
      type: 'FF-Fi/Se-CP/B(S) #4',
      sheetName: 'People',
    });
    expect(meta).toMatchObject({ source: 'drive', mediaId: f.id, url: driveLinks.file(f.id), title: 'Interview 1: Ana/raw.mp4' });
    expect(meta.extra).toMatchObject({ kind: 'file', via: 'api', mimeType: 'video/mp4', md5Checksum: f.md5, complete: true });
    expect(meta.files).toEqual([{ key, size: content.size, sha256: sha, md5: f.md5, path: 'Interview 1: Ana_raw.mp4' }]);

    // metadata first, then the media; supportsAllDrives on both, no gaxios retries needed
    const apis = standIn.requests.map((q) => q.api);
    expect(apis).toEqual(['files.get', 'media']);
    expect(standIn.requests.every((q) => q.query['supportsAllDrives'] === 'true' && q.authorized)).toBe(true);
    expect(standIn.requests[0]!.query['fields']).toContain('capabilities(canDownload');
    expect(progress.at(-1)?.fraction).toBe(1);
  });

  it('resumes a download whose connection drops mid-body with a Range request, into the same stored object', async () => {
    const content = { seed: 11, size: 3_000_000 };
    const f = await standIn.addFile({ name: 'dropped.bin', content, dropAfterBytes: 1_000_003 });
    const r = await source().archive(driveLinks.file(f.id), testContext(store));
    expect(r.error).toBeUndefined();
    const media = standIn.requestsFor('media', f.id);
    expect(media).toHaveLength(2);
    expect(media[0]!.range).toBeUndefined();
    expect(media[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(media[1]!.range!.slice(6, -1))).toBeGreaterThan(0);
    expect(media[1]!.status).toBe(206);
    const sha = await sha256Of(content);
    expect(r.files[0]).toMatchObject({ size: content.size, sha256: sha, md5: await md5Of(content) });
    expect(await sha256File(store.pathOf(r.files[0]!.key))).toBe(sha);
    // nothing left behind but the file and its metadata
    expect((await allFiles(dir)).filter((p) => !p.includes('.incoming')).length).toBe(2);
  });

  it('rejects a file whose md5 does not match md5Checksum: retryable error, nothing kept', async () => {
    const f = await standIn.addFile({ name: 'bad.bin', content: 'hello world', reportedMd5: '0123456789abcdef0123456789abcdef' });
    const e = await caught(source().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('network');
    expect(e.message).toMatch(/md5 mismatch/);
    expect(e.message).toContain('0123456789abcdef0123456789abcdef');
    expect(await store.head(`151/drive/${f.id}/bad.bin`)).toBeNull();
    expect(await store.head(`151/drive/${f.id}/metadata.json`)).toBeNull();
    expect((await allFiles(dir)).length).toBe(0);
  });

  it('records no md5 when Drive gives none, and still archives', async () => {
    const f = await standIn.addFile({ name: 'nomd5.txt', content: 'abc', omitMd5: true });
    const r = await source().archive(driveLinks.file(f.id), testContext(store));
    expect(r.files[0]!.md5).toBeUndefined();
    expect(r.files[0]!.size).toBe(3);
  });

  it('sends the link resource key in X-Goog-Drive-Resource-Keys; without it Drive answers 404', async () => {
    const f = await standIn.addFile({ name: 'keyed.txt', content: 'secret-ish', resourceKey: '0-AbCdEfGhIjKlMnOpQrStUv' });
    const r = await source({ publicFallback: false }).archive(driveLinks.file(f.id, '0-AbCdEfGhIjKlMnOpQrStUv'), testContext(store));
    expect(r.files[0]!.size).toBe(10);
    for (const q of standIn.requests) expect(q.resourceKeys).toBe(`${f.id}/0-AbCdEfGhIjKlMnOpQrStUv`);

    standIn.clearLog();
    const e = await caught(source({ publicFallback: false }).archive(driveLinks.file(f.id), testContext(store, { prefix: 'other' })));
    expect(e.category).toBe('not_found');
    expect(standIn.requests[0]!.status).toBe(404);
  });

  it('follows a shortcut link to its target, archived under the link id', async () => {
    const target = await standIn.addFile({
      name: 'target.pdf',
      content: 'pdf bytes',
      mimeType: 'application/pdf',
      resourceKey: '0-TargetKey',
    });
    const sc = standIn.addShortcut({ name: 'shortcut to target', targetId: target.id });
    const r = await source().archive(driveLinks.file(sc.id), testContext(store));
    expect(r.mediaIds).toEqual([sc.id]);
    expect(r.files[0]!.key).toBe(`151/drive/${sc.id}/target.pdf`);
    const meta = JSON.parse((await store.getText(`151/drive/${sc.id}/metadata.json`))!) as MediaMetadata;
    expect(meta.extra).toMatchObject({ shortcut: { id: sc.id, targetId: target.id } });
    // the target's resource key from shortcutDetails was sent
    expect(standIn.requestsFor('media', target.id)[0]!.resourceKeys).toContain(`${target.id}/0-TargetKey`);
  });

  it('needs acknowledgeAbuse for files flagged as abusive', async () => {
    const f = await standIn.addFile({ name: 'flagged.exe', content: 'MZ...', abusive: true });
    const e = await caught(source().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('permission');
    expect(e.message).toMatch(/cannotDownloadAbusiveFile/);
    expect(e.message).toMatch(/acknowledgeAbuse/);
    const r = await source({ acknowledgeAbuse: true }).archive(driveLinks.file(f.id), testContext(store));
    expect(r.files[0]!.size).toBe(5);
    expect(standIn.requestsFor('media', f.id).at(-1)!.query['acknowledgeAbuse']).toBe('true');
  });

  it('fails with permission, without a download request, when capabilities.canDownload is false', async () => {
    const f = await standIn.addFile({ name: 'view-only.pdf', content: 'x', canDownload: false });
    const e = await caught(source().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('permission');
    expect(e.message).toMatch(/disabled downloading/);
    expect(standIn.requestsFor('media', f.id)).toHaveLength(0);
  });

  it('a retry of an archived file downloads nothing again', async () => {
    const f = await standIn.addFile({ name: 'once.bin', content: { seed: 3, size: 100_000 } });
    const first = await source().archive(driveLinks.file(f.id), testContext(store));
    standIn.clearLog();
    const again = await source().archive(driveLinks.file(f.id), testContext(store));
    expect(standIn.requestsFor('media')).toHaveLength(0);
    expect(again.files[0]).toEqual(first.files[0]);
  });

  it('sets the domain-wide-delegation subject on a service-account JWT client', async () => {
    const { google } = await import('googleapis');
    const jwt = new google.auth.JWT({
      email: 'archiver@p.iam.gserviceaccount.com',
      key: 'unused',
      scopes: ['https://www.googleapis.com/auth/drive.readonly'],
    });
    createDriveSource({ auth: jwt, subject: 'owner@example.org' });
    expect(jwt.subject).toBe('owner@example.org');
  });

  it('a connection that stalls mid-body for stallTimeoutMs is cut and resumed with Range', async () => {
    const content = { seed: 9, size: 400_000 };
    const f = await standIn.addFile({ name: 'stall.bin', content, stallOnce: { afterBytes: 131_072, ms: 1_500 } });
    const t0 = Date.now();
    const r = await source({ stallTimeoutMs: 200 }).archive(driveLinks.file(f.id), testContext(store));
    expect(Date.now() - t0).toBeLessThan(1_400);
    expect(r.files[0]).toMatchObject({ size: content.size, sha256: await sha256Of(content) });
    const media = standIn.requestsFor('media', f.id);
    expect(media).toHaveLength(2);
    expect(media[1]!.range).toMatch(/^bytes=\d+-$/);
  });

  it('gives up with a network error when every attempt stalls', async () => {
    const f = await standIn.addFile({ name: 'dead.bin', content: 'x', latencyMs: 400 });
    const e = await caught(source({ stallTimeoutMs: 100, maxResumes: 1 }).archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('network');
    expect(e.message).toMatch(/no data for/);
    expect(e.message).toMatch(/after 1 resumes/);
  });

  it('rejects links that are not Drive links', async () => {
    const e = await caught(source().archive('https://example.org/file/d/abc', testContext(store)));
    expect(e.category).toBe('validation');
  });

  it('honours the job signal: aborting stops the download and keeps nothing', async () => {
    const f = await standIn.addFile({ name: 'slow.bin', content: { seed: 5, size: 50_000_000 }, latencyMs: 200 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('job cancelled')), 100);
    await expect(source().archive(driveLinks.file(f.id), testContext(store, { signal: ac.signal }))).rejects.toThrow(/cancelled|abort/i);
    expect(await store.head(`151/drive/${f.id}/slow.bin`)).toBeNull();
  });
});
