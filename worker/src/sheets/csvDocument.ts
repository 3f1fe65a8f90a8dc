/**
 * A CSV file held as records that remember their original bytes (csv-parse `info.bytes` says where
 * each record ends; the `cast` context's `quoting` says which fields were quoted). An unchanged
 * record is written back verbatim; a changed record keeps the original text of every field it
 * does not change, so quoting, embedded new lines, spaces, a BOM and unicode survive byte for byte.
 * New cell text is quoted by csv-stringify, only when needed.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { mapColumns, type ColumnMap } from '../../../shared/columns.js';
import { ArchiveError } from '../errors.js';

export interface Field {
  v: string;
  q: boolean;
}

export interface CsvRecord {
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

export interface CsvDoc {
  bom: string;
  records: CsvRecord[];
  /** bytes after the last record csv-parse reported (normally none) */
  tail: string;
}

/** CSV field text for a value: quoted (quotes doubled) only when it holds a comma, quote or new line. */
export function encodeField(v: string): string {
  if (v === '') return '';
  return stringify([[v]], { record_delimiter: '' });
}

export function rawOf(f: Field): string {
  return f.q ? `"${f.v.replace(/"/g, '""')}"` : f.v;
}

/**
 * Parses CSV bytes keeping each record's original text. @throws ArchiveError('validation') when
 * csv-parse rejects the file.
 */
export function parseDoc(buf: Buffer, path: string): CsvDoc {
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
    records.push({
      values: record.map((f) => f.v),
      rawFields: exact ? rawFields : null,
      content,
      eol,
      changes: null,
      width: record.length,
    });
  }
  return { bom: hasBom ? '\ufeff' : '', records, tail: buf.subarray(Math.min(prev, buf.length)).toString('utf8') };
}

export function serialize(doc: CsvDoc): string {
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

export function isBlank(r: CsvRecord): boolean {
  return r.values.every((v) => v.trim() === '');
}

export function setCell(r: CsvRecord, col: number, value: string): void {
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

export function cellOf(r: CsvRecord, col: number): string {
  return r.changes?.get(col) ?? r.values[col] ?? '';
}

/** row_id → record index (≥ 1), and the row_ids found more than once. */
export function indexRows(doc: CsvDoc, map: ColumnMap): { index: Map<string, number>; duplicates: Set<string> } {
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
export function addMissingColumns(doc: CsvDoc): string[] {
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

/** Folds a record's changes into its values/raw text (after they were written). */
export function commit(r: CsvRecord): void {
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
