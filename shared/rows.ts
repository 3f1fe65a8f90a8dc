/**
 * Reading rows of a sheet: which links a row holds, which rows are invalid, and which
 * (row, source) pairs need dispatching. Shared by the add-on and the CLI so that both pick
 * the same rows. Runtime-agnostic.
 */
import { SOURCES, mapColumns, readStatus, sourceColumns, type ColumnMap, type SourceName } from './columns.js';
import { MAX_AUTO_ATTEMPTS, MAX_MANUAL_ATTEMPTS, RETRY_POLICIES, parseErrorLines } from './errors.js';
import { parseArchiveOptions, type RowArchiveOptions } from './archiveOptions.js';
import { classifyLink, isMalformedKnownLink, splitLinks } from './links.js';
import type { DispatchRow } from './schemas.js';

/** Default lease after which a row left queued/downloading is dispatched again: 2 h. */
export const DEFAULT_LEASE_MS = 2 * 60 * 60 * 1000;

export interface RowLinks {
  youtube: string[];
  drive: string[];
}

/** Collects a row's links from every non-input, non-tracking column, by source. */
export function rowLinks(map: ColumnMap, row: readonly unknown[], allowedHosts: readonly string[] = []): RowLinks {
  const out: RowLinks = { youtube: [], drive: [] };
  for (const i of map.other) {
    for (const link of splitLinks(row[i])) {
      const source = classifyLink(link, allowedHosts);
      if (source && !out[source].includes(link)) out[source].push(link);
    }
  }
  return out;
}

/** A problem found in the sheet. `rowNumber` is 1-based (the header is row 1); 1 for header problems. */
export interface SheetIssue {
  kind: 'missing_header' | 'empty_row_id' | 'duplicate_row_id' | 'malformed_link' | 'bad_options' | 'erased';
  rowNumber: number;
  rowId: string;
  message: string;
}

function cellText(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return String(v ?? '').trim();
}

/** The row_id → first row number map, and the row_ids that appear more than once or are empty. */
function rowIdIndex(map: ColumnMap, rows: readonly (readonly unknown[])[]) {
  const col = map.input.row_id;
  const seen = new Map<string, number>();
  const duplicates = new Set<string>();
  if (col === undefined) return { seen, duplicates };
  rows.forEach((r, i) => {
    const id = cellText(r[col]);
    if (!id) return;
    if (seen.has(id)) duplicates.add(id);
    else seen.set(id, i + 2);
  });
  return { seen, duplicates };
}

/** The row's `archive_options` problems, each as `archive_options "token": message`. */
function optionProblems(map: ColumnMap, row: readonly unknown[]): string[] {
  const col = map.input.archive_options;
  if (col === undefined) return [];
  const parsed = parseArchiveOptions(row[col]);
  return parsed.ok ? [] : parsed.problems.map((p) => `archive_options "${p.token}": ${p.message}`);
}

/** The row's parsed `archive_options`, or undefined when the column is absent or the cell empty. */
export function rowArchiveOptions(map: ColumnMap, row: readonly unknown[]): RowArchiveOptions | undefined {
  const col = map.input.archive_options;
  if (col === undefined) return undefined;
  const parsed = parseArchiveOptions(row[col]);
  return Object.keys(parsed.options).length ? parsed.options : undefined;
}

function isBlankRow(row: readonly unknown[]): boolean {
  return row.every((c) => cellText(c) === '');
}

/**
 * Checks headers, row_ids and links.
 * @param headers the header row; @param rows the data rows (row 2 onwards).
 * @returns every issue with its 1-based row number, and the link columns found (headers holding at least one link).
 */
