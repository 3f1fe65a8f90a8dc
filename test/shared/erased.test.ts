/**
 * A hard erase's note in download_errors (docs/catalogue.md "Erase it"): the shared planner skips
 * such a row, in the schedule's and the menu's mode, and says why once, until the note is
 * cleared; the note the erase writes is the note the planner reads.
 */
import { describe, expect, it } from 'vitest';
import { TRACKING_COLUMNS } from '../../shared/columns.js';
import { erasedOn, eraseNote, planDispatch } from '../../shared/rows.js';

const headers = ['row_id', 'name', 'email', 'type', 'doc', 'video', ...TRACKING_COLUMNS];
const DOC = 'https://docs.google.com/document/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit';
const VIDEO = 'https://youtu.be/dQw4w9WgXcQ';

/** A row with both links; `cells` sets tracking columns by header. */
function row(id: string, cells: Record<string, string>): string[] {
  return headers.map((h, i) => (i === 0 ? id : h === 'doc' ? DOC : h === 'video' ? VIDEO : (cells[h] ?? (i < 4 ? 'x' : ''))));
}

describe('erase notes', () => {
  it('round-trip: erasedOn reads the date eraseNote writes, and nothing else', () => {
    const note = eraseNote(new Date('2026-12-02T23:59:00Z'));
    expect(note).toBe('erased on 2026-12-02');
    expect(erasedOn(note)).toBe('2026-12-02');
    expect(erasedOn(` ${note} `)).toBe('2026-12-02');
    for (const other of ['', 'youtube#1 network: erased on 2026-12-02', 'erased on 2026-12', 'Erased on yesterday', null, 42])
      expect(erasedOn(other)).toBeNull();
  });
});

describe('planDispatch: erased rows', () => {
  const rows = [
    row('151', { download_errors: 'erased on 2026-12-02' }),
    row('152', {}),
    row('153', { download_errors: 'youtube#1 network: connection reset' }),
  ];

  it('skips an erased row in auto and manual mode, with one line that says what to do', () => {
    for (const mode of ['auto', 'manual'] as const) {
      const plan = planDispatch(headers, rows, { mode });
      expect(new Set(plan.jobs.map((j) => j.rowId))).toEqual(new Set(['152', '153']));
      expect(plan.skipped).toEqual([
        {
          kind: 'erased',
          rowNumber: 2,
          rowId: '151',
          message: 'row_id "151" was erased on 2026-12-02: not archived again; clear its download_errors cell to archive its links again',
        },
      ]);
    }
    // the selection alone ("Archive selected rows") is skipped too
    expect(planDispatch(headers, rows, { onlyRows: new Set([2]) })).toMatchObject({ jobs: [], skipped: [{ kind: 'erased' }] });
  });

  it('plans the row again once the note is cleared', () => {
    const plan = planDispatch(headers, [row('151', {})]);
    expect(plan.jobs.map((j) => `${j.rowId} ${j.source} ${j.reason}`).sort()).toEqual(['151 drive pending', '151 youtube pending']);
    expect(plan.skipped).toEqual([]);
  });
});
