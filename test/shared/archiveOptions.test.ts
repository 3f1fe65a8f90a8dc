import { describe, expect, it } from 'vitest';
import { formatArchiveOptions, parseArchiveOptions } from '../../shared/archiveOptions.js';
import { DispatchRowSchema } from '../../shared/schemas.js';
import { planDispatch, validateSheet } from '../../shared/rows.js';

describe('archive_options (design §1)', () => {
  it('reads every key, case-insensitively, separated by ; or whitespace', () => {
    const r = parseArchiveOptions('MODE=Audio;  max_height=720\nsubs=en,pt-BR  Comments=YES');
    expect(r).toEqual({ ok: true, options: { mode: 'audio', maxHeight: 720, subs: ['en', 'pt-BR'], comments: true } });
    expect(parseArchiveOptions('mode=transcript comments=no')).toEqual({
      ok: true,
      options: { mode: 'transcript', comments: false },
    });
    expect(parseArchiveOptions('subs=en.*,-live_chat').options.subs).toEqual(['en.*', '-live_chat']);
  });

  it('treats an empty cell as no overrides', () => {
    expect(parseArchiveOptions('')).toEqual({ ok: true, options: {} });
    expect(parseArchiveOptions(null)).toEqual({ ok: true, options: {} });
    expect(parseArchiveOptions('  ;  ')).toEqual({ ok: true, options: {} });
  });

  it.each([
    ['mode=podcast', 'mode must be one of video, audio, transcript'],
    ['max_height=tall', 'max_height must be a whole number of pixels'],
    ['max_height=100', 'max_height must be between 144 and 4320'],
    ['max_height=9000', 'max_height must be between 144 and 4320'],
    ['subs=en;x', 'expected key=value'],
    ['subs=e n', 'expected key=value'],
    ['subs=en,"fr"', 'is not a subtitle language'],
    ['comments=maybe', 'comments must be yes or no'],
    ['speed=2', 'unknown key "speed"'],
    ['mode=', '"mode" needs a value'],
    ['=audio', 'expected key=value'],
    ['audio', 'expected key=value'],
  ])('refuses %s naming the token', (cell, message) => {
    const r = parseArchiveOptions(cell);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.message).join(' | ')).toContain(message);
    expect(r.problems.every((p) => cell.includes(p.token))).toBe(true);
  });

  it('formats options back into a cell that parses to the same options', () => {
    const options = { mode: 'video' as const, maxHeight: 480, subs: ['en', 'de'], comments: false };
    expect(parseArchiveOptions(formatArchiveOptions(options))).toEqual({ ok: true, options });
  });

  it('rides on the dispatch row; older requests without it stay valid', () => {
    const base = { rowId: '1', rowNumber: 2 };
    expect(DispatchRowSchema.parse(base).archiveOptions).toBeUndefined();
    expect(DispatchRowSchema.parse({ ...base, archiveOptions: { mode: 'audio' } }).archiveOptions).toEqual({ mode: 'audio' });
    expect(DispatchRowSchema.safeParse({ ...base, archiveOptions: { mode: 'loud' } }).success).toBe(false);
    expect(DispatchRowSchema.safeParse({ ...base, archiveOptions: { volume: 3 } }).success).toBe(false);
  });

  it('validate names the row and the token; planning skips the row and carries good options', () => {
    const headers = ['row_id', 'name', 'email', 'type', 'link', 'Archive_Options'];
    const rows = [
      ['1', 'A', '', 'T', 'https://youtu.be/BaW_jenozKc', 'mode=audio'],
      ['2', 'B', '', 'T', 'https://youtu.be/jNQXAC9IVRw', 'mode=loud'],
    ];
    const v = validateSheet(headers, rows);
    expect(v.issues).toEqual([
      expect.objectContaining({ kind: 'bad_options', rowNumber: 3, rowId: '2', message: expect.stringContaining('"mode=loud"') }),
    ]);
    expect(v.linkColumns).toEqual(['link']);
    const plan = planDispatch(headers, rows);
    expect(plan.jobs.map((j) => [j.rowId, j.archiveOptions])).toEqual([['1', { mode: 'audio' }]]);
    expect(plan.skipped).toEqual([expect.objectContaining({ kind: 'bad_options', rowId: '2' })]);
  });
});