export function validateSheet(
  headers: readonly unknown[],
  rows: readonly (readonly unknown[])[],
  allowedHosts: readonly string[] = [],
): { issues: SheetIssue[]; linkColumns: string[]; rowCount: number } {
  const map = mapColumns(headers);
  const issues: SheetIssue[] = map.missingInput.map((h) => ({
    kind: 'missing_header' as const,
    rowNumber: 1,
    rowId: '',
    message: `missing header "${h}"`,
  }));
  const { duplicates } = rowIdIndex(map, rows);
  const idCol = map.input.row_id;
  const linkCols = new Set<number>();
  let rowCount = 0;
  rows.forEach((r, i) => {
    if (isBlankRow(r)) return;
    rowCount++;
    const rowNumber = i + 2;
    const rowId = idCol === undefined ? '' : cellText(r[idCol]);
    if (idCol !== undefined && !rowId) issues.push({ kind: 'empty_row_id', rowNumber, rowId, message: 'row_id is empty' });
    else if (duplicates.has(rowId))
      issues.push({ kind: 'duplicate_row_id', rowNumber, rowId, message: `row_id "${rowId}" appears more than once` });
    for (const p of optionProblems(map, r)) issues.push({ kind: 'bad_options', rowNumber, rowId, message: p });
    for (const c of map.other) {
      for (const link of splitLinks(r[c])) {
        if (classifyLink(link, allowedHosts)) linkCols.add(c);
        else if (isMalformedKnownLink(link))
          issues.push({
            kind: 'malformed_link',
            rowNumber,
            rowId,
            message: `column "${map.headers[c]}": "${link.slice(0, 120)}" is not a valid YouTube or Drive link`,
          });
      }
    }
  });
  return { issues, linkColumns: [...linkCols].sort((a, b) => a - b).map((c) => map.headers[c] ?? ''), rowCount };
}

/**
 * The download_errors note a hard erase leaves (docs/design.md §1, "Erase"): `erased on 2026-12-02`
 * (UTC date). The planner reads it back (erasedOn), so the two agree.
 */
export function eraseNote(at: Date): string {
  return `erased on ${at.toISOString().slice(0, 10)}`;
}

/** The date of an erase note (`erased on 2026-12-02` → `2026-12-02`), or null for any other cell text. */
export function erasedOn(cell: unknown): string | null {
  return /^erased on (\d{4}-\d{2}-\d{2})$/.exec(cellText(cell).trim())?.[1] ?? null;
}

/** Why a (row, source) is picked. `rearchive`: a completed Drive row past `driveRearchiveAfterMs`. */
export type DispatchReason = 'pending' | 'retry' | 'lease_expired' | 'rearchive';

/** One (row, source) to dispatch. */
export interface PlannedJob {
  rowNumber: number;
  rowId: string;
  name: string;
  email: string;
  type: string;
  source: SourceName;
  links: string[];
  attempt: number;
  reason: DispatchReason;
  /** the row's `archive_options`, when it has any */
  archiveOptions?: RowArchiveOptions;
}

export interface PlanOptions {
  sources?: readonly SourceName[];
  allowedHosts?: readonly string[];
  /** ms since epoch */
  now?: number;
  /** rows queued/downloading for longer than this are dispatched again; ms */
  leaseMs?: number;
  /** 'auto': pending, failed with automatic attempts left, expired leases. 'manual': failed rows up to the manual limit too. */
  mode?: 'auto' | 'manual';
  /** only these 1-based row numbers (e.g. the selection) */
  onlyRows?: ReadonlySet<number>;
  /**
   * `DRIVE_REARCHIVE_AFTER`: completed Drive rows whose last_download_attempt is at least this
   * old are due again, so the schedule picks up edited Docs (only changed ones are stored again;
   * docs/catalogue.md "Versions of Docs and Drive files"). ms; unset or ≤ 0: never.
   */
  driveRearchiveAfterMs?: number;
}

function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  const t = Date.parse(String(v ?? ''));
  return Number.isNaN(t) ? NaN : t;
}

/**
 * Picks the (row, source) pairs that need a dispatch, design §1/§4:
 * pending (empty) with a link; failed with attempts left (read from download_errors) in a
 * category that retries automatically (any category in manual mode);
 * queued/downloading past the lease; with `driveRearchiveAfterMs`, completed Drive rows last
 * attempted that long ago (or with no readable time). Rows with an empty or duplicate row_id, bad
 * archive_options, or a hard erase's note (erasedOn) over a pending source are skipped and reported.
 */
