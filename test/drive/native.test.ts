/**
 * Drive source, Google-native files: files.export to the default and configured formats, the
 * exportLinks fallback past the 10 MB files.export limit, non-exportable types.
 */
import { describe, expect, it } from 'vitest';
import { ArchiveError } from '../../worker/src/errors.js';
import { createDriveSource, exportTargets } from '../../worker/src/sources/drive/index.js';
import type { MediaMetadata } from '../../worker/src/storage/metadata.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import {
  DOC_MIME,
  driveLinks,
  FORM_MIME,
  sha256Of,
  SHEET_MIME,
  SLIDES_MIME,
  testContext,
  type DriveStandIn,
} from '../support/driveStandIn.js';
import { driveSourceFor, useDriveFixture } from './fixture.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
const PDF = 'application/pdf';

let standIn: DriveStandIn;
let store: LocalStore;

useDriveFixture('drive-native', (f) => ({ standIn, store } = f));

const source = (extra: Partial<Parameters<typeof createDriveSource>[0]> = {}) => driveSourceFor(standIn, extra);

describe('drive source: Google-native files', () => {
  it('exports Docs → docx + pdf, Sheets → xlsx + pdf, Slides → pptx + pdf by default', async () => {
    const doc = standIn.addNative({
      name: 'Notes',
      mimeType: DOC_MIME,
      exports: { [DOCX]: 'docx-bytes', [PDF]: 'pdf-of-doc', 'text/plain': 'txt' },
    });
    const sheet = standIn.addNative({
      name: 'Budget.xlsx',
      mimeType: SHEET_MIME,
      exports: { [XLSX]: 'xlsx-bytes', [PDF]: 'pdf-of-sheet' },
    });
    const slides = standIn.addNative({ name: 'Talk', mimeType: SLIDES_MIME, exports: { [PPTX]: 'pptx-bytes', [PDF]: 'pdf-of-slides' } });

    const d = await source().archive(driveLinks.document(doc.id), testContext(store));
    expect(d.files.map((f) => f.key)).toEqual([
      `151/drive/${doc.id}/Notes.docx`,
      `151/drive/${doc.id}/Notes.pdf`,
      `151/drive/${doc.id}/metadata.json`,
    ]);
    expect(await store.getText(`151/drive/${doc.id}/Notes.pdf`)).toBe('pdf-of-doc');
    const meta = JSON.parse((await store.getText(`151/drive/${doc.id}/metadata.json`))!) as MediaMetadata;
    expect(meta.extra).toMatchObject({
      kind: 'document',
      mimeType: DOC_MIME,
      exportedVia: { [`151/drive/${doc.id}/Notes.docx`]: 'export' },
    });
    expect(meta.files[0]).toMatchObject({ size: 10, sha256: await sha256Of('docx-bytes') });
    expect(meta.files[0]!.md5).toBeUndefined();

    const s = await source().archive(driveLinks.spreadsheet(sheet.id), testContext(store));
    // "Budget.xlsx" keeps its name rather than becoming Budget.xlsx.xlsx
    expect(s.files.map((f) => f.key.split('/').pop())).toEqual(['Budget.xlsx', 'Budget.xlsx.pdf', 'metadata.json']);
    const p = await source().archive(driveLinks.presentation(slides.id), testContext(store));
    expect(p.files.map((f) => f.key.split('/').pop())).toEqual(['Talk.pptx', 'Talk.pdf', 'metadata.json']);

    const exports = standIn.requestsFor('files.export');
    expect(exports.map((q) => q.query['mimeType'])).toEqual([DOCX, PDF, XLSX, PDF, PPTX, PDF]);
  });

  it('exports to configured formats', async () => {
    const doc = standIn.addNative({
      name: 'Plain',
      mimeType: DOC_MIME,
      exports: { 'text/plain': 'just text', 'application/vnd.oasis.opendocument.text': 'odt' },
    });
    const r = await source({ exportFormats: { document: ['txt', 'odt'] } }).archive(driveLinks.document(doc.id), testContext(store));
    expect(r.files.map((f) => f.key.split('/').pop())).toEqual(['Plain.txt', 'Plain.odt', 'metadata.json']);
    expect(() => exportTargets(DOC_MIME, { document: ['nope'] })).toThrow(/unknown Drive export format/);
    expect(exportTargets(DOC_MIME, { document: ['mhtml=message/rfc822'] })).toEqual([{ ext: 'mhtml', mimeType: 'message/rfc822' }]);
  });

  it('falls back to exportLinks when files.export hits its 10 MB limit (403 exportSizeLimitExceeded)', async () => {
    const big = { seed: 21, size: 11 * 1024 * 1024 };
    const doc = standIn.addNative({ name: 'Huge report', mimeType: DOC_MIME, exports: { [DOCX]: 'small docx', [PDF]: big } });
    const r = await source().archive(driveLinks.document(doc.id), testContext(store));
    expect(r.error).toBeUndefined();
    const pdf = r.files.find((f) => f.key.endsWith('.pdf'))!;
    expect(pdf).toMatchObject({ size: big.size, sha256: await sha256Of(big) });
    const exp = standIn.requestsFor('files.export', doc.id);
    expect(exp.map((q) => q.status)).toEqual([200, 403]);
    const links = standIn.requestsFor('exportLink', doc.id);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ authorized: true, status: 200 });
    expect(links[0]!.query['exportFormat']).toBe('pdf');
    const meta = JSON.parse((await store.getText(`151/drive/${doc.id}/metadata.json`))!) as MediaMetadata;
    expect(meta.extra!['exportedVia']).toEqual({
      [`151/drive/${doc.id}/Huge report.docx`]: 'export',
      [`151/drive/${doc.id}/Huge report.pdf`]: 'exportLinks',
    });
  });

  it('refuses a native type that has no export (a Form) with a validation error', async () => {
    const form = standIn.addNative({ name: 'Survey', mimeType: FORM_MIME, exports: {} });
    const e = await source()
      .archive(driveLinks.file(form.id), testContext(store))
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(ArchiveError);
    expect((e as ArchiveError).category).toBe('validation');
    expect((e as ArchiveError).message).toMatch(/cannot be exported/);
  });

  it('a retry keeps exports of an unchanged document', async () => {
    const doc = standIn.addNative({ name: 'Stable', mimeType: DOC_MIME, exports: { [DOCX]: 'a', [PDF]: 'b' } });
    await source().archive(driveLinks.document(doc.id), testContext(store));
    standIn.clearLog();
    const again = await source().archive(driveLinks.document(doc.id), testContext(store));
    expect(standIn.requestsFor('files.export')).toHaveLength(0);
    expect(again.files).toHaveLength(3);
    doc.modifiedTime = '2026-02-01T00:00:00.000Z';
    await source().archive(driveLinks.document(doc.id), testContext(store));
    expect(standIn.requestsFor('files.export')).toHaveLength(2);
  });
});
