/**
 * DRIVE_REARCHIVE_AFTER (issue 10 item 8): the shared planner makes completed Drive rows due
 * again once last_download_attempt is at least that old, with a fixed `now`; and the duration
 * syntax the env var and the add-on setting share.
 */
import { describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { parseDuration } from '../../shared/duration.js';
import { planDispatch } from '../../shared/rows.js';
import { loadConfig } from '../../worker/src/config/env.js';

const headers = ['row_id', 'name', 'email', 'type', 'doc', 'video', ...TRACKING_COLUMNS];
const DOC = 'https://docs.google.com/document/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit';
const VIDEO = 'https://youtu.be/dQw4w9WgXcQ';
const now = Date.parse('2026-11-21T12:00:00Z');

/** A row with both links; `cells` sets tracking columns by header. */
function row(id: string, cells: Record<string, string>): string[] {
  return headers.map((h, i) => (i === 0 ? id : h === 'doc' ? DOC : h === 'video' ? VIDEO : (cells[h] ?? (i < 4 ? 'x' : ''))));
}

const rows = [
  row('old', { drive_status: 'completed', youtube_status: 'completed', last_download_attempt: '2026-11-13T12:00:00Z' }),
  row('edge', { drive_status: 'completed', youtube_status: 'completed', last_download_attempt: '2026-11-14T12:00:00Z' }),
  row('recent', { drive_status: 'completed', youtube_status: 'completed', last_download_attempt: '2026-11-20T12:00:00Z' }),
  row('undated', { drive_status: 'completed', youtube_status: 'completed' }),
  row('failed', {
    drive_status: 'failed',
    youtube_status: 'completed',
    download_errors: 'drive#3 network: reset',
    last_download_attempt: '2026-11-01T00:00:00Z',
  }),
];

describe('planDispatch: driveRearchiveAfterMs', () => {
  it('makes completed Drive rows due again after the interval, never YouTube ones', () => {
    const { jobs } = planDispatch(headers, rows, { now, driveRearchiveAfterMs: parseDuration('7d')! });
    expect(jobs.map((j) => [j.rowId, j.source, j.reason, j.attempt])).toEqual([
      ['old', 'drive', 'rearchive', 1],
      ['edge', 'drive', 'rearchive', 1],
      ['undated', 'drive', 'rearchive', 1],
    ]);
    expect(jobs[0]!.links).toEqual([DOC]);
  });

  it('picks nothing completed when unset (the default) or before the interval', () => {
    expect(planDispatch(headers, rows, { now }).jobs).toEqual([]);
    const later = planDispatch(headers, rows, { now, driveRearchiveAfterMs: parseDuration('30d')! });
    expect(later.jobs.map((j) => j.rowId)).toEqual(['undated']);
  });
});

describe('parseDuration', () => {
  it('reads one number and unit, and refuses anything else', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration(' 12H ')).toBe(12 * 3_600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '7', 'd', '0d', '-1d', '7 days', '1y']) expect(parseDuration(bad)).toBeNull();
  });
});

describe('DRIVE_REARCHIVE_AFTER', () => {
  it('is a duration in ms, unset means never, and a bad value names the variable', () => {
    expect(loadConfig({ DRIVE_REARCHIVE_AFTER: '7d' }).env.DRIVE_REARCHIVE_AFTER).toBe(7 * 86_400_000);
    expect(loadConfig({}).env.DRIVE_REARCHIVE_AFTER).toBeUndefined();
    expect(() => loadConfig({ DRIVE_REARCHIVE_AFTER: 'weekly' })).toThrow(/DRIVE_REARCHIVE_AFTER/);
  });
});