export function planDispatch(
  headers: readonly unknown[],
  rows: readonly (readonly unknown[])[],
  opts: PlanOptions = {},
): { jobs: PlannedJob[]; skipped: SheetIssue[] } {
  const map = mapColumns(headers);
  const sources = opts.sources ?? SOURCES;
  const now = opts.now ?? Date.now();
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const rearchiveMs = opts.driveRearchiveAfterMs ?? 0;
  const limit = opts.mode === 'manual' ? MAX_MANUAL_ATTEMPTS : MAX_AUTO_ATTEMPTS;
  const { duplicates } = rowIdIndex(map, rows);
  const col = (name: string) =>
    (map.input as Record<string, number | undefined>)[name] ?? (map.tracking as Record<string, number | undefined>)[name];
  const get = (r: readonly unknown[], name: string) => {
    const c = col(name);
    return c === undefined ? '' : r[c];
  };
  const jobs: PlannedJob[] = [];
  const skipped: SheetIssue[] = [];
  rows.forEach((r, i) => {
    const rowNumber = i + 2;
    if (opts.onlyRows && !opts.onlyRows.has(rowNumber)) return;
    if (isBlankRow(r)) return;
    const links = rowLinks(map, r, opts.allowedHosts);
    if (!sources.some((s) => links[s].length > 0)) return;
    const rowId = cellText(get(r, 'row_id'));
    if (!rowId) {
      skipped.push({ kind: 'empty_row_id', rowNumber, rowId, message: 'row_id is empty: row not dispatched' });
      return;
    }
    if (duplicates.has(rowId)) {
      skipped.push({ kind: 'duplicate_row_id', rowNumber, rowId, message: `row_id "${rowId}" is duplicated: row not dispatched` });
      return;
    }
    const problems = optionProblems(map, r);
    if (problems.length) {
      skipped.push({ kind: 'bad_options', rowNumber, rowId, message: `${problems.join('; ')}: row not dispatched` });
      return;
    }
    const archiveOptions = rowArchiveOptions(map, r);
    const errors = get(r, 'download_errors');
    // A hard-erased row keeps its links (they are the owner's), but is not archived again until
    // someone clears the note: otherwise the next scheduled run would undo the erase.
    const erased = erasedOn(errors);
    if (erased && sources.some((s) => links[s].length > 0 && readStatus(get(r, sourceColumns(s).status)) === 'pending')) {
      skipped.push({
        kind: 'erased',
        rowNumber,
        rowId,
        message: `row_id "${rowId}" was erased on ${erased}: not archived again; clear its download_errors cell to archive its links again`,
      });
      return;
    }
    const lastAttemptAt = toMillis(get(r, 'last_download_attempt'));
    for (const source of sources) {
      if (links[source].length === 0) continue;
      const status = readStatus(get(r, sourceColumns(source).status));
      const line = parseErrorLines(errors).find((l) => l.source === source);
      const prev = line?.attempt ?? 0;
      // Automatic retries only for categories that retry (design §4); a manual retry takes any.
      const retryable = opts.mode === 'manual' || !line || RETRY_POLICIES[line.category].retry;
      let reason: DispatchReason | null = null;
      let attempt = prev + 1;
      if (status === 'pending') reason = 'pending';
      else if (status === 'failed' && retryable && prev < limit) reason = 'retry';
      else if ((status === 'queued' || status === 'downloading') && !(now - lastAttemptAt < leaseMs)) {
        reason = 'lease_expired';
        attempt = Math.max(1, prev + 1);
      } else if (source === 'drive' && status === 'completed' && rearchiveMs > 0 && !(now - lastAttemptAt < rearchiveMs)) {
        reason = 'rearchive';
      }
      if (!reason) continue;
      jobs.push({
        rowNumber,
        rowId,
        name: cellText(get(r, 'name')),
        email: cellText(get(r, 'email')),
        type: String(get(r, 'type') ?? ''),
        source,
        links: links[source],
        attempt: Math.min(attempt, MAX_MANUAL_ATTEMPTS),
        reason,
        ...(archiveOptions ? { archiveOptions } : {}),
      });
    }
  });
  return { jobs, skipped };
}

/**
 * Groups planned jobs into dispatch rows (design §3): one row entry per (row, attempt), so a row
 * whose sources are at different attempts yields two entries.
 */
export function toDispatchRows(jobs: readonly PlannedJob[]): DispatchRow[] {
  const byKey = new Map<string, DispatchRow>();
  for (const j of jobs) {
    const key = `${j.rowNumber}#${j.attempt}`;
    let row = byKey.get(key);
    if (!row) {
      row = {
        rowId: j.rowId,
        rowNumber: j.rowNumber,
        name: j.name,
        email: j.email,
        type: j.type,
        youtube: [],
        drive: [],
        attempt: j.attempt,
      };
      if (j.archiveOptions) row.archiveOptions = { ...j.archiveOptions };
      byKey.set(key, row);
    }
    row[j.source] = [...j.links];
  }
  return [...byKey.values()];
}
