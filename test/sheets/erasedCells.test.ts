/**
 * The erase's projection onto the tracking cells (sheets/cells.ts): an `erased` update clears the
 * source's status, files and media id cells and last_download_attempt and sets download_errors to
 * its note; a later update without it (a new archive) supersedes it in the outbox.
 */
import { describe, expect, it } from 'vitest';
import { mapColumns, TRACKING_COLUMNS } from '../../shared/columns.js';
import { mergeUpdates } from '../../worker/src/report/outbox.js';
import { trackingCells } from '../../worker/src/sheets/cells.js';
import type { StatusUpdate } from '../../worker/src/sheets/types.js';

const map = mapColumns(['row_id', 'name', 'email', 'type', 'video', ...TRACKING_COLUMNS]);
const base: StatusUpdate = {
  spreadsheetId: 's',
  sheetId: 0,
  sheetName: 'People',
  rowId: '151',
  type: 'T',
  rowNumberHint: 2,
  source: 'youtube',
  status: 'pending',
};
const header = (c: number) => ['row_id', 'name', 'email', 'type', 'video', ...TRACKING_COLUMNS][c];

describe('erased cells', () => {
  it('clears the source cells and writes the note, whatever else the update says', () => {
    const cells = trackingCells(
      { ...base, status: 'completed', files: ['a'], mediaIds: ['m'], erased: 'erased on 2026-12-02' },
      map,
      'youtube#1 network: x',
    );
    expect(Object.fromEntries(cells.map(([c, v]) => [header(c), v]))).toEqual({
      youtube_status: '',
      youtube_files: '',
      youtube_media_id: '',
      last_download_attempt: '',
      download_errors: 'erased on 2026-12-02',
    });
  });

  it('a newer update without `erased` supersedes the erase; a newer erase supersedes an update', () => {
    const erased = { ...base, files: [], mediaIds: [], erased: 'erased on 2026-12-02' };
    const requeued = mergeUpdates(erased, { ...base, status: 'queued' });
    expect(requeued.erased).toBeUndefined();
    expect(requeued.status).toBe('queued');
    expect(mergeUpdates({ ...base, status: 'completed', files: ['a'] }, erased).erased).toBe('erased on 2026-12-02');
  });
});
