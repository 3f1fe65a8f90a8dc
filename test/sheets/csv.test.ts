import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { silentLogger } from '../../worker/src/log.js';
import { CsvSheetBackend, readCsvSheet, resetRows } from '../../worker/src/sheets/csv.js';
import type { StatusUpdate } from '../../worker/src/sheets/types.js';

const PEOPLE = fileURLToPath(new URL('../fixtures/people.csv', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Splits CSV bytes into each record's original text (delimiter included), via csv-parse's byte offsets. */
function rawRecords(buf: Buffer): string[] {
  const recs = parse(buf, {
    info: true,
    relax_column_count: true,
    skip_empty_lines: false,
    record_delimiter: ['\r\n', '\n', '\r'],
  }) as unknown as { info: { bytes: number } }[];
  let prev = 0;
  return recs.map((r) => {
    const s = buf.subarray(prev, r.info.bytes).toString('utf8');
    prev = r.info.bytes;
    return s;
  });
}

function upd(rowId: string, type: string, extra: Partial<StatusUpdate> = {}): StatusUpdate {
  return {
    spreadsheetId: 'csv',
    sheetId: 0,
    sheetName: 'csv',
    rowId,
    type,
    rowNumberHint: 0,
    source: 'youtube',
    status: 'completed',
    ...extra,
  };
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'csv-backend-'));
  file = join(dir, 'people.csv');
  copyFileSync(PEOPLE, file);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('CSV backend', () => {
  it('adds the 8 tracking columns once, after one backup copy', async () => {
    const original = readFileSync(file);
    const b = new CsvSheetBackend(file, { logger: silentLogger });
    await b.ensureColumns();
    await b.ensureColumns();
    await b.apply([upd('101', 'FF-Fi/Se-CP/B(S) #4')]);
    await b.ensureColumns();
    const sheet = await readCsvSheet(file);
    expect(sheet.headers).toEqual([
      'row_id',
      'name',
      'email',
      'type',
      'link',
      'youtube_playlist',
      'google_drive',
      'notes',
      ...TRACKING_COLUMNS,
    ]);
    expect(readdirSync(dir).sort()).toEqual(['people.csv', 'people.csv.bak']);
    expect(readFileSync(join(dir, 'people.csv.bak')).equals(original)).toBe(true);
    // every data row is padded to the new width
    for (const r of sheet.rows) expect(r).toHaveLength(16);
  });

  it('apply() adds missing columns by itself, and finds headers case-insensitively', async () => {
    writeFileSync(file, ' ROW_ID ,Type,link,Youtube_Status\n1,A,x,\n');
    const b = new CsvSheetBackend(file);
    expect(await b.apply([upd('1', 'A', { files: ['k'] })])).toEqual([{ ok: true, rowNumber: 2 }]);
    const s = await readCsvSheet(file);
    expect(s.headers).toEqual([' ROW_ID ', 'Type', 'link', 'Youtube_Status', ...TRACKING_COLUMNS.filter((c) => c !== 'youtube_status')]);
    expect(s.rows[0]!.slice(0, 5)).toEqual(['1', 'A', 'x', 'completed', 'k']);
  });

  it('keeps untouched cells byte for byte: quoting, embedded new lines, CRLF, unicode, spaces', async () => {
    const original = readFileSync(file);
    const before = rawRecords(original);
    const b = new CsvSheetBackend(file);
    const rows = parse(original, { relax_column_count: true }) as string[][];
    const typeOf = (id: string) => rows.find((r) => r[0] === id)![3]!;
    // 105 and 115 hold quoted multi-line cells; 109/119/125 unicode; 117 leading/trailing spaces.
    const targets = ['105', '109', '115', '117', '119', '125'];
    await b.apply(
      targets.map((id) =>
        upd(id, typeOf(id), { files: [`${id}/youtube/x/ä ö.mp4`, 'b,c'], mediaIds: ['x'], lastAttempt: '2026-11-21T09:15:02Z' }),
      ),
    );
    await b.apply([
      upd('105', typeOf('105'), {
        source: 'drive',
        status: 'failed',
        error: { source: 'drive', attempt: 2, category: 'permission', message: 'line 1\nline "2"' },
      }),
    ]);
    const after = rawRecords(readFileSync(file));
    expect(after).toHaveLength(before.length);
    before.forEach((rec, i) => {
      const eol = /(\r\n|\n|\r)$/.exec(rec)?.[1] ?? '';
      const content = rec.slice(0, rec.length - eol.length);
      const now = after[i]!;
      // the original fields, byte for byte, then the tracking fields, then the same line ending
      expect(now.startsWith(i === 0 ? content + ',youtube_status,' : content + ','), `record ${i}`).toBe(true);
      expect(now.endsWith(eol)).toBe(true);
      const id = rows[i]![0]!;
      if (i > 0 && !targets.includes(id)) expect(now).toBe(content + ',,,,,,,,' + eol);
    });
    // the new cells read back exactly
    const s = await readCsvSheet(file);
    const r105 = s.rows.find((r) => r[0] === '105')!;
    expect(r105.slice(8)).toEqual([
      'completed',
      '105/youtube/x/ä ö.mp4,b,c',
      'x',
      'failed',
      '',
      '',
      '2026-11-21T09:15:02Z',
      'drive#2 permission: line 1 line "2"',
    ]);
    expect(r105[5]).toBe('https://www.youtube.com/live/BaW_jenozKc\nhttps://www.youtube.com/watch?v=9bZkp7q19f0');
    expect(s.rows.find((r) => r[0] === '117')![1]).toBe(' Igor Petrov ');
  });

  it('writes formula-looking text as it is (no quote prefix, no escaping beyond CSV quoting)', async () => {
    const b = new CsvSheetBackend(file);
    await b.apply([
      upd('101', 'FF-Fi/Se-CP/B(S) #4', {
        files: ['=1+1'],
        mediaIds: ['+cmd|calc'],
        error: { source: 'youtube', attempt: 1, category: 'network', message: '=HYPERLINK("http://x.test","click")' },
      }),
    ]);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(',completed,=1+1,+cmd|calc,,,,,"youtube#1 network: =HYPERLINK(""http://x.test"",""click"")"\r\n');
    const r = (await readCsvSheet(file)).rows.find((x) => x[0] === '101')!;
    expect(r[15]).toBe('youtube#1 network: =HYPERLINK("http://x.test","click")');
  });

  it('refuses a changed type (data_corruption), a missing row (not_found), empty and duplicated row_ids — writing nothing', async () => {
    writeFileSync(file, 'row_id,type,link\n1,A,x\n2,B,y\n2,B,z\n,C,w\n');
    const b = new CsvSheetBackend(file);
    await b.ensureColumns();
    const before = readFileSync(file);
    const out = await b.apply([upd('1', 'Z'), upd('9', 'A'), upd('2', 'B'), upd('', 'C'), upd('  ', 'C')]);
    expect(out.map((o) => (o.ok ? 'ok' : o.category))).toEqual([
      'data_corruption',
      'not_found',
      'data_corruption',
      'not_found',
      'not_found',
    ]);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('merges download_errors per source and keeps the other source’s line', async () => {
    const b = new CsvSheetBackend(file);
    const t = 'FF-Fi/Se-CP/B(S) #4';
    await b.apply([
      upd('101', t, { status: 'failed', error: { source: 'youtube', attempt: 1, category: 'rate_limit', message: 'HTTP Error 429' } }),
    ]);
    await b.apply([
      upd('101', t, { source: 'drive', status: 'failed', error: { source: 'drive', attempt: 1, category: 'not_found', message: '404' } }),
    ]);
    await b.apply([upd('101', t, { status: 'failed', error: { source: 'youtube', attempt: 2, category: 'network', message: 'reset' } })]);
    let r = (await readCsvSheet(file)).rows[0]!;
    expect(r[15]).toBe('youtube#2 network: reset\ndrive#1 not_found: 404');
    await b.apply([upd('101', t, { error: null })]);
    r = (await readCsvSheet(file)).rows[0]!;
    expect(r[15]).toBe('drive#1 not_found: 404');
    expect(r[8]).toBe('completed');
  });

  it('resetRows clears a source’s status, error line and last attempt, keeps its files; refuses empty ids', async () => {
    const b = new CsvSheetBackend(file);
    const t = 'FF-Fi/Se-CP/B(S) #4';
    await b.apply([
      upd('101', t, {
        status: 'failed',
        files: ['a'],
        mediaIds: ['m'],
        lastAttempt: '2026-11-21T09:15:02Z',
        error: { source: 'youtube', attempt: 3, category: 'network', message: 'x' },
      }),
      upd('101', t, { source: 'drive', status: 'completed', files: ['d'], mediaIds: ['dm'] }),
    ]);
    const res = await resetRows(file, ['101', 'nope', ''], ['youtube']);
    expect(res).toEqual({ reset: ['101'], notFound: ['nope'], refused: [''] });
    const r = (await readCsvSheet(file)).rows[0]!;
    expect(r.slice(8)).toEqual(['', 'a', 'm', 'completed', 'd', 'dm', '', '']);
  });

  it('two processes writing at once lose nothing', async () => {
    const n = 40;
    const lines = ['row_id,name,type,link'];
    for (let i = 1; i <= n; i++) lines.push(`${i},"Name, ${i}",T${i},https://youtu.be/abcdefghijk`);
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    const ids = Array.from({ length: n }, (_, i) => String(i + 1));
    const child = (source: string) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/sheets/csvWriterChild.ts'), file, source, ...ids], {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child ${source} exited ${code}: ${err}`))));
      });
    await Promise.all([child('youtube'), child('drive')]);
    const s = await readCsvSheet(file);
    expect(s.rows).toHaveLength(n);
    for (const r of s.rows) {
      const id = r[0]!;
      expect(r[1]).toBe(`Name, ${id}`);
      expect(r.slice(4)).toEqual([
        'completed',
        `${id}/youtube/m1/f.mp4`,
        `youtube-${id}`,
        'completed',
        `${id}/drive/m1/f.mp4`,
        `drive-${id}`,
        '',
        `youtube#1 network: youtube line for ${id}\ndrive#1 network: drive line for ${id}`,
      ]);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bak'))).toHaveLength(1);
  }, 30_000);
});
