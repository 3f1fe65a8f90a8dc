/**
 * End to end, DRIVE_REARCHIVE_AFTER (issue 10 item 8): `sheet-archiver run` on a CSV with a Doc
 * link (the Drive v3 stand-in through googleapis). A completed row is not picked again until the
 * interval has passed; then the edited Doc is stored as v2 beside v1 and `drive_files` lists v2.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOC_MIME, driveLinks, startDriveStandIn, type DriveStandIn, type StandInItem } from '../support/driveStandIn.js';
import { runCli } from '../support/cli.js';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
let drive: DriveStandIn;
let dir: string;
let doc: StandInItem;
let env: Record<string, string>;
let csv: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-e2e-rearchive-'));
  drive = await startDriveStandIn();
  doc = drive.addNative({ name: 'Profile', mimeType: DOC_MIME, exports: { [DOCX]: 'docx v1', 'application/pdf': 'pdf v1' } });
  csv = join(dir, 'people.csv');
  writeFileSync(csv, `row_id,name,email,type,doc\n301,Ana,ana@example.org,FF-Fi/Se-CP/B(S) #4,${driveLinks.document(doc.id)}\n`);
  env = {
    ARCHIVER_DATA: join(dir, 'state'),
    GOOGLE_ACCESS_TOKEN: 'test-token',
    GOOGLE_DRIVE_ROOT_URL: drive.rootUrl,
    GOOGLE_DRIVE_PUBLIC_URL: drive.publicBaseUrl,
  };
}, 60_000);

afterAll(async () => {
  await drive?.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = () => (parse(readFileSync(csv), { columns: true }) as Record<string, string>[])[0]!;
const run = async (extra: Record<string, string> = {}) => {
  const res = await runCli(['run', csv, '--out', join(dir, 'archive'), '--json'], { ...env, ...extra });
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { jobs: number };
};

describe('sheet-archiver run with DRIVE_REARCHIVE_AFTER', () => {
  it('re-archives a completed Drive row after the interval and lists the new version in drive_files', async () => {
    expect((await run()).jobs).toBe(1);
    const base = `301/drive/${doc.id}`;
    expect(row()['drive_status']).toBe('completed');
    expect(row()['drive_files']!.split(',')).toEqual([`${base}/Profile.docx`, `${base}/Profile.pdf`]);

    await drive.revise(doc, { exports: { [DOCX]: 'docx v2', 'application/pdf': 'pdf v2' } });
    // unset: a completed row is never picked again
    expect((await run()).jobs).toBe(0);
    // set, but the row was archived less than an hour ago
    expect((await run({ DRIVE_REARCHIVE_AFTER: '1h' })).jobs).toBe(0);
    const pending = async (after: string) => {
      const res = await runCli(['pending', csv, '--json'], { ...env, DRIVE_REARCHIVE_AFTER: after });
      expect(res.code, res.stderr).toBe(0);
      return (JSON.parse(res.stdout) as { jobs: { reason: string; source: string }[] }).jobs;
    };
    expect(await pending('1h')).toEqual([]);

    const last = Date.parse(row()['last_download_attempt']!);
    while (Date.now() - last < 1_100) await new Promise((r) => setTimeout(r, 100));
    expect(await pending('1s')).toMatchObject([{ source: 'drive', reason: 'rearchive' }]);
    expect((await run({ DRIVE_REARCHIVE_AFTER: '1s' })).jobs).toBe(1);
    expect(row()['drive_status']).toBe('completed');
    expect(row()['drive_files']!.split(',')).toEqual([`${base}/v2/Profile.docx`, `${base}/v2/Profile.pdf`]);
    expect(readFileSync(join(dir, 'archive', base, 'v2', 'Profile.docx'), 'utf8')).toBe('docx v2');
    expect(readFileSync(join(dir, 'archive', base, 'Profile.docx'), 'utf8')).toBe('docx v1');
    expect(existsSync(join(dir, 'archive', base, 'Profile.pdf'))).toBe(true);
  });
});
