/**
 * Status write-back into Google Sheets through `googleapis` Sheets v4 (design §1).
 *
 * Per `apply()` call and spreadsheet: one or two `values:batchGet` (header row + the target rows,
 * or the row_id/type/download_errors columns when the rows must be found again), then exactly ONE
 * `values:batchUpdate` with valueInputOption RAW that touches only tracking cells.
 *
 * The row is found by row_id: the row_id column is read once per sheet and cached
 * (row_id → row number); when a cached row no longer holds its row_id (rows inserted or deleted
 * above) the column is read again. A row whose `type` differs from the dispatched one is refused as
 * `data_corruption` and nothing is written to it.
 *
 * Requests back off on 429 and 5xx (exponential with jitter, honouring Retry-After) — gaxios does
 * not retry POSTs by default and its GET retries are turned off here so that one policy applies.
 */
// The Sheets module alone, not the googleapis root (which loads every Google API, ~100 MiB RSS).
import { sheets, type sheets_v4 } from 'googleapis/build/src/apis/sheets/index.js';
import type { Auth } from 'googleapis';
import { backoffMs } from '../../../shared/backoff.js';
import { columnLetter, mapColumns, quoteSheetName, type ColumnMap } from '../../../shared/columns.js';
import type { ErrorCategory } from '../../../shared/errors.js';
import { ArchiveError, toArchiveError } from '../errors.js';
import { googleErrorInfo } from '../google/apiErrors.js';
import { silentLogger, type Logger } from '../log.js';
import { trackingCells } from './cells.js';
import type { SheetBackend, StatusUpdate, UpdateOutcome } from './types.js';

/** The OAuth scope the backend needs. */
export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/** An auth client the backend accepts: a service-account GoogleAuth or an OAuth2Client. */
export type SheetsAuth = Auth.GoogleAuth | Auth.OAuth2Client;

/** Retry policy for each HTTP request. Delays are milliseconds. */
export interface SheetsRetryOptions {
  /** attempts per request, including the first; default 5 */
  tries?: number;
  /** first backoff; default 500 */
  baseMs?: number;
  /** backoff cap; default 16 000 */
  maxMs?: number;
  /** a Retry-After longer than this is not waited for here: the error is thrown with retryAfterMs; default 30 000 */
  maxRetryAfterMs?: number;
  /** jitter source in [0,1); default Math.random */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface GoogleSheetsBackendOptions {
  auth: SheetsAuth;
  /** API root, e.g. the stand-in's http://127.0.0.1:PORT/; default https://sheets.googleapis.com/ */
  rootUrl?: string;
  logger?: Logger;
  retry?: SheetsRetryOptions;
  /** More distinct row runs than this in one read → read the key columns instead; default 40 */
  maxRowRuns?: number;
}

/** What the backend knows about one sheet (tab). */
interface SheetState {
  headers: string[];
  map: ColumnMap;
  /** row_id → 1-based row number; null until the row_id column has been read */
  index: Map<string, number> | null;
  duplicates: Set<string>;
}

/** Cells read for one row: a full row, or only the key columns (sparse). */
type RowCells = Map<number, string[]>;

interface Member {
  i: number;
  update: StatusUpdate;
  guess: number | undefined;
  row?: number;
}

const KEY_SEP = '\u0000';

export class GoogleSheetsBackend implements SheetBackend {
  readonly kind = 'google' as const;
  private readonly api: sheets_v4.Sheets;
  private readonly log: Logger;
  private readonly retry: Required<SheetsRetryOptions>;
  private readonly maxRowRuns: number;
  private readonly states = new Map<string, SheetState>();
  /** spreadsheetId → sheetId → current title (learned when a range stopped parsing) */
  private readonly titles = new Map<string, Map<number, string>>();
  private readonly ensuring = new Map<string, Promise<void>>();

