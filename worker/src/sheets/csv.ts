/**
 * Status write-back into a CSV file (design §1): the offline default and the `run` command's tracker.
 *
 * - csv-parse does the parsing; each record's original bytes are kept (csv-parse `info.bytes`
 *   gives where every record ends) together with whether each field was quoted (the `cast`
 *   context's `quoting`). An unchanged record is written back verbatim; a changed record keeps the
 *   original text of every field it does not change, so quoting, embedded new lines (LF inside a
 *   CRLF file), spaces, a BOM and unicode survive byte for byte. New cell text is quoted by
 *   csv-stringify, only when needed; formula-looking text is written as it is.
 * - Every read-modify-write runs under a proper-lockfile lock (`<file>.lock`, a directory made
 *   atomically by mkdir) and re-reads the file inside the lock, so concurrent writers in several
 *   processes lose nothing; the new content goes to a temp file in the same folder, fsync'ed, then
 *   renamed over the original (atomic on POSIX).
 * - The 8 tracking columns are appended when missing, after a one-time backup copy of the file.
 * - Rows are found by row_id; rows with an empty or duplicated row_id are never written; a type
 *   that differs from the dispatched one refuses the update (data_corruption).
 */
import { constants as fsConstants, existsSync } from 'node:fs';
import { copyFile, open, readFile, rename, stat, unlink, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import lockfile from 'proper-lockfile';
import { mapColumns, sourceColumns, type ColumnMap, type SourceName, type TrackingColumn } from '../../../shared/columns.js';
import { mergeErrorLine } from '../../../shared/errors.js';
import { ArchiveError, toArchiveError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { SheetBackend, StatusUpdate, UpdateOutcome } from './types.js';

/** A sheet read from a CSV file: the header row and the data rows (row 2 onwards), as text. */
export interface CsvSheet {
  headers: string[];
  /** data rows in file order; a blank line reads as [''] so indexes match row numbers (row = index + 2) */
  rows: string[][];
}

export interface CsvLockOptions {
  /** a lock older than this (not refreshed by a live holder) is taken over; ms, default 10 000 */
  staleMs?: number;
  /** how long to keep trying for the lock before giving up with file_io; ms, default 60 000 */
  waitMs?: number;
  logger?: Logger;
}

interface Field {
  v: string;
  q: boolean;
}

interface CsvRecord {
  values: string[];
  /** the original text of each field, or null when it could not be reconstructed exactly */
  rawFields: string[] | null;
  /** the record's original text without its delimiter */
  content: string;
  /** its record delimiter: \r\n, \n, \r, or '' for a last line without one */
  eol: string;
  /** new values by column index, when changed */
  changes: Map<number, string> | null;
  /** pad to this many fields when written (new columns) */
  width: number;
}

interface CsvDoc {
  bom: string;
  records: CsvRecord[];
  /** bytes after the last record csv-parse reported (normally none) */
  tail: string;
}

/**
 * The tracking cells one update writes, as [column index, value]: the source's status always;
 * files, media ids and the last attempt when defined; download_errors merged into
 * `currentErrors` (shared/errors.ts mergeErrorLine) when `error` is defined. Tracking columns
 * missing from `map` are skipped. Shared by the CSV and Google backends.
 */
export function trackingCells(u: StatusUpdate, map: ColumnMap, currentErrors: string): [number, string][] {
  const cols = sourceColumns(u.source);
  const out: [number, string][] = [];
  const put = (col: TrackingColumn, v: string) => {
    const c = map.tracking[col];
    if (c !== undefined) out.push([c, v]);
  };
  put(cols.status, u.status);
  if (u.files !== undefined) put(cols.files, u.files.join(','));
  if (u.mediaIds !== undefined) put(cols.mediaId, u.mediaIds.join(','));
  if (u.lastAttempt !== undefined) put('last_download_attempt', u.lastAttempt);
  if (u.error !== undefined) put('download_errors', mergeErrorLine(currentErrors, u.source, u.error));
  return out;
}

/** CSV field text for a value: quoted (quotes doubled) only when it holds a comma, quote or new line. */
function encodeField(v: string): string {
  if (v === '') return '';
  return stringify([[v]], { record_delimiter: '' });
}

function rawOf(f: Field): string {
  return f.q ? `"${f.v.replace(/"/g, '""')}"` : f.v;
}

/**
 * Parses CSV bytes keeping each record's original text. @throws ArchiveError('validation') when
 * csv-parse rejects the file.
 */
function parseDoc(buf: Buffer, path: string): CsvDoc {
  const hasBom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  let parsed: { record: Field[]; info: { bytes: number } }[];
  try {
    parsed = parse(buf, {
      info: true,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      record_delimiter: ['\r\n', '\n', '\r'],
      cast: (value: string, context: { quoting: boolean }) => ({ v: value, q: context.quoting }),
    }) as unknown as { record: Field[]; info: { bytes: number } }[];
  } catch (err) {
    throw new ArchiveError('validation', `${path} is not valid CSV: ${(err as Error).message}`, { cause: err });
  }
  const records: CsvRecord[] = [];
  let prev = hasBom ? 3 : 0;
  for (const { record, info } of parsed) {
    const text = buf.subarray(prev, info.bytes).toString('utf8');
    prev = info.bytes;
    const m = /(\r\n|\n|\r)$/.exec(text);
    const eol = m ? m[1]! : '';
    const content = eol ? text.slice(0, -eol.length) : text;
    const rawFields = record.map(rawOf);
    const exact = rawFields.join(',') === content;
    records.push({ values: record.map((f) => f.v), rawFields: exact ? rawFields : null, content, eol, changes: null, width: record.length });
  }
  return { bom: hasBom ? '\ufeff' : '', records, tail: buf.subarray(Math.min(prev, buf.length)).toString('utf8') };
}

function serialize(doc: CsvDoc): string {
  let out = doc.bom;
  for (const r of doc.records) {
    if (!r.changes && r.width === r.values.length) {
      out += r.content + r.eol;
      continue;
    }
    const fields: string[] = [];
    for (let i = 0; i < r.width; i++) {
      const changed = r.changes?.get(i);
      if (changed !== undefined) fields.push(encodeField(changed));
      else if (i < r.values.length) fields.push(r.rawFields ? r.rawFields[i]! : encodeField(r.values[i]!));
      else fields.push('');
    }
    out += fields.join(',') + r.eol;
  }
  return out + doc.tail;
}

function isBlank(r: CsvRecord): boolean {
  return r.values.every((v) => v.trim() === '');
}

function setCell(r: CsvRecord, col: number, value: string): void {
  if ((col < r.values.length ? r.values[col] : '') === value) {
    // Back to the original text: keep the original field (and its quoting).
    r.changes?.delete(col);
    if (r.changes?.size === 0) r.changes = null;
    return;
  }
  r.changes ??= new Map();
  r.changes.set(col, value);
  r.width = Math.max(r.width, col + 1);
}

function cellOf(r: CsvRecord, col: number): string {
  return r.changes?.get(col) ?? r.values[col] ?? '';
}

/** row_id → record index (≥ 1), and the row_ids found more than once. */
function indexRows(doc: CsvDoc, map: ColumnMap): { index: Map<string, number>; duplicates: Set<string> } {
  const index = new Map<string, number>();
  const duplicates = new Set<string>();
  const col = map.input.row_id;
  if (col === undefined) return { index, duplicates };
  for (let i = 1; i < doc.records.length; i++) {
    const id = (doc.records[i]!.values[col] ?? '').trim();
    if (!id) continue;
    if (index.has(id)) duplicates.add(id);
    else index.set(id, i);
  }
  return { index, duplicates };
}

/**
 * Appends the missing tracking columns after the last used column (the widest record); data
 * records are padded with empty fields so the file stays rectangular. Blank lines stay as they are.
 * @returns the columns added.
 */
function addMissingColumns(doc: CsvDoc): string[] {
  const header = doc.records[0];
  const map = mapColumns(header?.values ?? []);
  if (map.missingTracking.length === 0) return [];
  const used = doc.records.reduce((n, r) => (isBlank(r) && r !== header ? n : Math.max(n, r.values.length)), 0);
  const width = used + map.missingTracking.length;
  if (!header) {
    doc.records.push({ values: [], rawFields: [], content: '', eol: '\n', changes: null, width: 0 });
  }
  const h = doc.records[0]!;
  map.missingTracking.forEach((name, k) => setCell(h, used + k, name));
  for (let i = 1; i < doc.records.length; i++) {
    const r = doc.records[i]!;
    if (!isBlank(r) || r.values.length > 1) r.width = Math.max(r.width, width);
  }
  return map.missingTracking;
}

/**
 * Runs `fn` holding the file's lock (`<path>.lock`, proper-lockfile).
 * @throws ArchiveError('file_io') when the lock cannot be taken within `waitMs`, or the file is missing.
 */
async function withLock<T>(path: string, opts: CsvLockOptions, fn: () => Promise<T>): Promise<T> {
  const log = opts.logger ?? silentLogger;
  const staleMs = opts.staleMs ?? 10_000;
  const waitMs = opts.waitMs ?? 60_000;
  // Retry schedule that adds up to about waitMs (randomised, 10 ms … 250 ms between tries, mostly ~200 ms).
  const retries = Math.max(1, Math.ceil(waitMs / 200));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 2)),
      retries: { retries, factor: 1.2, minTimeout: 10, maxTimeout: 250, randomize: true },
      onCompromised: (err) => log.error({ err, path }, 'CSV lock compromised (held too long or removed)'),
    });
  } catch (err) {
    const e = err as { code?: string };
    if (e.code === 'ELOCKED') throw new ArchiveError('file_io', `${path} is locked by another process (waited ${waitMs} ms)`, { cause: err });
    throw toArchiveError(err, 'file_io');
  }
  try {
    return await fn();
  } finally {
    await release().catch((err: unknown) => log.warn({ err, path }, 'CSV lock release failed'));
  }
}

