/**
 * The sheet's columns and statuses (design §1). Runtime-agnostic: bundled into Apps Script too,
 * so no Node APIs, no `URL`, no timers.
 */

/** The two archive sources; each owns three tracking columns. */
export const SOURCES = ['youtube', 'drive'] as const;
export type SourceName = (typeof SOURCES)[number];

/** The input columns, matched by normalised header name. `type` is never written. */
export const INPUT_COLUMNS = ['row_id', 'name', 'email', 'type'] as const;
export type InputColumn = (typeof INPUT_COLUMNS)[number];

/** Optional input columns: read when present, never written, never required (design §1). */
export const OPTIONAL_INPUT_COLUMNS = ['archive_options'] as const;
export type OptionalInputColumn = (typeof OPTIONAL_INPUT_COLUMNS)[number];

/** The 8 tracking columns, in the order they are appended (design §1). */
export const TRACKING_COLUMNS = [
  'youtube_status',
  'youtube_files',
  'youtube_media_id',
  'drive_status',
  'drive_files',
  'drive_media_id',
  'last_download_attempt',
  'download_errors',
] as const;
export type TrackingColumn = (typeof TRACKING_COLUMNS)[number];

/** What the sheet's `<source>_status` cells show. An empty cell means `pending`. */
export const SHEET_STATUSES = ['pending', 'queued', 'downloading', 'completed', 'failed'] as const;
export type SheetStatus = (typeof SHEET_STATUSES)[number];

/** The tracking columns one source owns. */
export function sourceColumns(source: SourceName): {
  status: TrackingColumn;
  files: TrackingColumn;
  mediaId: TrackingColumn;
} {
  return source === 'youtube'
    ? { status: 'youtube_status', files: 'youtube_files', mediaId: 'youtube_media_id' }
    : { status: 'drive_status', files: 'drive_files', mediaId: 'drive_media_id' };
}

/** Header matching rule: case-insensitive, surrounding spaces ignored. */
export function normalizeHeader(header: unknown): string {
  return String(header ?? '')
    .trim()
    .toLowerCase();
}

/** Reads a status cell; anything unknown or empty counts as `pending`. */
export function readStatus(cell: unknown): SheetStatus {
  const v = normalizeHeader(cell);
  return (SHEET_STATUSES as readonly string[]).includes(v) ? (v as SheetStatus) : 'pending';
}

/**
 * Where each known column sits in a header row.
 * @param headers the first row's cells, in sheet order.
 * @returns 0-based indexes of input and tracking columns found (first occurrence wins), the
 *   tracking columns missing (in append order), and every other column as a candidate link column.
 */
export interface ColumnMap {
  input: Partial<Record<InputColumn | OptionalInputColumn, number>>;
  tracking: Partial<Record<TrackingColumn, number>>;
  missingInput: InputColumn[];
  missingTracking: TrackingColumn[];
  /** Indexes of columns that are neither input nor tracking: these may hold links. */
  other: number[];
  /** Header text per index, as written in the sheet. */
  headers: string[];
}

export function mapColumns(headers: readonly unknown[]): ColumnMap {
  const input: ColumnMap['input'] = {};
  const tracking: ColumnMap['tracking'] = {};
  const other: number[] = [];
  headers.forEach((h, i) => {
    const n = normalizeHeader(h);
    if ((INPUT_COLUMNS as readonly string[]).includes(n) || (OPTIONAL_INPUT_COLUMNS as readonly string[]).includes(n)) {
      if (input[n as InputColumn] === undefined) input[n as InputColumn] = i;
    } else if ((TRACKING_COLUMNS as readonly string[]).includes(n)) {
      if (tracking[n as TrackingColumn] === undefined) tracking[n as TrackingColumn] = i;
    } else if (n !== '') {
      other.push(i);
    }
  });
  return {
    input,
    tracking,
    missingInput: INPUT_COLUMNS.filter((c) => input[c] === undefined),
    missingTracking: TRACKING_COLUMNS.filter((c) => tracking[c] === undefined),
    other,
    headers: headers.map((h) => String(h ?? '')),
  };
}

/**
 * Column letter for a 0-based index, as A1 notation spells it: 0 → A, 25 → Z, 26 → AA, 701 → ZZ, 702 → AAA.
 * @throws RangeError for a negative or non-integer index.
 */
export function columnLetter(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`column index ${index} is not a 0-based integer`);
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/**
 * 0-based index for a column letter (A → 0, AA → 26).
 * @throws RangeError when `letters` is not A–Z letters.
 */
export function columnIndex(letters: string): number {
  if (!/^[A-Za-z]+$/.test(letters)) throw new RangeError(`"${letters}" is not a column letter`);
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** A1 sheet-name quoting: 'People''s sheet'!A1 (quotes doubled, always quoted). */
export function quoteSheetName(sheetName: string): string {
  return `'${sheetName.replace(/'/g, "''")}'`;
}
