/**
 * Status write-back into a CSV file (design §1): the offline default and the `run` command's
 * tracker. The document model (byte-preserving records) is in csvDocument.ts, locking and atomic
 * writes in csvFile.ts. The 8 tracking columns are appended when missing, after a one-time backup
 * copy. Rows are found by row_id; rows with an empty or duplicated row_id are never written; a
 * type that differs from the dispatched one refuses the update (data_corruption). Formula-looking
 * text is written as it is (CSV has no formulas; RAW in spirit).
 */
import { mapColumns, sourceColumns, type SourceName } from '../../../shared/columns.js';
import { mergeErrorLine } from '../../../shared/errors.js';
import { silentLogger, type Logger } from '../log.js';
import { trackingCells } from './cells.js';
import { addMissingColumns, cellOf, commit, indexRows, serialize, setCell, type CsvDoc } from './csvDocument.js';
import { backup, load, withLock, writeAtomic, type CsvLockOptions } from './csvFile.js';
import type { SheetBackend, StatusUpdate, UpdateOutcome } from './types.js';

export type { CsvLockOptions } from './csvFile.js';
export { trackingCells } from './cells.js';

/** A sheet read from a CSV file: the header row and the data rows (row 2 onwards), as text. */
export interface CsvSheet {
  headers: string[];
  /** data rows in file order; a blank line reads as [''] so indexes match row numbers (row = index + 2) */
  rows: string[][];
}

/**
 * Reads a CSV sheet under the file's lock.
 * @returns the header row and the data rows as text (cells untrimmed).
 * @throws ArchiveError('file_io') when unreadable or locked too long; ('validation') when not CSV.
 */
export async function readCsvSheet(path: string, opts: CsvLockOptions = {}): Promise<CsvSheet> {
  return withLock(path, opts, async () => {
    const doc = await load(path);
    return { headers: doc.records[0]?.values ?? [], rows: doc.records.slice(1).map((r) => [...r.values]) };
  });
}

/** What resetRows did, by row_id. */
export interface ResetResult {
  reset: string[];
  notFound: string[];
  /** empty or duplicated row_ids: never written */
  refused: string[];
}

/**
 * Makes rows pending again, as the add-on's "Reset selected rows" does: clears the given sources'
 * status cells and download_errors lines, and last_download_attempt, for each row_id (under the
 * lock, atomically). The files and media_id cells are kept: the archived files are still there
 * until the next archive replaces the list. Tracking columns that do not exist are left alone.
 * @param sources e.g. ['youtube'] or ['youtube', 'drive'].
 * @throws ArchiveError('file_io' | 'validation') as readCsvSheet.
 */
export async function resetRows(
  path: string,
  rowIds: readonly string[],
  sources: readonly SourceName[],
  opts: CsvLockOptions = {},
): Promise<ResetResult> {
  return withLock(path, opts, async () => {
    const doc = await load(path);
    const map = mapColumns(doc.records[0]?.values ?? []);
    const { index, duplicates } = indexRows(doc, map);
    const out: ResetResult = { reset: [], notFound: [], refused: [] };
    for (const raw of rowIds) {
      const id = raw.trim();
      if (!id || duplicates.has(id)) {
        out.refused.push(raw);
        continue;
      }
      const at = index.get(id);
      if (at === undefined) {
        out.notFound.push(raw);
        continue;
      }
      const r = doc.records[at]!;
      for (const source of sources) {
        const i = map.tracking[sourceColumns(source).status];
        if (i !== undefined) setCell(r, i, '');
        const e = map.tracking.download_errors;
        if (e !== undefined) setCell(r, e, mergeErrorLine(cellOf(r, e), source, null));
      }
      const last = map.tracking.last_download_attempt;
      if (last !== undefined) setCell(r, last, '');
      out.reset.push(raw);
    }
    if (doc.records.some((r) => r.changes)) await writeAtomic(path, serialize(doc));
    return out;
  });
}

/**
 * The CSV backend. `spreadsheetId`/`sheetName` in updates are ignored: the file is the sheet.
 */
export class CsvSheetBackend implements SheetBackend {
  readonly kind = 'csv' as const;
  private readonly log: Logger;

  /** @param path the CSV file (must exist). */
  constructor(
    readonly path: string,
    private readonly opts: CsvLockOptions = {},
  ) {
    this.log = opts.logger ?? silentLogger;
  }

  /**
   * Appends the missing tracking columns, after copying the file to `<file>.bak` (once: a later
   * call finds the columns and does nothing). @throws ArchiveError('file_io' | 'validation').
   */
  async ensureColumns(): Promise<void> {
    await withLock(this.path, this.opts, async () => {
      const doc = await load(this.path);
      await this.addColumnsLocked(doc);
    });
  }

  private async addColumnsLocked(doc: CsvDoc): Promise<boolean> {
    const added = addMissingColumns(doc);
    if (added.length === 0) return false;
    const bak = await backup(this.path);
    await writeAtomic(this.path, serialize(doc));
    this.log.info({ path: this.path, backup: bak, added }, 'tracking columns added to CSV');
    // The caller keeps working on the same doc: its changes are now the file's content.
    for (const r of doc.records) commit(r);
    return true;
  }

  /**
   * Writes the updates in one locked read-modify-write (temp file + rename).
   * @returns one outcome per update: ok with the 1-based row number (header = 1); not_found when
   *   the row_id is absent or empty; data_corruption when the row_id is duplicated or the type
   *   differs from the dispatched one (nothing written for that update).
   * @throws ArchiveError('file_io') when the file cannot be read, locked or written; ('validation') when not CSV.
   */
  async apply(updates: StatusUpdate[]): Promise<UpdateOutcome[]> {
    if (updates.length === 0) return [];
    return withLock(this.path, this.opts, async () => {
      const doc = await load(this.path);
      if (mapColumns(doc.records[0]?.values ?? []).missingTracking.length) await this.addColumnsLocked(doc);
      const map = mapColumns(doc.records[0]?.values ?? []);
      const { index, duplicates } = indexRows(doc, map);
      const idCol = map.input.row_id;
      const typeCol = map.input.type;
      const outcomes: UpdateOutcome[] = updates.map((u) => {
        const id = u.rowId.trim();
        if (idCol === undefined || typeCol === undefined)
          return {
            ok: false,
            category: 'data_corruption',
            message: `${this.path} has no ${idCol === undefined ? 'row_id' : 'type'} column`,
          };
        if (!id) return { ok: false, category: 'not_found', message: 'empty row_id: never written' };
        if (duplicates.has(id))
          return { ok: false, category: 'data_corruption', message: `row_id "${id}" appears more than once: never written` };
        const at = index.get(id);
        if (at === undefined) return { ok: false, category: 'not_found', message: `row_id "${id}" not found in ${this.path}` };
        const r = doc.records[at]!;
        const have = (r.values[typeCol] ?? '').trim();
        if (have !== u.type.trim())
          return {
            ok: false,
            category: 'data_corruption',
            message: `type of row_id "${id}" is "${have}", dispatched "${u.type}": not written`,
          };
        const errCol = map.tracking.download_errors;
        for (const [col, value] of trackingCells(u, map, errCol === undefined ? '' : cellOf(r, errCol))) setCell(r, col, value);
        return { ok: true, rowNumber: at + 1 };
      });
      if (doc.records.some((r) => r.changes)) await writeAtomic(this.path, serialize(doc));
      return outcomes;
    });
  }
}
