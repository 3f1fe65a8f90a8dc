/**
 * Drive source, public links ("anyone with the link") the service account cannot read: the
 * drive.usercontent.google.com download flow with the virus-scan confirm form, the quota page,
 * the cannot-download and sign-in pages, resume after a drop.
 */
import { describe, expect, it } from 'vitest';
import { createDriveSource } from '../../worker/src/sources/drive/index.js';
import { classifyPublicPage, fileNameOf, parseConfirmForm } from '../../worker/src/sources/drive/public.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { driveLinks, sha256Of, testAuth, testContext, type DriveStandIn } from '../support/driveStandIn.js';
import { caught, useDriveFixture } from './fixture.js';

let standIn: DriveStandIn;
let store: LocalStore;

useDriveFixture('drive-public', (f) => ({ standIn, store } = f));

const withAuth = () => createDriveSource({ auth: testAuth(), rootUrl: standIn.rootUrl, publicDownloadBaseUrl: standIn.publicBaseUrl });
const noAuth = () => createDriveSource({ auth: null, publicDownloadBaseUrl: standIn.publicBaseUrl });

describe('drive source: public download flow', () => {
  it('downloads a public file without credentials, named from Content-Disposition', async () => {
    const f = await standIn.addFile({
      name: 'Café menu.pdf',
      content: 'public bytes',
      mimeType: 'application/pdf',
      publicMode: 'direct',
      apiAccess: false,
    });
    const r = await noAuth().archive(driveLinks.file(f.id), testContext(store));
    expect(r.mediaIds).toEqual([f.id]);
    expect(r.files.map((x) => x.key)).toEqual([`151/drive/${f.id}/Café menu.pdf`, `151/drive/${f.id}/metadata.json`]);
    expect(await store.getText(`151/drive/${f.id}/Café menu.pdf`)).toBe('public bytes');
    const q = standIn.requestsFor('public')[0]!;
    expect(q.query).toMatchObject({ id: f.id, export: 'download' });
    expect(q.authorized).toBe(false);
    const meta = JSON.parse((await store.getText(`151/drive/${f.id}/metadata.json`))!) as MediaMetadata;
    expect(meta.extra).toMatchObject({ via: 'public', kind: 'file', virusScanConfirmed: false, complete: true });
    expect(meta.title).toBe('Café menu.pdf');
  });

  it('falls back to the public flow when the API answers 404, passing the virus-scan confirm form', async () => {
    const content = { seed: 31, size: 2_500_000 };
    const f = await standIn.addFile({ name: 'big video.mp4', content, publicMode: 'confirm', apiAccess: false, resourceKey: '0-PubKey' });
    const r = await withAuth().archive(driveLinks.file(f.id, '0-PubKey'), testContext(store));
    expect(r.files[0]).toMatchObject({ key: `151/drive/${f.id}/big video.mp4`, size: content.size, sha256: await sha256Of(content) });
    expect(standIn.requestsFor('files.get', f.id)[0]!.status).toBe(404);
    const pub = standIn.requestsFor('public', f.id);
    expect(pub).toHaveLength(2);
    expect(pub[0]!.query).toEqual({ id: f.id, export: 'download', resourcekey: '0-PubKey' });
    expect(pub[1]!.query).toMatchObject({ id: f.id, export: 'download', confirm: 't', resourcekey: '0-PubKey' });
    expect(pub[1]!.query['uuid']).toMatch(/^[0-9a-f-]{36}$/);
    const meta = JSON.parse((await store.getText(`151/drive/${f.id}/metadata.json`))!) as MediaMetadata;
    expect(meta.extra).toMatchObject({ via: 'public', virusScanConfirmed: true });
    expect(String(meta.extra!['apiError'])).toMatch(/^not_found/);

    // a retry keeps the stored copy
    standIn.clearLog();
    const again = await withAuth().archive(driveLinks.file(f.id, '0-PubKey'), testContext(store));
    expect(standIn.requestsFor('public')).toHaveLength(0);
    expect(again.files[0]).toEqual(r.files[0]);
  });

  it('resumes a public download whose connection drops', async () => {
    const content = { seed: 32, size: 1_500_000 };
    const f = await standIn.addFile({ name: 'drop.bin', content, publicMode: 'direct', apiAccess: false, dropAfterBytes: 600_000 });
    const r = await noAuth().archive(driveLinks.file(f.id), testContext(store));
    expect(r.files[0]).toMatchObject({ size: content.size, sha256: await sha256Of(content) });
    const pub = standIn.requestsFor('public', f.id);
    expect(pub).toHaveLength(2);
    expect(pub[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(pub[1]!.status).toBe(206);
  });

  it('maps the quota-exceeded page to quota', async () => {
    const f = await standIn.addFile({ name: 'popular.zip', content: 'x', publicMode: 'quota', apiAccess: false });
    const e = await caught(noAuth().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('quota');
    expect(e.message).toMatch(/Too many users/);
  });

  it('maps the cannot-download page to permission', async () => {
    const f = await standIn.addFile({ name: 'locked.zip', content: 'x', publicMode: 'cannot', apiAccess: false });
    const e = await caught(noAuth().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('permission');
    expect(e.message).toMatch(/will not let this file be downloaded/);
  });

  it('maps the sign-in page (a private file) to permission, naming the API error too', async () => {
    const f = await standIn.addFile({ name: 'private.doc', content: 'x', apiAccess: false });
    const e = await caught(withAuth().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('permission');
    expect(e.message).toMatch(/File not found/);
    expect(e.message).toMatch(/asks to sign in/);
    expect(standIn.requests.some((q) => q.api === 'signin')).toBe(true);
  });

  it('maps a missing file to not_found, a 429 to rate_limit, a 5xx to network', async () => {
    expect((await caught(noAuth().archive(driveLinks.file('1NoSuchFileAnywhereXXXXXXXXXXXXXXX'), testContext(store)))).category).toBe(
      'not_found',
    );
    const f = await standIn.addFile({ name: 'busy.bin', content: 'x', publicMode: 'direct', apiAccess: false });
    standIn.inject({ api: 'public', id: f.id, status: 429, retryAfter: 9 });
    const rl = await caught(noAuth().archive(driveLinks.file(f.id), testContext(store)));
    expect(rl.category).toBe('rate_limit');
    expect(rl.retryAfterMs).toBe(9000);
    standIn.inject({ api: 'public', id: f.id, status: 502 });
    expect((await caught(noAuth().archive(driveLinks.file(f.id), testContext(store)))).category).toBe('network');
  });

  it('does not use the public flow for rate limits, folders, or when disabled', async () => {
    const f = await standIn.addFile({ name: 'rl.bin', content: 'x', publicMode: 'direct' });
    standIn.inject({ api: 'files.get', id: f.id, status: 403, reason: 'userRateLimitExceeded', message: 'User rate limit exceeded.' });
    expect((await caught(withAuth().archive(driveLinks.file(f.id), testContext(store)))).category).toBe('rate_limit');
    expect(standIn.requestsFor('public')).toHaveLength(0);
    const hidden = await standIn.addFile({ name: 'h.bin', content: 'x', publicMode: 'direct', apiAccess: false });
    const src = createDriveSource({
      auth: testAuth(),
      rootUrl: standIn.rootUrl,
      publicDownloadBaseUrl: standIn.publicBaseUrl,
      publicFallback: false,
    });
    expect((await caught(src.archive(driveLinks.file(hidden.id), testContext(store)))).category).toBe('not_found');
    expect(standIn.requestsFor('public')).toHaveLength(0);
  });
});

describe('public page parsing', () => {
  const base = 'https://drive.usercontent.google.com';
  it('reads the confirm form hidden inputs (id, export, confirm, uuid) with entities decoded', () => {
    const html = `<html><body><form id="download-form" action="https://drive.usercontent.google.com/download" method="get">
      <input type="submit" value="Download anyway"/><input type="hidden" name="id" value="1AbC">
      <input type="hidden" name="export" value="download"><input type='hidden' name='confirm' value='t'>
      <input value="a&amp;b" type="hidden" name="uuid"></form></body></html>`;
    const u = new URL(parseConfirmForm(html, base)!);
    expect(u.origin + u.pathname).toBe('https://drive.usercontent.google.com/download');
    expect(Object.fromEntries(u.searchParams)).toEqual({ id: '1AbC', export: 'download', confirm: 't', uuid: 'a&b' });
  });

  it('refuses a form that posts to another host', () => {
    const html = `<form id="download-form" action="https://evil.example/download"><input type="hidden" name="id" value="1"></form>`;
    expect(parseConfirmForm(html, base)).toBeNull();
  });

  it('reads the older uc-download-link form', () => {
    const html = `<a id="uc-download-link" class="goog-inline-block" href="/uc?export=download&amp;confirm=AbCd&amp;id=1XyZ">Download anyway</a>`;
    expect(parseConfirmForm(html, 'https://drive.google.com')).toBe('https://drive.google.com/uc?export=download&confirm=AbCd&id=1XyZ');
  });

  it('classifies pages', () => {
    expect(classifyPublicPage(200, base, '<p>Too many users have viewed or downloaded this file recently.</p>', base).kind).toBe('quota');
    expect(classifyPublicPage(200, 'https://accounts.google.com/ServiceLogin?x', '<title>Sign in</title>', base).kind).toBe('permission');
    expect(classifyPublicPage(404, base, '<p>Sorry, the file you have requested does not exist.</p>', base).kind).toBe('not_found');
  });

  it('reads file names from Content-Disposition', () => {
    expect(fileNameOf(`attachment; filename="a.txt"; filename*=UTF-8''caf%C3%A9.txt`)).toBe('café.txt');
    expect(fileNameOf('attachment; filename="plain name.bin"')).toBe('plain name.bin');
    expect(fileNameOf(null)).toBeUndefined();
  });
});
