/**
 * `sheet-archiver erase` from the built CLI, on what a real `run` archived (yt-dlp on media ffmpeg
 * made, served on 127.0.0.1): it refuses without --yes when stdin is not a terminal; a hard erase
 * killed (SIGKILL) right after step 2 is finished by the next start; the CSV's tracking cells are
 * cleared with the note through the normal write-back, and the other row is untouched; later runs
 * skip the erased row until its note is cleared. Soft delete hides, `catalogue purge` removes later.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseNote } from '../../shared/rows.js';
import { listErasures } from '../../worker/src/catalogue/erase.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { readCsvSheet } from '../../worker/src/sheets/csv.js';
import { runCli } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { TYPE } from './fixtures.js';

let host: MediaHost;
let dir: string;
let env: Record<string, string>;
let csv: string;

/** Every file below a folder, relative, sorted (empty when it does not exist). */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(root.length + 1))
    .sort();
}

async function cells(rowId: string): Promise<Record<string, string>> {
  const sheet = await readCsvSheet(csv);
  const r = sheet.rows.find((x) => x[0] === rowId)!;
  return Object.fromEntries(sheet.headers.map((h, i) => [h, r[i] ?? '']));
}

async function withCatalogue<T>(fn: (c: Catalogue) => Promise<T>): Promise<T> {
  const c = await Catalogue.open({ engine: 'sqlite', path: join(dir, 'state', 'catalogue.db') });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-erase-cli-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
  csv = join(dir, 'people.csv');
  writeFileSync(
    csv,
    'row_id,name,email,type,video\n' +
      `151,Ana Souza,ana@example.org,${TYPE},${host.clipUrl(host.clips[0]!)}\n` +
      `152,Bruno Oliveira,bruno@example.org,MF-Si/Te-BS/P(C) #3,${host.clipUrl(host.clips[1]!)}\n`,
  );
  env = { ARCHIVER_DATA: join(dir, 'state'), ARCHIVER_ALLOWED_HOSTS: host.host, ARCHIVER_RETRY_SCALE: '0.01' };
  const run = await runCli(['run', csv, '--json'], env, 180_000);
  expect(run.code, run.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sheet-archiver erase', () => {
  it('refuses without --yes when stdin is not a terminal, and names what is missing', async () => {
    const r = await runCli(['erase', '--csv', csv, '--row-id', '151', '--hard'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect((await runCli(['erase', '--row-id', '151', '--yes'], env)).stderr).toMatch(/--spreadsheet/);
    expect((await runCli(['erase', '--csv', csv, '--row-id', 'nobody', '--yes'], env)).code).toBe(1);
    expect(filesUnder(join(dir, 'state', 'archive', '151')).length).toBeGreaterThan(2);
  });

  it('a hard erase killed after step 2 finishes on the next start; cells cleared, the other row untouched', async () => {
    const archive = join(dir, 'state', 'archive');
    const before152 = filesUnder(join(archive, '152'));
    const cells152 = await cells('152');
    expect((await cells('151')).youtube_status).toBe('completed');

    const killed = await runCli(['erase', '--csv', csv, '--row-id', '151', '--hard', '--yes', '--json'], {
      ...env,
      ARCHIVER_TEST_CRASH_AFTER_ERASE_STEP: '2',
    });
    expect(killed.code, killed.stderr).toBe(-1); // SIGKILL: no exit code
    expect(filesUnder(join(archive, '151'))).toEqual([]);
    await withCatalogue(async (c) => {
      // objects gone, catalogue rows not yet: the journal says so
      expect((await listErasures(c, { rowId: '151' })).map((e) => [e.stepName, e.finishedAt])).toEqual([['objects_deleted', null]]);
      expect(await c.findPeople('151')).toHaveLength(1);
    });
    expect((await cells('151')).youtube_status).toBe('completed');

    const again = await runCli(['erase', '--csv', csv, '--row-id', '151', '--hard', '--yes', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      hard: true,
      erasure: { stepName: 'sheet_cleared', rowId: '151' },
      sheetUpdatesPending: 0,
    });
    await withCatalogue(async (c) => {
      expect(await c.findPeople('151')).toEqual([]);
      expect((await c.listAssets({ rowId: '151', status: 'all' })).items).toEqual([]);
      expect((await c.listAssets({ rowId: '152' })).items.length).toBeGreaterThan(1);
    });
    expect(await cells('151')).toMatchObject({
      row_id: '151',
      name: 'Ana Souza',
      type: TYPE,
      youtube_status: '',
      youtube_files: '',
      youtube_media_id: '',
      last_download_attempt: '',
      download_errors: eraseNote(new Date()),
    });
    expect(filesUnder(join(archive, '151'))).toEqual([]);
    expect(filesUnder(join(archive, '152'))).toEqual(before152);
    expect(await cells('152')).toEqual(cells152);
  });

  it('the next run leaves the erased row alone (reported as erased) until its note is cleared', async () => {
    const archive = join(dir, 'state', 'archive');
    const before152 = filesUnder(join(archive, '152'));
    const again = await runCli(['run', csv, '--json'], env, 120_000);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      jobs: 0,
      skipped: [{ rowNumber: 2, rowId: '151', message: expect.stringMatching(/erased on \d{4}-\d{2}-\d{2}.*clear its download_errors/) }],
    });
    expect(filesUnder(join(archive, '151'))).toEqual([]);
    expect((await cells('151')).download_errors).toBe(eraseNote(new Date()));
    const printed = await runCli(['run', csv], env, 120_000);
    expect(printed.stdout + printed.stderr).toMatch(/Rows skipped \(1\)[\s\S]*151[\s\S]*was erased on/);

    // the owner clears the note: the row's links are archived again
    const lines = readFileSync(csv, 'utf8').split('\n');
    writeFileSync(csv, lines.map((l) => (l.startsWith('151,') ? l.replace(eraseNote(new Date()), '') : l)).join('\n'));
    expect((await cells('151')).download_errors).toBe('');
    const rearchived = await runCli(['run', csv, '--json'], env, 120_000);
    expect(rearchived.code, rearchived.stderr).toBe(0);
    expect(JSON.parse(rearchived.stdout)).toMatchObject({ jobs: 1, skipped: [] });
    expect((await cells('151')).youtube_status).toBe('completed');
    expect(filesUnder(join(archive, '151')).some((f) => f.endsWith('metadata.json'))).toBe(true);
    expect(filesUnder(join(archive, '152'))).toEqual(before152);
  }, 240_000);

  it('soft delete hides the row from lists; catalogue purge removes the files later', async () => {
    const soft = await runCli(['erase', '--csv', csv, '--row-id', '152', '--yes', '--json'], env);
    expect(soft.code, soft.stderr).toBe(0);
    expect(JSON.parse(soft.stdout).deletedAssets).toBeGreaterThan(1);
    const listed = await runCli(['assets', '--row-id', '152', '--json'], env);
    expect(JSON.parse(listed.stdout).assets).toEqual([]);
    const archive = join(dir, 'state', 'archive', '152');
    expect(filesUnder(archive).length).toBeGreaterThan(1);

    const early = await runCli(['catalogue', 'purge', '--older-than', '30d', '--json'], env);
    expect(JSON.parse(early.stdout)).toMatchObject({ assets: 0 });
    expect((await runCli(['catalogue', 'purge', '--older-than', '30 days'], env)).code).toBe(2);
    const purge = await runCli(['catalogue', 'purge', '--older-than', '0s', '--json'], env);
    expect(purge.code, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout).assets).toBeGreaterThan(1);
    expect(filesUnder(archive)).toEqual([]);
  });
});
