/**
 * End to end: `sheet-archiver run` on a 24-row sheet that mixes the local media host (yt-dlp) and
 * Drive (the Drive v3 stand-in through googleapis), all real processes and real yt-dlp/ffmpeg.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { DOC_MIME, driveLinks, startDriveStandIn, type DriveStandIn } from '../support/driveStandIn.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { writeSampleSheet, type SampleSheet } from '../support/sampleSheet.js';
import { runCli } from '../support/cli.js';

let host: MediaHost;
let drive: DriveStandIn;
let dir: string;
let sheet: SampleSheet;
let env: Record<string, string>;
let folderId = '';
let fileId = '';
let docId = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-e2e-run-'));
  host = await startMediaHost({ clipCount: 6, clipSeconds: 1, playlistSize: 3 });
  drive = await startDriveStandIn({ pageSize: 2 });
  const folder = drive.addFolder({ name: 'Interview, round 2' });
  const sub = drive.addFolder({ name: 'raw', parent: folder.id });
  await drive.addFile({ name: 'notes.txt', parent: folder.id, content: 'notes about the interview\n', mimeType: 'text/plain' });
  await drive.addFile({ name: 'take1.bin', parent: sub.id, content: { seed: 7, size: 300_000 } });
  await drive.addFile({ name: 'take2.bin', parent: sub.id, content: { seed: 8, size: 200_000 } });
  const file = await drive.addFile({ name: 'cv.pdf', content: { seed: 9, size: 120_000 }, mimeType: 'application/pdf' });
  const doc = drive.addNative({
    name: 'Profile',
    mimeType: DOC_MIME,
    exports: { 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx', 'application/pdf': 'pdf' },
  });
  folderId = folder.id;
  fileId = file.id;
  docId = doc.id;
  sheet = writeSampleSheet(join(dir, 'people.csv'), host, {
    rows: 22,
    // row index 1 has a YouTube-side page AND a Drive folder (issue 4: both sources in one row)
    driveLinks: [
      '',
      driveLinks.folder(folder.id),
      '',
      driveLinks.file(file.id),
      '',
      `${driveLinks.document(doc.id)}; ${driveLinks.file(file.id)}`,
    ],
  });
  env = {
    ARCHIVER_DATA: join(dir, 'state'),
    ARCHIVER_ALLOWED_HOSTS: host.host,
    ARCHIVER_RETRY_SCALE: '0.01',
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_DRIVE_ROOT_URL: drive.rootUrl,
    GOOGLE_DRIVE_PUBLIC_URL: drive.publicBaseUrl,
  };
}, 120_000);

afterAll(async () => {
  await host?.close();
  await drive?.close();
  rmSync(dir, { recursive: true, force: true });
});

function readSheet(): Record<string, string>[] {
  return parse(readFileSync(sheet.path), { columns: true }) as Record<string, string>[];
}

describe('sheet-archiver run', () => {
  it('archives every row, writes statuses into the CSV, and reports the broken link and bad row_ids', async () => {
    const out = join(dir, 'archive');
    const before = readFileSync(sheet.path, 'utf8');
    const res = await runCli(['run', sheet.path, '--out', out, '--concurrency', '4', '--json'], env, 180_000);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary.bySource.youtube.completed).toBe(sheet.expectCompleted.youtube.length);
    expect(summary.bySource.drive.completed).toBe(sheet.expectCompleted.drive.length);
    expect(summary.failed.map((f: { rowId: string }) => f.rowId)).toEqual(sheet.expectFailed);
    expect(summary.skipped.map((s: { rowNumber: number }) => s.rowNumber)).toEqual(sheet.expectSkippedRows);

    const rows = readSheet();
    expect(Object.keys(rows[0]!).slice(-8)).toEqual([...TRACKING_COLUMNS]);
    expect(existsSync(`${sheet.path}.bak`)).toBe(true);
    expect(readFileSync(`${sheet.path}.bak`, 'utf8')).toBe(before);
    const originals = parse(before, { columns: true }) as Record<string, string>[];

    rows.forEach((r, i) => {
      // input cells untouched; the type cell is never written
      for (const k of Object.keys(originals[i]!)) expect(r[k]).toBe(originals[i]![k]);
      if (sheet.expectCompleted.youtube.includes(r['row_id']!) && r['name'] !== 'Duplicate Person') {
        expect(r['youtube_status'], `row ${r['row_id']}`).toBe('completed');
        const keys = r['youtube_files']!.split(',');
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) expect(existsSync(join(out, k)), k).toBe(true);
        expect(r['youtube_media_id']).not.toBe('');
        expect(r['last_download_attempt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
    });
    const byId = (id: string) => rows.find((r) => r['row_id'] === id && r['name'] !== 'Duplicate Person')!;
    const failed = byId(sheet.expectFailed[0]!);
    expect(failed['youtube_status']).toBe('failed');
    expect(failed['download_errors']).toMatch(/^youtube#1 not_found: .*404/);
    // rows with an empty or duplicated row_id are never written
    for (const n of sheet.expectSkippedRows) for (const c of TRACKING_COLUMNS) expect(rows[n - 2]![c], `row ${n} ${c}`).toBe('');

    // both sources in one row: a YouTube page and a Drive folder with sub-folders
    const both = rows[1]!;
    expect(both['youtube_status']).toBe('completed');
    expect(both['drive_status']).toBe('completed');
    expect(both['drive_media_id']).toBe(folderId);
    const driveFiles = both['drive_files']!.split(',');
    expect(driveFiles).toEqual(
      expect.arrayContaining([
        `${both['row_id']}/drive/${folderId}/notes.txt`,
        `${both['row_id']}/drive/${folderId}/raw/take1.bin`,
        `${both['row_id']}/drive/${folderId}/raw/take2.bin`,
      ]),
    );
    const meta = JSON.parse(readFileSync(join(out, both['row_id']!, 'drive', folderId, 'metadata.json'), 'utf8'));
    expect(meta.row).toMatchObject({ rowId: both['row_id'], type: both['type'] });
    expect(meta.files.every((f: { md5?: string; sha256: string }) => f.sha256.length === 64)).toBe(true);

    // a Doc is exported (docx + pdf) and a plain file sits beside it in the same row
    const mixed = rows[5]!;
    expect(mixed['drive_status']).toBe('completed');
    expect(mixed['drive_media_id']!.split(',')).toEqual([docId, fileId]);
    expect(mixed['drive_files']).toMatch(/Profile\.docx/);
    expect(mixed['drive_files']).toMatch(/Profile\.pdf/);
  }, 200_000);

  it('a second run picks nothing new, and lookup traces a file to its row', async () => {
    const res = await runCli(['run', sheet.path, '--out', join(dir, 'archive'), '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).jobs).toBe(0);

    const row = readSheet()[3]!;
    const key = row['youtube_files']?.split(',')[0] ?? '';
    const found = await runCli(['lookup', key, '--out', join(dir, 'archive'), '--json'], env);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ rowId: row['row_id'], row: { name: row['name'], type: row['type'] } });
  });

  it('status, failed, pending, validate and reset agree with the sheet', async () => {
    const status = JSON.parse((await runCli(['status', sheet.path, '--json'], env)).stdout);
    expect(status.bySource.youtube.failed).toBe(1);
    const failed = JSON.parse((await runCli(['failed', sheet.path, '--json'], env)).stdout);
    expect(failed.failed).toMatchObject([{ rowId: sheet.expectFailed[0], category: 'not_found' }]);
    const validate = await runCli(['validate', sheet.path, '--json'], env);
    expect(validate.code).toBe(1);
    expect(
      JSON.parse(validate.stdout)
        .issues.map((i: { kind: string }) => i.kind)
        .sort(),
    ).toEqual(['duplicate_row_id', 'duplicate_row_id', 'empty_row_id']);

    const target = sheet.expectCompleted.youtube[0]!;
    const reset = await runCli(['reset', sheet.path, '--row-id', target, '--source', 'youtube', '--json'], env);
    expect(JSON.parse(reset.stdout).reset).toEqual([target]);
    const pending = JSON.parse((await runCli(['pending', sheet.path, '--json'], env)).stdout);
    expect(pending.jobs.map((j: { rowId: string; source: string }) => `${j.rowId}/${j.source}`)).toEqual([`${target}/youtube`]);
  });

  it('refuses what it cannot run with exit code 2 and a clear message', async () => {
    const missing = await runCli(['run', join(dir, 'nope.csv')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const badFlag = await runCli(['run', sheet.path, '--concurrency', 'many'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--concurrency/);
  });
});