async function load(path: string): Promise<CsvDoc> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw toArchiveError(err, 'file_io');
  }
  return parseDoc(buf, path);
}

/** temp file in the same folder (same filesystem), fsync, keep the mode, rename over. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const mode = (await stat(path)).mode & 0o7777;
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw toArchiveError(err, 'file_io');
  }
}

/** `<file>.bak`, or `<file>.<stamp>.bak` when an older backup exists (never overwritten). */
async function backup(path: string): Promise<string> {
  let target = `${path}.bak`;
  if (existsSync(target)) target = `${path}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
  try {
    await copyFile(path, target, fsConstants.COPYFILE_EXCL);
  } catch (err) {
    throw toArchiveError(err, 'file_io');
  }
  return target;
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
export async function resetRows(path: string, rowIds: readonly string[], sources: readonly SourceName[], opts: CsvLockOptions = {}): Promise<ResetResult> {
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
          return { ok: false, category: 'data_corruption', message: `${this.path} has no ${idCol === undefined ? 'row_id' : 'type'} column` };
        if (!id) return { ok: false, category: 'not_found', message: 'empty row_id: never written' };
        if (duplicates.has(id)) return { ok: false, category: 'data_corruption', message: `row_id "${id}" appears more than once: never written` };
        const at = index.get(id);
        if (at === undefined) return { ok: false, category: 'not_found', message: `row_id "${id}" not found in ${this.path}` };
        const r = doc.records[at]!;
        const have = (r.values[typeCol] ?? '').trim();
        if (have !== u.type.trim())
          return { ok: false, category: 'data_corruption', message: `type of row_id "${id}" is "${have}", dispatched "${u.type}": not written` };
        const errCol = map.tracking.download_errors;
        for (const [col, value] of trackingCells(u, map, errCol === undefined ? '' : cellOf(r, errCol))) setCell(r, col, value);
        return { ok: true, rowNumber: at + 1 };
      });
      if (doc.records.some((r) => r.changes)) await writeAtomic(this.path, serialize(doc));
      return outcomes;
    });
  }
}

/** Folds a record's changes into its values/raw text (after they were written). */
function commit(r: CsvRecord): void {
  if (!r.changes && r.width === r.values.length) return;
  const values: string[] = [];
  const raws: string[] = [];
  for (let i = 0; i < r.width; i++) {
    const changed = r.changes?.get(i);
    if (changed !== undefined) {
      values.push(changed);
      raws.push(encodeField(changed));
    } else if (i < r.values.length) {
      values.push(r.values[i]!);
      raws.push(r.rawFields ? r.rawFields[i]! : encodeField(r.values[i]!));
    } else {
      values.push('');
      raws.push('');
    }
  }
  r.values = values;
  r.rawFields = raws;
  r.content = raws.join(',');
  r.changes = null;
}