  /**
   * @param opts.auth a GoogleAuth (service account) or an OAuth2Client, as google/auth.ts builds
   *   them; @param opts.rootUrl points the client elsewhere (tests: the stand-in).
   */
  constructor(opts: GoogleSheetsBackendOptions) {
    this.api = sheets({ version: 'v4', auth: opts.auth, ...(opts.rootUrl ? { rootUrl: opts.rootUrl } : {}) });
    this.log = opts.logger ?? silentLogger;
    this.maxRowRuns = opts.maxRowRuns ?? 40;
    this.retry = {
      tries: opts.retry?.tries ?? 5,
      baseMs: opts.retry?.baseMs ?? 500,
      maxMs: opts.retry?.maxMs ?? 16_000,
      maxRetryAfterMs: opts.retry?.maxRetryAfterMs ?? 30_000,
      random: opts.retry?.random ?? Math.random,
      sleep: opts.retry?.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    };
  }

  /**
   * Appends the missing tracking headers (design §1 order) after the last used column of the
   * sheet, growing the grid first when needed (spreadsheets.batchUpdate appendDimension), then
   * writing the headers with values.update RAW. Headers are matched case-insensitively. Idempotent.
   * Mirrors https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/update.
   * @throws ArchiveError('not_found') when the sheet does not exist; network/rate_limit/quota/permission on API failure.
   */
  async ensureColumns(target: { spreadsheetId: string; sheetName: string }): Promise<void> {
    const key = this.key(target.spreadsheetId, target.sheetName);
    const running = this.ensuring.get(key);
    if (running) return running;
    const p = this.doEnsureColumns(target.spreadsheetId, target.sheetName).finally(() => this.ensuring.delete(key));
    this.ensuring.set(key, p);
    return p;
  }

  private async doEnsureColumns(spreadsheetId: string, title: string): Promise<void> {
    const ss = await this.call('spreadsheets.get', () =>
      this.api.spreadsheets.get(
        { spreadsheetId, fields: 'sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))' },
        { retry: false },
      ),
    );
    const props = (ss.sheets ?? []).map((s) => s.properties).find((p) => p?.title === title);
    if (!props) throw new ArchiveError('not_found', `sheet "${title}" not found in spreadsheet ${spreadsheetId}`);
    const q = quoteSheetName(title);
    const all = await this.call('values.get', () => this.api.spreadsheets.values.get({ spreadsheetId, range: q }, { retry: false }));
    const rows = (all.values ?? []) as unknown[][];
    const header = (rows[0] ?? []).map((v) => String(v ?? ''));
    const map = mapColumns(header);
    if (map.missingTracking.length > 0) {
      const lastUsed = rows.reduce((n, r) => Math.max(n, r.length), 0);
      const end = lastUsed + map.missingTracking.length; // exclusive, 0-based
      const columnCount = props.gridProperties?.columnCount ?? 26;
      if (end > columnCount) {
        await this.call('spreadsheets.batchUpdate', () =>
          this.api.spreadsheets.batchUpdate(
            {
              spreadsheetId,
              requestBody: {
                requests: [{ appendDimension: { sheetId: props.sheetId ?? 0, dimension: 'COLUMNS', length: end - columnCount } }],
              },
            },
            { retry: false },
          ),
        );
      }
      const range = `${q}!${columnLetter(lastUsed)}1:${columnLetter(end - 1)}1`;
      await this.call('values.update', () =>
        this.api.spreadsheets.values.update(
          {
            spreadsheetId,
            range,
            valueInputOption: 'RAW',
            requestBody: { range, majorDimension: 'ROWS', values: [[...map.missingTracking]] },
          },
          { retry: false },
        ),
      );
      this.log.info({ spreadsheetId, sheet: title, added: map.missingTracking }, 'tracking columns added');
      for (let k = 0; k < map.missingTracking.length; k++) header[lastUsed + k] = map.missingTracking[k]!;
      for (let k = 0; k < lastUsed; k++) header[k] ??= '';
    }
    const prev = this.states.get(this.key(spreadsheetId, title));
    this.states.set(this.key(spreadsheetId, title), {
      headers: header,
      map: mapColumns(header),
      index: prev?.index ?? null,
      duplicates: prev?.duplicates ?? new Set(),
    });
  }

