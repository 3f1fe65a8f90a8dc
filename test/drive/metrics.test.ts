/**
 * The Drive source's request hook (metrics: `sheet_archiver_drive_requests_total`): every Drive v3
 * call made through googleapis is reported once with its method and outcome, against the
 * stand-in's Google-format answers.
 */
import { describe, expect, it } from 'vitest';
import { driveLinks, testContext, type DriveStandIn } from '../support/driveStandIn.js';
import type { LocalStore } from '../../worker/src/storage/local.js';
import { caught, driveSourceFor, useDriveFixture } from './fixture.js';

let standIn: DriveStandIn;
let store: LocalStore;

useDriveFixture('drive-metrics', (f) => ({ standIn, store } = f));

describe('Drive API calls reported to onApiCall', () => {
  it('counts files.get and the alt=media download as ok, and a 404 as not_found', async () => {
    const calls: string[] = [];
    const source = driveSourceFor(standIn, { publicFallback: false, onApiCall: (method, outcome) => calls.push(`${method} ${outcome}`) });
    const f = await standIn.addFile({ name: 'a.bin', content: 'some bytes' });
    const r = await source.archive(driveLinks.file(f.id), testContext(store));
    expect(r.error).toBeUndefined();
    expect(calls.filter((c) => c === 'files.get ok').length).toBeGreaterThanOrEqual(2); // metadata, then alt=media
    expect(calls.every((c) => c.endsWith(' ok'))).toBe(true);
    // every request the stand-in answered was reported once
    expect(calls).toHaveLength(
      standIn.requests.filter((q) => ['files.get', 'media', 'files.list', 'files.export', 'about.get'].includes(q.api)).length,
    );

    calls.length = 0;
    standIn.inject({ api: 'files.get', id: f.id, status: 404, reason: 'notFound', message: 'File not found' });
    expect((await caught(source.archive(driveLinks.file(f.id), testContext(store)))).category).toBe('not_found');
    expect(calls).toEqual(['files.get not_found']);
  });

  it('counts the files.list of a folder and each file it downloads', async () => {
    const calls: string[] = [];
    const source = driveSourceFor(standIn, { onApiCall: (method, outcome) => calls.push(`${method} ${outcome}`) });
    const root = standIn.addFolder({ name: 'F' });
    await standIn.addFile({ name: 'one.bin', content: 'one', parent: root.id });
    await standIn.addFile({ name: 'two.bin', content: 'two', parent: root.id });
    const r = await source.archive(driveLinks.folder(root.id), testContext(store));
    expect(r.error).toBeUndefined();
    expect(calls).toContain('files.list ok');
    expect(calls.filter((c) => c === 'files.get ok').length).toBeGreaterThanOrEqual(3); // the folder, then two downloads
    expect(calls).toHaveLength(
      standIn.requests.filter((q) => ['files.get', 'media', 'files.list', 'files.export', 'about.get'].includes(q.api)).length,
    );
  });
});
