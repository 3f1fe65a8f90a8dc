/**
 * `catalogue import sheet.csv` (register a sheet's people: name, email, type, the row's links) and
 * `catalogue export --format csv|json` (one row per asset with the person's columns: the migration
 * plan's "step 6" table, Name/Email/Type → content).
 */
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { mapColumns } from '../../../shared/columns.js';
import { classifyLink, splitLinks } from '../../../shared/links.js';
import { readCsvSheet } from '../sheets/csv.js';
import type { Catalogue, ImportedPerson } from './repository.js';

/** What `catalogue import` found in the sheet. */
export interface ImportReport {
  created: number;
  updated: number;
  /** rows without a row_id, or repeating one (1-based sheet row numbers) */
  skipped: { rowNumber: number; reason: string }[];
}

/**
 * Reads the people of a CSV sheet (docs/design.md §1 columns, found by header name) and registers them.
 * @param spreadsheetId the id the rows' jobs carry: a Google spreadsheet id, or `csv:<path>` for `run`
 * @throws ArchiveError('validation') when the sheet has no row_id column
 */
export async function importSheet(
  catalogue: Catalogue,
  path: string,
  o: { spreadsheetId: string; sheetName?: string; allowedHosts?: string[] },
): Promise<ImportReport> {
  const sheet = await readCsvSheet(path);
  const map = mapColumns(sheet.headers);
  const col = (name: 'row_id' | 'name' | 'email' | 'type') => map.input[name];
  if (col('row_id') === undefined) {
    const { ArchiveError } = await import('../errors.js');
    throw new ArchiveError('validation', `${path}: no "row_id" column; every row needs a unique row_id`);
  }
  const people: ImportedPerson[] = [];
  const skipped: ImportReport['skipped'] = [];
  const seen = new Set<string>();
  sheet.rows.forEach((r, i) => {
    const rowNumber = i + 2;
    const cell = (c: number | undefined) => (c === undefined ? '' : unescapeFormula((r[c] ?? '').trim()));
    const rowId = cell(col('row_id'));
    if (!rowId) {
      if (r.some((v) => v.trim())) skipped.push({ rowNumber, reason: 'empty row_id' });
      return;
    }
    if (seen.has(rowId)) {
      skipped.push({ rowNumber, reason: `row_id ${rowId} repeats an earlier row` });
      return;
    }
    seen.add(rowId);
    const links: ImportedPerson['links'] = [];
    for (const c of map.other) {
      for (const url of splitLinks(r[c])) if (classifyLink(url, o.allowedHosts ?? [])) links.push({ column: map.headers[c] ?? '', url });
    }
    // the type label is kept exactly as written (docs/design.md §1: never altered), once the
    // export's formula guard is taken off
    const type = col('type') === undefined ? '' : unescapeFormula(r[col('type')!] ?? '');
    people.push({
      spreadsheetId: o.spreadsheetId,
      sheetName: o.sheetName ?? basename(path),
      rowId,
      rowNumber,
      name: cell(col('name')),
      email: cell(col('email')),
      type,
      links,
    });
  });
  const { created, updated } = await catalogue.importPeople(people);
  return { created, updated, skipped };
}

/**
 * The export's guard against CSV injection (OWASP "CSV Injection"): a text cell starting with
 * `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a spreadsheet opening the
 * file shows it as text instead of running it as a formula. Titles and uploaders come from the
 * media sites, so they are not ours to trust. csv-stringify's `escape_formulas` does it; numbers
 * (a negative one) are left alone.
 */
const CSV_OPTIONS = { escape_formulas: true } as const;

/**
 * Takes the export's guard off a cell read back by `catalogue import`: `'=x` → `=x`. A sheet saved
 * as CSV by Google Sheets never starts a cell that way (the apostrophe is not part of the value).
 */
export function unescapeFormula(v: string): string {
  return /^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v;
}

/** The export's columns, in order: the person's first, then the asset's. */
export const EXPORT_COLUMNS = [
  'spreadsheet_id',
  'sheet_name',
  'row_id',
  'name',
  'email',
  'type',
  'source',
  'media_id',
  'kind',
  'title',
  'uploader',
  'duration_s',
  'link',
  'asset_id',
  'object_key',
  'storage_url',
  'file_name',
  'size_bytes',
  'sha256',
  'md5',
  'revision',
  'archived_at',
  'tags',
  'note',
] as const;

/**
 * Writes every stored asset with its person's columns to `out`, streaming (bounded memory).
 * CSV: RFC 4180 with a header row, tags joined by `;`, formula-like text cells prefixed with `'`
 * (CSV_OPTIONS). JSON: one array of objects, values as stored.
 * @returns the number of rows written
 */
export async function exportCatalogue(catalogue: Catalogue, format: 'csv' | 'json', out: Writable): Promise<number> {
  const write = (s: string) => new Promise<void>((res, rej) => out.write(s, (err) => (err ? rej(err) : res())));
  let n = 0;
  if (format === 'csv') await write(stringify([[...EXPORT_COLUMNS]]));
  else await write('[');
  for await (const a of catalogue.exportRows()) {
    const row: Record<(typeof EXPORT_COLUMNS)[number], string | number | null> = {
      spreadsheet_id: a.spreadsheetId,
      sheet_name: a.sheetName,
      row_id: a.rowId,
      name: a.name,
      email: a.email,
      type: a.type,
      source: a.source,
      media_id: a.mediaId,
      kind: a.kind,
      title: a.title,
      uploader: a.uploader,
      duration_s: a.duration,
      link: a.link,
      asset_id: a.assetId,
      object_key: a.objectKey,
      storage_url: a.storageUrl,
      file_name: a.fileName,
      size_bytes: a.size,
      sha256: a.sha256,
      md5: a.md5,
      revision: a.revision,
      archived_at: a.archivedAt,
      tags: format === 'csv' ? a.tags.join(';') : null,
      note: a.note,
    };
    if (format === 'csv') await write(stringify([EXPORT_COLUMNS.map((c) => row[c] ?? '')], CSV_OPTIONS));
    else await write(`${n ? ',' : ''}\n${JSON.stringify({ ...row, tags: a.tags })}`);
    n++;
  }
  if (format === 'json') await write(n ? '\n]\n' : ']\n');
  return n;
}