  /**
   * Writes the updates' tracking cells: per spreadsheet, reads the header and the target rows
   * (values:batchGet), verifies row_id and type, merges download_errors with mergeErrorLine, and
   * sends ONE values:batchUpdate (valueInputOption RAW) holding only tracking cells.
   * Mirrors https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/batchUpdate
   * and .../spreadsheets.values/batchGet.
   * @returns one outcome per update, same order: `{ok, rowNumber}` (1-based), or refused as
   *   data_corruption (type/row_id mismatch, duplicated row_id, no row_id/type column) or
   *   not_found (row_id, sheet or spreadsheet gone). Refused rows are not written.
   * @throws ArchiveError('rate_limit' | 'network' | 'quota' | 'permission' | 'validation') when a
   *   request failed after its retries; the caller keeps the whole batch and retries it.
   */
  async apply(updates: StatusUpdate[]): Promise<UpdateOutcome[]> {
    const outcomes: (UpdateOutcome | undefined)[] = new Array(updates.length);
    const bySpreadsheet = new Map<string, number[]>();
    updates.forEach((u, i) => {
      const list = bySpreadsheet.get(u.spreadsheetId) ?? [];
      list.push(i);
      bySpreadsheet.set(u.spreadsheetId, list);
    });
    for (const [spreadsheetId, idxs] of bySpreadsheet) {
      await this.applySpreadsheet(
        spreadsheetId,
        idxs.map((i) => ({ i, update: updates[i]!, guess: undefined })),
        outcomes,
        true,
      );
    }
    return outcomes.map((o, i) => o ?? { ok: false, category: 'not_found', message: `row_id "${updates[i]!.rowId}" was not written` });
  }

