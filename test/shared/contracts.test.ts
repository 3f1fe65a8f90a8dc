import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS, columnIndex, columnLetter, mapColumns, quoteSheetName } from '../../shared/columns.js';
import { formatErrorLine, lastAttemptOf, mergeErrorLine, parseErrorLines } from '../../shared/errors.js';
import { backoffMs } from '../../shared/backoff.js';
import { planDispatch, toDispatchRows, validateSheet } from '../../shared/rows.js';
import { DispatchRequestSchema, describeZodError } from '../../shared/schemas.js';
import { bytesToHex, canonicalString, parseSignatureHeader } from '../../shared/signature.js';

const samples = parse(readFileSync(new URL('../fixtures/people.csv', import.meta.url)), { relax_column_count: true }) as string[][];

describe('columns', () => {
  it('letters round-trip past Z', () => {
    expect([0, 25, 26, 51, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'AZ', 'ZZ', 'AAA']);
    for (let i = 0; i < 2000; i++) expect(columnIndex(columnLetter(i))).toBe(i);
    expect(() => columnLetter(-1)).toThrow(RangeError);
  });

  it('finds headers case-insensitively, ignoring spaces, and lists missing tracking columns in order', () => {
    const m = mapColumns([' Row_ID ', 'Name', 'EMAIL', 'type', 'links', 'drive_status']);
    expect(m.input).toEqual({ row_id: 0, name: 1, email: 2, type: 3 });
    expect(m.other).toEqual([4]);
    expect(m.missingTracking).toEqual(TRACKING_COLUMNS.filter((c) => c !== 'drive_status'));
  });

  it('quotes sheet names for A1 ranges', () => {
    expect(quoteSheetName("People's sheet")).toBe("'People''s sheet'");
  });
});

describe('download_errors lines', () => {
  it('formats, parses and merges one line per source', () => {
    const yt = { source: 'youtube' as const, attempt: 2, category: 'rate_limit' as const, message: 'HTTP Error 429: Too Many Requests' };
    expect(formatErrorLine(yt)).toBe('youtube#2 rate_limit: HTTP Error 429: Too Many Requests');
    let cell = mergeErrorLine('', 'drive', { source: 'drive', attempt: 1, category: 'permission', message: 'Drive 403\nsecond line' });
    cell = mergeErrorLine(cell, 'youtube', yt);
    expect(cell).toBe('youtube#2 rate_limit: HTTP Error 429: Too Many Requests\ndrive#1 permission: Drive 403 second line');
    expect(lastAttemptOf(cell, 'youtube')).toBe(2);
    expect(mergeErrorLine(cell, 'youtube', null)).toBe('drive#1 permission: Drive 403 second line');
    expect(parseErrorLines('garbage\nyoutube#x bad')).toEqual([]);
  });

  it('cuts messages to 300 characters', () => {
    const line = formatErrorLine({ source: 'drive', attempt: 1, category: 'network', message: 'x'.repeat(1000) });
    expect(line.length).toBe('drive#1 network: '.length + 300);
  });

  it('one backoff formula: exponential or linear, capped before jitter and scale', () => {
    const exp = { curve: 'exponential', baseMs: 2000, maxMs: 30_000 } as const;
    expect(backoffMs(1, exp)).toBe(2000);
    expect(backoffMs(2, exp)).toBe(4000);
    expect(backoffMs(0, exp)).toBe(2000);
    expect(backoffMs(10, exp)).toBe(30_000);
    expect(backoffMs(3, { curve: 'linear', baseMs: 5000, maxMs: 12_000 })).toBe(12_000);
    expect(backoffMs(2, { curve: 'linear', baseMs: 5000, maxMs: 20_000 }, 0.5)).toBe(5000);
    expect(backoffMs(1, { ...exp, jitter: [0.8, 1.2] }, 1, () => 0)).toBe(1600);
    expect(backoffMs(10, { ...exp, jitter: [0.5, 1.5] }, 1, () => 0.999999)).toBeLessThanOrEqual(45_000);
  });
});

