/**
 * Drive errors → design §4 categories (issue 4 §6), through the real googleapis client against
 * the stand-in's Google-format error answers; and checkDriveAccess for `doctor`.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ErrorCategory } from '../../shared/errors.js';
import { checkDriveAccess, createDriveSource } from '../../worker/src/sources/drive/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { driveLinks, testAuth, testContext, type DriveStandIn, type FaultRule } from '../support/driveStandIn.js';
import { caught, useDriveFixture } from './fixture.js';

let standIn: DriveStandIn;
let store: LocalStore;

useDriveFixture('drive-errors', (f) => ({ standIn, store } = f));

const source = (token = 'test-token') =>
  createDriveSource({
    auth: testAuth(token),
    rootUrl: standIn.rootUrl,
    publicDownloadBaseUrl: standIn.publicBaseUrl,
    publicFallback: false,
    maxResumes: 0,
  });

type Case = [string, Omit<FaultRule, 'id'>, ErrorCategory];
const table: Case[] = [
  ['files.get 404 notFound', { api: 'files.get', status: 404, reason: 'notFound', message: 'File not found: x.' }, 'not_found'],
  [
    'files.get 403 insufficientPermissions',
    { api: 'files.get', status: 403, reason: 'insufficientPermissions', message: 'Insufficient permissions' },
    'permission',
  ],
  [
    'alt=media 403 cannotDownloadFile',
    { api: 'media', status: 403, reason: 'cannotDownloadFile', message: 'cannot download' },
    'permission',
  ],
  [
    'files.get 403 userRateLimitExceeded',
    { api: 'files.get', status: 403, reason: 'userRateLimitExceeded', message: 'User rate limit exceeded.' },
    'rate_limit',
  ],
  [
    'alt=media 403 rateLimitExceeded',
    { api: 'media', status: 403, reason: 'rateLimitExceeded', message: 'Rate limit exceeded.' },
    'rate_limit',
  ],
  ['files.get 429', { api: 'files.get', status: 429, reason: 'rateLimitExceeded', message: 'Too many requests' }, 'rate_limit'],
  [
    'alt=media 403 downloadQuotaExceeded',
    { api: 'media', status: 403, reason: 'downloadQuotaExceeded', message: 'The download quota for this file has been exceeded.' },
    'quota',
  ],
  ['files.get 500', { api: 'files.get', status: 500, reason: 'backendError', message: 'Backend Error' }, 'network'],
  ['alt=media 503', { api: 'media', status: 503, reason: 'backendError', message: 'Service unavailable' }, 'network'],
  ['alt=media connection reset', { api: 'media', reset: true }, 'network'],
  ['files.get connection reset', { api: 'files.get', reset: true }, 'network'],
];

describe('drive error mapping', () => {
  it.each(table)('%s → %s', async (_name, rule, category) => {
    const f = await standIn.addFile({ name: 'e.bin', content: 'bytes' });
    standIn.inject({ ...rule, id: f.id, times: 5 });
    const e = await caught(source().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe(category);
    expect(e.message).toContain(f.id);
    if (rule.reason && !rule.reset) expect(e.message).toContain(rule.reason);
    expect(await store.head(`151/drive/${f.id}/e.bin`)).toBeNull();
  });

  it('keeps Retry-After on rate limits', async () => {
    const f = await standIn.addFile({ name: 'ra.bin', content: 'bytes' });
    standIn.inject({ api: 'files.get', id: f.id, status: 429, retryAfter: 7 });
    const e = await caught(source().archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('rate_limit');
    expect(e.retryAfterMs).toBe(7000);
  });

  it('files.list failures map too (a 500 while listing a folder → network)', async () => {
    const root = standIn.addFolder({ name: 'L' });
    standIn.inject({ api: 'files.list', status: 500 });
    expect((await caught(source().archive(driveLinks.folder(root.id), testContext(store)))).category).toBe('network');
  });

  it('rejected credentials (401) → permission', async () => {
    const f = await standIn.addFile({ name: 'a.bin', content: 'bytes' });
    const e = await caught(source('wrong-token').archive(driveLinks.file(f.id), testContext(store)));
    expect(e.category).toBe('permission');
    expect(e.message).toMatch(/credentials were rejected/);
  });

  it('a refused connection → network', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const src = createDriveSource({ auth: testAuth(), rootUrl: `http://127.0.0.1:${port}/`, publicFallback: false });
    const e = await caught(src.archive(driveLinks.file('1AbCdEfGhIjKlMnOpQrStUvWxYz012345'), testContext(store)));
    expect(e.category).toBe('network');
  });
});

describe('checkDriveAccess (doctor)', () => {
  it('reports who the credentials act as, and whether they see a file', async () => {
    const f = await standIn.addFile({ name: 'probe.txt', content: 'x', resourceKey: '0-Probe' });
    const r = await checkDriveAccess({ auth: testAuth(), rootUrl: standIn.rootUrl, fileId: f.id, resourceKey: '0-Probe' });
    expect(r.user.emailAddress).toBe('archiver@test-project.iam.gserviceaccount.com');
    expect(r.file).toEqual({ id: f.id, name: 'probe.txt', mimeType: 'application/octet-stream', canDownload: true });
    expect(standIn.requestsFor('about.get')[0]!.query['fields']).toBe('user(emailAddress,displayName)');
  });

  it('throws permission for rejected credentials and not_found for an unshared file', async () => {
    const bad = await caught(checkDriveAccess({ auth: testAuth('nope'), rootUrl: standIn.rootUrl }));
    expect(bad.category).toBe('permission');
    const hidden = await standIn.addFile({ name: 'hidden', content: 'x', apiAccess: false });
    const nf = await caught(checkDriveAccess({ auth: testAuth(), rootUrl: standIn.rootUrl, fileId: hidden.id }));
    expect(nf.category).toBe('not_found');
  });
});