  private async applySpreadsheet(
    spreadsheetId: string,
    members: Member[],
    outcomes: (UpdateOutcome | undefined)[],
    mayRefreshTitles: boolean,
  ): Promise<void> {
    const refuse = (m: Member, category: 'data_corruption' | 'not_found', message: string) => {
      outcomes[m.i] = { ok: false, category, message };
    };
    const live: Member[] = [];
    for (const m of members) {
      if (!m.update.rowId.trim()) refuse(m, 'not_found', 'empty row_id: never written');
      else live.push(m);
    }
    // Group by sheet title (a renamed tab is followed through its sheetId once learned).
    const bySheet = new Map<string, Member[]>();
    for (const m of live) {
      const title = this.titles.get(spreadsheetId)?.get(m.update.sheetId) ?? m.update.sheetName;
      const list = bySheet.get(title) ?? [];
      list.push(m);
      bySheet.set(title, list);
    }
    if (bySheet.size === 0) return;

    try {
      // Round 0: headers of sheets never seen.
      const unknown = [...bySheet.keys()].filter((t) => !this.states.has(this.key(spreadsheetId, t)));
      if (unknown.length) {
        const res = await this.batchGet(
          spreadsheetId,
          unknown.map((t) => `${quoteSheetName(t)}!1:1`),
        );
        unknown.forEach((t, k) => this.setHeaders(spreadsheetId, t, (res[k]?.values?.[0] ?? []) as unknown[]));
      }
      for (const t of bySheet.keys()) {
        if (this.states.get(this.key(spreadsheetId, t))!.map.missingTracking.length)
          await this.ensureColumns({ spreadsheetId, sheetName: t });
      }

      // Round 1: header + guessed rows (or the key columns when there is no index yet).
      // Round 2 (only when a cached row moved): the key columns.
      const cells = new Map<string, RowCells>();
      const pending = new Map<string, Member[]>(bySheet);
      for (let round = 1; round <= 2 && pending.size > 0; round++) {
        const ranges: string[] = [];
        const plan: { title: string; kind: 'header' | 'column' | 'rows'; col?: number; from?: number }[] = [];
        for (const [title, ms] of pending) {
          const st = this.states.get(this.key(spreadsheetId, title))!;
          const q = quoteSheetName(title);
          ranges.push(`${q}!1:1`);
          plan.push({ title, kind: 'header' });
          const useColumns = round === 2 || st.index === null;
          if (!useColumns) {
            for (const m of ms)
              m.guess = st.index!.get(m.update.rowId.trim()) ?? (m.update.rowNumberHint >= 2 ? m.update.rowNumberHint : undefined);
          }
          const runs = useColumns ? [] : toRuns(ms.map((m) => m.guess).filter((g): g is number => g !== undefined));
          if (useColumns || runs.length > this.maxRowRuns) {
            for (const col of keyColumns(st.map)) {
              ranges.push(`${q}!${columnLetter(col)}:${columnLetter(col)}`);
              plan.push({ title, kind: 'column', col });
            }
          } else {
            for (const [a, b] of runs) {
              ranges.push(`${q}!${a}:${b}`);
              plan.push({ title, kind: 'rows', from: a });
            }
          }
        }
        const res = await this.batchGet(spreadsheetId, ranges);
        const columnRead = new Set<string>();
        plan.forEach((p, k) => {
          const values = (res[k]?.values ?? []) as unknown[][];
          const sheetCells = cells.get(p.title) ?? new Map<number, string[]>();
          cells.set(p.title, sheetCells);
          if (p.kind === 'header') this.setHeaders(spreadsheetId, p.title, values[0] ?? []);
          else if (p.kind === 'rows') values.forEach((row, r) => sheetCells.set(p.from! + r, row.map(cellText)));
          else {
            columnRead.add(p.title);
            values.forEach((row, r) => {
              if (r === 0) return;
              const arr = sheetCells.get(r + 1) ?? [];
              arr[p.col!] = cellText(row[0]);
              sheetCells.set(r + 1, arr);
            });
          }
        });
        const next = new Map<string, Member[]>();
        for (const [title, ms] of pending) {
          const st = this.states.get(this.key(spreadsheetId, title))!;
          const idCol = st.map.input.row_id;
          const typeCol = st.map.input.type;
          if (idCol === undefined || typeCol === undefined) {
            for (const m of ms) refuse(m, 'data_corruption', `sheet "${title}" has no ${idCol === undefined ? 'row_id' : 'type'} column`);
            continue;
          }
          const sheetCells = cells.get(title)!;
          if (columnRead.has(title)) this.rebuildIndex(st, sheetCells, idCol);
          for (const m of ms) {
            const rowId = m.update.rowId.trim();
            if (columnRead.has(title)) {
              if (st.duplicates.has(rowId))
                refuse(m, 'data_corruption', `row_id "${rowId}" appears more than once in "${title}": never written`);
              else if (!st.index!.has(rowId)) refuse(m, 'not_found', `row_id "${rowId}" not found in "${title}"`);
              else m.row = st.index!.get(rowId)!;
              continue;
            }
            if (m.guess !== undefined && (sheetCells.get(m.guess)?.[idCol] ?? '').trim() === rowId && !st.duplicates.has(rowId))
              m.row = m.guess;
            else next.set(title, [...(next.get(title) ?? []), m]);
          }
        }
        pending.clear();
        for (const [t, ms] of next) pending.set(t, ms);
      }
      for (const ms of pending.values()) for (const m of ms) refuse(m, 'not_found', `row_id "${m.update.rowId}" could not be found`);
      // Tracking columns deleted since we last looked: add them back (appended, so the cells read stay valid).
      for (const title of bySheet.keys()) {
        if (this.states.get(this.key(spreadsheetId, title))!.map.missingTracking.length)
          await this.ensureColumns({ spreadsheetId, sheetName: title });
      }

      // Verify type, build the tracking cells, one batchUpdate.
      const data: sheets_v4.Schema$ValueRange[] = [];
      const written: Member[] = [];
      for (const [title, ms] of bySheet) {
        const st = this.states.get(this.key(spreadsheetId, title))!;
        const sheetCells = cells.get(title) ?? new Map<number, string[]>();
        const typeCol = st.map.input.type;
        const errCol = st.map.tracking.download_errors;
        const rowWrites = new Map<number, Map<number, string>>();
        for (const m of ms) {
          if (m.row === undefined || outcomes[m.i]) continue;
          const read = sheetCells.get(m.row) ?? [];
          const have = (read[typeCol!] ?? '').trim();
          if (have !== m.update.type.trim()) {
            refuse(
              m,
              'data_corruption',
              `type of row_id "${m.update.rowId}" (row ${m.row}) is "${have}", dispatched "${m.update.type}": not written`,
            );
            continue;
          }
          const w = rowWrites.get(m.row) ?? new Map<number, string>();
          rowWrites.set(m.row, w);
          for (const [col, value] of trackingCells(m.update, st.map, errCol === undefined ? '' : (w.get(errCol) ?? read[errCol] ?? '')))
            w.set(col, value);
          written.push(m);
        }
        const q = quoteSheetName(title);
        for (const [row, w] of [...rowWrites].sort((a, b) => a[0] - b[0])) {
          const cols = [...w.keys()].sort((a, b) => a - b);
          for (const [a, b] of toRuns(cols)) {
            const vals: string[] = [];
            for (let c = a; c <= b; c++) vals.push(w.get(c)!);
            data.push({
              range: `${q}!${columnLetter(a)}${row}${a === b ? '' : `:${columnLetter(b)}${row}`}`,
              majorDimension: 'ROWS',
              values: [vals],
            });
          }
        }
      }
      if (data.length) {
        await this.call('values.batchUpdate', () =>
          this.api.spreadsheets.values.batchUpdate({ spreadsheetId, requestBody: { valueInputOption: 'RAW', data } }, { retry: false }),
        );
        this.log.debug({ spreadsheetId, updates: written.length, ranges: data.length }, 'status cells written');
      }
      for (const m of written) outcomes[m.i] = { ok: true, rowNumber: m.row! };
    } catch (err) {
      const e = toArchiveError(err, 'system');
      if (e.category === 'not_found') {
        // The spreadsheet is gone (or not shared): every update to it is refused, not retried forever.
        for (const m of live) if (!outcomes[m.i]) refuse(m, 'not_found', e.message);
        return;
      }
      if (e.category === 'validation' && /Unable to parse range/i.test(e.message) && mayRefreshTitles) {
        // A tab was renamed or deleted: learn the titles by sheetId and try once more.
        await this.refreshTitles(spreadsheetId);
        const known = this.titles.get(spreadsheetId)!;
        const retry: Member[] = [];
        for (const m of live) {
          if (outcomes[m.i]) continue;
          if (known.has(m.update.sheetId)) retry.push({ ...m, guess: undefined });
          else refuse(m, 'not_found', `sheet ${m.update.sheetId} ("${m.update.sheetName}") no longer exists`);
        }
        if (retry.length) await this.applySpreadsheet(spreadsheetId, retry, outcomes, false);
        return;
      }
      throw e;
    }
  }