describe('signature', () => {
  it('matches the design example and Apps Script signed bytes', () => {
    const body = '{"dispatchId":"x"}';
    const s = canonicalString(1763716502, 'post', '/v1/dispatch', body);
    expect(s).toBe(`1763716502.POST./v1/dispatch.${body}`);
    const mac = createHmac('sha256', 'secret').update(s).digest();
    const signed = [...mac].map((b) => (b > 127 ? b - 256 : b));
    expect(bytesToHex(signed)).toBe(mac.toString('hex'));
    expect(canonicalString(1763716502, 'GET', '/v1/jobs/j_01', '')).toBe('1763716502.GET./v1/jobs/j_01.');
  });

  it('parses headers strictly', () => {
    expect(parseSignatureHeader(`t=1,v1=${'a'.repeat(64)}`)).toEqual({ t: 1, v1: 'a'.repeat(64) });
    expect(parseSignatureHeader('t=1,v1=zz')).toBeNull();
    expect(parseSignatureHeader(undefined)).toBeNull();
  });
});

describe('dispatch schema', () => {
  it('names the bad field', () => {
    const r = DispatchRequestSchema.safeParse({
      dispatchId: crypto.randomUUID(),
      spreadsheetId: 's',
      sheetId: 0,
      sheetName: 'P',
      rows: [{ rowId: ' ', rowNumber: 2 }],
    });
    expect(r.success).toBe(false);
    expect(describeZodError(r.error!)).toMatch(/^rows\.0\.rowId: row_id must not be empty/);
  });
});

describe('row planning on the sample sheet', () => {
  const [headers, ...rows] = samples;
  it('validates the sample: no missing headers, links found', () => {
    const v = validateSheet(headers!, rows);
    expect(v.issues.filter((i) => i.kind === 'missing_header')).toEqual([]);
    expect(v.linkColumns).toEqual(['link', 'youtube_playlist', 'google_drive']);
    expect(v.rowCount).toBe(30);
  });

  it('plans one job per row and source with links, deduplicating links', () => {
    const { jobs, skipped } = planDispatch(headers!, rows);
    expect(skipped).toEqual([]);
    const emilie = jobs.filter((j) => j.rowId === '109');
    expect(emilie.map((j) => [j.source, j.links.length])).toEqual([
      ['youtube', 1],
      ['drive', 1],
    ]);
    expect(jobs.every((j) => j.attempt === 1 && j.reason === 'pending')).toBe(true);
  });

  it('picks failed rows with attempts left, expired leases, and skips bad row_ids', () => {
    const h = ['row_id', 'name', 'email', 'type', 'link', ...TRACKING_COLUMNS];
    const link = 'https://youtu.be/dQw4w9WgXcQ';
    const now = Date.parse('2026-11-21T12:00:00Z');
    const row = (id: string, status: string, errors = '', last = '') => [id, 'n', 'e', 't', link, status, '', '', '', '', '', last, errors];
    const { jobs, skipped } = planDispatch(
      h,
      [
        row('1', ''),
        row('2', 'failed', 'youtube#1 network: reset'),
        row('3', 'failed', 'youtube#3 network: reset'),
        row('3b', 'failed', 'youtube#1 not_found: Video unavailable'),
        row('4', 'queued', '', '2026-11-21T09:00:00Z'),
        row('5', 'downloading', '', '2026-11-21T11:30:00Z'),
        row('6', 'completed'),
        row('', ''),
        row('7', ''),
        row('7', ''),
      ],
      { now },
    );
    expect(jobs.map((j) => [j.rowId, j.reason, j.attempt])).toEqual([
      ['1', 'pending', 1],
      ['2', 'retry', 2],
      ['4', 'lease_expired', 1],
    ]);
    expect(skipped.map((s) => [s.kind, s.rowNumber])).toEqual([
      ['empty_row_id', 9],
      ['duplicate_row_id', 10],
      ['duplicate_row_id', 11],
    ]);
    // not_found is never retried automatically, but a manual retry takes it
    const manual = planDispatch(h, [row('3', 'failed', 'youtube#3 network: reset'), row('3b', 'failed', 'youtube#1 not_found: gone')], {
      now,
      mode: 'manual',
    });
    expect(manual.jobs.map((j) => [j.rowId, j.attempt])).toEqual([
      ['3', 4],
      ['3b', 2],
    ]);
    expect(toDispatchRows(jobs).map((r) => r.rowId)).toEqual(['1', '2', '4']);
  });
});