  private async refreshTitles(spreadsheetId: string): Promise<void> {
    const ss = await this.call('spreadsheets.get', () =>
      this.api.spreadsheets.get({ spreadsheetId, fields: 'sheets.properties(sheetId,title)' }, { retry: false }),
    );
    const m = new Map<number, string>();
    for (const s of ss.sheets ?? []) if (s.properties?.title != null) m.set(s.properties.sheetId ?? 0, s.properties.title);
    this.titles.set(spreadsheetId, m);
  }

  private setHeaders(spreadsheetId: string, title: string, header: unknown[]): void {
    const key = this.key(spreadsheetId, title);
    const headers = header.map(cellText);
    const prev = this.states.get(key);
    if (prev && prev.headers.length === headers.length && prev.headers.every((h, k) => h === headers[k])) return;
    // Columns moved: the index (row numbers) is still valid, the column map is not.
    this.states.set(key, { headers, map: mapColumns(headers), index: prev?.index ?? null, duplicates: prev?.duplicates ?? new Set() });
  }

  private rebuildIndex(st: SheetState, sheetCells: RowCells, idCol: number): void {
    const index = new Map<string, number>();
    const duplicates = new Set<string>();
    for (const [row, arr] of [...sheetCells].sort((a, b) => a[0] - b[0])) {
      if (row < 2) continue;
      const id = (arr[idCol] ?? '').trim();
      if (!id) continue;
      if (index.has(id)) duplicates.add(id);
      else index.set(id, row);
    }
    st.index = index;
    st.duplicates = duplicates;
  }

  private async batchGet(spreadsheetId: string, ranges: string[]): Promise<sheets_v4.Schema$ValueRange[]> {
    const res = await this.call('values.batchGet', () =>
      this.api.spreadsheets.values.batchGet({ spreadsheetId, ranges, majorDimension: 'ROWS' }, { retry: false }),
    );
    return res.valueRanges ?? [];
  }

  /** Runs one request with the retry policy; returns its response body. */
  private async call<T>(what: string, fn: () => Promise<{ data: T }>): Promise<T> {
    const r = this.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await fn()).data;
      } catch (err) {
        const c = classifyApiError(err);
        const tooLong = c.retryAfterMs !== undefined && c.retryAfterMs > r.maxRetryAfterMs;
        if (!c.retryable || attempt >= r.tries || tooLong) {
          throw new ArchiveError(c.category, `Sheets ${what}: ${c.message}`, {
            cause: err,
            ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}),
          });
        }
        const wait = backoffMs(attempt, { curve: 'exponential', baseMs: r.baseMs, maxMs: r.maxMs, jitter: [0.5, 1.5] }, 1, r.random);
        const delay = Math.max(c.retryAfterMs ?? 0, wait);
        this.log.warn({ what, status: c.status, attempt, delayMs: delay }, 'Sheets request failed; backing off');
        await r.sleep(delay);
      }
    }
  }

  private key(spreadsheetId: string, title: string): string {
    return `${spreadsheetId}${KEY_SEP}${title}`;
  }
}

/** The columns read to find rows again: row_id, type, download_errors. */
function keyColumns(map: ColumnMap): number[] {
  const cols = [map.input.row_id, map.input.type, map.tracking.download_errors].filter((c): c is number => c !== undefined);
  return [...new Set(cols)];
}

/** Sorted unique numbers → inclusive runs of consecutive numbers. */
function toRuns(nums: number[]): [number, number][] {
  const sorted = [...new Set(nums)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

function cellText(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** How a failed Sheets request is classified (design §4 categories). */
export interface ApiErrorClass {
  category: ErrorCategory;
  retryable: boolean;
  status: number | undefined;
  message: string;
  retryAfterMs: number | undefined;
}

/**
 * Classifies a gaxios error: 429 → rate_limit (quota when a daily limit), 403 rate-limit reasons →
 * rate_limit, other 403/401 → permission, 404 → not_found, 400 → validation, 408/5xx and
 * transport errors → network. Retry-After (seconds or HTTP date) becomes retryAfterMs.
 */
export function classifyApiError(err: unknown): ApiErrorClass {
  const { status, reasons, message, retryAfterMs } = googleErrorInfo(err);
  const mk = (category: ErrorCategory, retryable: boolean): ApiErrorClass => ({ category, retryable, status, message, retryAfterMs });
  if (status === undefined) {
    const a = toArchiveError(err, 'network');
    return mk(a.category === 'file_io' ? 'network' : a.category, true);
  }
  if (status === 429) return mk(/per day|daily/i.test(message) ? 'quota' : 'rate_limit', true);
  if (status === 403 && reasons.some((r) => /rateLimitExceeded|RATE_LIMIT_EXCEEDED|userRateLimitExceeded/i.test(r)))
    return mk('rate_limit', true);
  if (status === 403 && reasons.some((r) => /quotaExceeded|dailyLimitExceeded/i.test(r))) return mk('quota', true);
  if (status === 401 || status === 403) return mk('permission', false);
  if (status === 404) return mk('not_found', false);
  if (status === 408 || status >= 500) return mk('network', true);
  return mk('validation', false);
}
