/**
 * A local stand-in for the Google Sheets API v4 REST surface the worker uses (design §7), over the
 * shared in-memory SheetModel (the Apps Script vm harness sees the same cells).
 *
 * It answers, as https://developers.google.com/sheets/api/reference/rest documents them:
 * - GET  /v4/spreadsheets/{id}                         spreadsheets.get (`fields` honoured loosely)
 * - POST /v4/spreadsheets/{id}:batchUpdate             appendDimension, insertDimension, deleteDimension
 * - GET  /v4/spreadsheets/{id}/values/{range}          spreadsheets.values.get
 * - GET  /v4/spreadsheets/{id}/values:batchGet         repeated `ranges`
 * - PUT  /v4/spreadsheets/{id}/values/{range}          spreadsheets.values.update
 * - POST /v4/spreadsheets/{id}/values/{range}:append   spreadsheets.values.append
 * - POST /v4/spreadsheets/{id}/values:batchUpdate      {valueInputOption, data:[{range, values}]}
 * - POST /v4/spreadsheets/{id}/values:batchClear
 *
 * A1 ranges: quoted sheet names (`'People''s sheet'!A1:Z`), whole columns (`A:A`, `A2:A`), whole
 * rows (`1:1`), a bare sheet name (the whole sheet), column letters past Z. majorDimension ROWS or
 * COLUMNS. Responses trim trailing empty rows and cells. valueRenderOption FORMATTED_VALUE (default),
 * UNFORMATTED_VALUE, FORMULA. valueInputOption RAW stores strings as they are; USER_ENTERED parses
 * numbers and booleans, strips a leading `'`, and stores `=…` as a formula (its display value is
 * the label of a HYPERLINK, else the formula text: there is no calculation engine).
 *
 * Also: a Bearer token is required (401 UNAUTHENTICATED otherwise); write and read quotas per window
 * (429 RESOURCE_EXHAUSTED, Google's error body); writes past the grid fail as Google's do (400);
 * injectable faults (status and/or delay for the next N matching requests); a request log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { columnIndex, columnLetter } from '../../shared/columns.js';
import { SheetModel, type CellValue, type SheetData, type SpreadsheetData } from './sheetModel.js';
import { applyFieldMask, parseFieldMask } from './fieldMask.js';

/** Which API method a request called. */
export type SheetsOp =
  | 'spreadsheets.get'
  | 'spreadsheets.batchUpdate'
  | 'values.get'
  | 'values.batchGet'
  | 'values.update'
  | 'values.append'
  | 'values.batchUpdate'
  | 'values.batchClear'
  | 'unknown';

const WRITE_OPS: ReadonlySet<SheetsOp> = new Set([
  'spreadsheets.batchUpdate',
  'values.update',
  'values.append',
  'values.batchUpdate',
  'values.batchClear',
]);

/** One logged request. `ranges` are decoded A1 strings (path range, `ranges` query, body data ranges). */
export interface LoggedRequest {
  /** ms since epoch, when the request arrived */
  at: number;
  method: string;
  /** decoded path, e.g. /v4/spreadsheets/s1/values/'People'!A1:B2 */
  path: string;
  op: SheetsOp;
  spreadsheetId: string;
  ranges: string[];
  query: Record<string, string[]>;
  /** parsed JSON body, or undefined */
  body: unknown;
  /** HTTP status answered */
  status: number;
  /** true for write methods (values.update/append/batchUpdate/batchClear, spreadsheets.batchUpdate) */
  write: boolean;
}

/** A fault for the next `times` matching requests: answer `status` (Google error body), and/or wait `delayMs` first. */
export interface Fault {
  times: number;
  status?: number;
  delayMs?: number;
  /** adds a Retry-After header (seconds) to a faulted answer */
  retryAfterSeconds?: number;
  match?: (req: { method: string; op: SheetsOp; path: string }) => boolean;
}

export interface SheetsStandInOptions {
  model?: SheetModel;
  /** accepted Bearer tokens; default ['test-token'] */
  tokens?: string[];
  /** write requests allowed per quota window before 429; default unlimited */
  writesPerMinute?: number;
  /** read requests allowed per quota window before 429; default unlimited */
  readsPerMinute?: number;
  /** the quota window, ms; default 60 000 (tests shorten it) */
  quotaWindowMs?: number;
  /** Retry-After seconds sent with quota 429s; default none (Google sends none for Sheets) */
  retryAfterSeconds?: number;
  /** grid size of sheets that have none recorded; default 1000 × 26 as a new Google sheet */
  defaultRowCount?: number;
  defaultColumnCount?: number;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: unknown[],
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const FAULT_MESSAGES: Record<number, string> = {
  500: 'Internal error encountered.',
  502: 'Bad Gateway',
  503: 'The service is currently unavailable.',
  504: 'Deadline exceeded.',
  429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
};

/** A parsed A1 range: 0-based inclusive bounds; an open end runs to the grid's edge. */
interface A1 {
  sheet: SheetData;
  r0: number;
  c0: number;
  r1: number;
  c1: number;
  /** whether each end was given (a write must stay inside given bounds) */
  boundedRows: boolean;
  boundedCols: boolean;
}

/**
 * Sheet name as Google prints it in a response range: bare when it is a simple identifier that
 * cannot be read as a cell reference, quoted (quotes doubled) otherwise.
 */
export function a1SheetName(title: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(title) && !/^[A-Za-z]{1,3}[0-9]+$/.test(title)) return title;
  return `'${title.replace(/'/g, "''")}'`;
}

export class SheetsStandIn {
  readonly model: SheetModel;
  /** Every request answered, in arrival order. */
  readonly requests: LoggedRequest[] = [];
  /** rootUrl for `google.sheets({ version: 'v4', auth, rootUrl })`, e.g. http://127.0.0.1:40123/ */
  url = '';
  private server: Server | null = null;
  private readonly tokens: Set<string>;
  private faults: Fault[] = [];
  private writeTimes: number[] = [];
  private readTimes: number[] = [];
  private readonly grids = new Map<string, { rows: number; cols: number }>();
  private readonly opts: SheetsStandInOptions;

  constructor(opts: SheetsStandInOptions = {}) {
    this.opts = { ...opts };
    this.model = opts.model ?? new SheetModel();
    this.tokens = new Set(opts.tokens ?? ['test-token']);
  }

  /** Creates and starts a stand-in on 127.0.0.1 with a random port. */
  static async start(opts: SheetsStandInOptions = {}): Promise<SheetsStandIn> {
    const s = new SheetsStandIn(opts);
    await s.listen();
    return s;
  }

  /** Starts listening on 127.0.0.1, random port. */
  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendError(res, new HttpError(500, 'INTERNAL', `stand-in failure: ${String(err)}`));
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Queues a fault for the next `times` matching requests. */
  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Changes the quotas (undefined: unlimited) and restarts the counting window. */
  setQuota(q: { writesPerMinute?: number; readsPerMinute?: number; quotaWindowMs?: number; retryAfterSeconds?: number }): void {
    Object.assign(this.opts, q);
    this.writeTimes = [];
    this.readTimes = [];
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  /** Logged write requests (any status). */
  writeRequests(): LoggedRequest[] {
    return this.requests.filter((r) => r.write);
  }

  /** A sheet's grid size (rows × columns): the recorded size, grown to hold its data. */
  grid(sh: SheetData): { rows: number; cols: number } {
    const g = this.grids.get(this.gridKey(sh)) ?? { rows: this.opts.defaultRowCount ?? 1000, cols: this.opts.defaultColumnCount ?? 26 };
    return { rows: Math.max(g.rows, this.model.lastRow(sh), sh.values.length), cols: Math.max(g.cols, this.model.lastColumn(sh)) };
  }

  /** Sets a sheet's grid size. */
  setGrid(sh: SheetData, rows: number, cols: number): void {
    this.grids.set(this.gridKey(sh), { rows, cols });
  }

  private gridKey(sh: SheetData): string {
    for (const ss of this.model.spreadsheets.values()) if (ss.sheets.includes(sh)) return `${ss.spreadsheetId}:${sh.sheetId}`;
    return `?:${sh.sheetId}`;
  }

  // ───────────────────────────────────────── request handling

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
    const entry: LoggedRequest = {
      at: Date.now(),
      method,
      path,
      op: 'unknown',
      spreadsheetId: '',
      ranges: [],
      query,
      body: undefined,
      status: 0,
      write: false,
    };
    this.requests.push(entry);
    try {
      if (rawBody.length) {
        try {
          entry.body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          throw new HttpError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
        }
      }
      const route = this.route(method, url.pathname);
      entry.op = route.op;
      entry.spreadsheetId = route.spreadsheetId;
      entry.write = WRITE_OPS.has(route.op);
      if (route.range !== undefined) entry.ranges.push(route.range);
      entry.ranges.push(...(query['ranges'] ?? []));
      const data = (entry.body as { data?: { range?: unknown }[]; ranges?: unknown[] } | undefined) ?? {};
      if (Array.isArray(data.data)) for (const d of data.data) entry.ranges.push(String(d?.range ?? ''));
      if (Array.isArray(data.ranges)) for (const r of data.ranges) entry.ranges.push(String(r));

      const auth = req.headers['authorization'] ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(Array.isArray(auth) ? (auth[0] ?? '') : auth);
      if (!m || !this.tokens.has(m[1]!.trim()))
        throw new HttpError(
          401,
          'UNAUTHENTICATED',
          m
            ? 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
            : 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );

      const fi = this.faults.findIndex((f) => f.times > 0 && (!f.match || f.match({ method, op: route.op, path })));
      if (fi >= 0) {
        const f = this.faults[fi]!;
        f.times--;
        if (f.times <= 0) this.faults.splice(fi, 1);
        if (f.delayMs) await sleep(f.delayMs);
        if (f.status) {
          const headers: Record<string, string> = f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {};
          throw new HttpError(f.status, STATUS_NAMES[f.status] ?? 'UNKNOWN', FAULT_MESSAGES[f.status] ?? `HTTP ${f.status}`, headers);
        }
      }

      this.checkQuota(entry.write);
      if (route.op === 'unknown') throw new HttpError(404, 'NOT_FOUND', `The stand-in does not serve ${method} ${url.pathname}`);
      const ss = this.model.spreadsheet(route.spreadsheetId);
      if (!ss) throw new HttpError(404, 'NOT_FOUND', 'Requested entity was not found.');
      const out = this.dispatch(route.op, ss, route.range, query, entry.body);
      entry.status = 200;
      send(res, 200, out);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'INTERNAL', `Internal error encountered. (${String(err)})`);
      entry.status = e.code;
      this.sendError(res, e);
    }
  }

  private route(method: string, pathname: string): { op: SheetsOp; spreadsheetId: string; range?: string } {
    // Path segments stay encoded until split, so a range holding '/' or ':' cannot confuse routing.
    const m = /^\/v4\/spreadsheets\/([^/:]+)(.*)$/.exec(pathname);
    if (!m) return { op: 'unknown', spreadsheetId: '' };
    const id = decodeURIComponent(m[1]!);
    const rest = m[2]!;
    if (rest === '' && method === 'GET') return { op: 'spreadsheets.get', spreadsheetId: id };
    if (rest === ':batchUpdate' && method === 'POST') return { op: 'spreadsheets.batchUpdate', spreadsheetId: id };
    if (rest === '/values:batchGet' && method === 'GET') return { op: 'values.batchGet', spreadsheetId: id };
    if (rest === '/values:batchUpdate' && method === 'POST') return { op: 'values.batchUpdate', spreadsheetId: id };
    if (rest === '/values:batchClear' && method === 'POST') return { op: 'values.batchClear', spreadsheetId: id };
    const v = /^\/values\/(.+)$/.exec(rest);
    if (v) {
      const enc = v[1]!;
      const decodedWhole = decodeURIComponent(enc);
      // `:append` is a custom method suffix after the (encoded) range.
      if (method === 'POST' && /:append$/.test(enc))
        return { op: 'values.append', spreadsheetId: id, range: decodeURIComponent(enc.replace(/:append$/, '')) };
      if (method === 'GET') return { op: 'values.get', spreadsheetId: id, range: decodedWhole };
      if (method === 'PUT') return { op: 'values.update', spreadsheetId: id, range: decodedWhole };
    }
    return { op: 'unknown', spreadsheetId: id };
  }

  private checkQuota(write: boolean): void {
    const windowMs = this.opts.quotaWindowMs ?? 60_000;
    const limit = write ? this.opts.writesPerMinute : this.opts.readsPerMinute;
    const times = write ? this.writeTimes : this.readTimes;
    const now = Date.now();
    while (times.length && times[0]! <= now - windowMs) times.shift();
    if (limit !== undefined && times.length >= limit) {
      const kind = write ? 'Write' : 'Read';
      const headers: Record<string, string> =
        this.opts.retryAfterSeconds !== undefined ? { 'retry-after': String(this.opts.retryAfterSeconds) } : {};
      throw new HttpError(
        429,
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric '${kind} requests' and limit '${kind} requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.`,
        headers,
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'RATE_LIMIT_EXCEEDED',
            domain: 'googleapis.com',
            metadata: {
              service: 'sheets.googleapis.com',
              quota_metric: `sheets.googleapis.com/${kind.toLowerCase()}_requests`,
              quota_limit: `${kind}RequestsPerMinutePerUser`,
              quota_limit_value: String(limit),
              consumer: 'projects/0',
            },
          },
          {
            '@type': 'type.googleapis.com/google.rpc.Help',
            links: [{ description: 'Request a higher quota limit.', url: 'https://cloud.google.com/docs/quota#requesting_higher_quota' }],
          },
        ],
      );
    }
    times.push(now);
  }

  private sendError(res: ServerResponse, e: HttpError): void {
    const error: Record<string, unknown> = { code: e.code, message: e.message, status: e.status };
    if (e.details) error['details'] = e.details;
    send(res, e.code, { error }, e.headers);
  }

  private dispatch(op: SheetsOp, ss: SpreadsheetData, range: string | undefined, query: Record<string, string[]>, body: unknown): unknown {
    const b = (body ?? {}) as Record<string, unknown>;
    const q1 = (k: string) => query[k]?.[0];
    switch (op) {
      case 'spreadsheets.get':
        return this.spreadsheetResource(ss, q1('fields'));
      case 'values.get':
        return this.readRange(ss, range!, q1('majorDimension'), q1('valueRenderOption'));
      case 'values.batchGet': {
        const ranges = query['ranges'] ?? [];
        return {
          spreadsheetId: ss.spreadsheetId,
          valueRanges: ranges.map((r) => this.readRange(ss, r, q1('majorDimension'), q1('valueRenderOption'))),
        };
      }
      case 'values.update': {
        const opt = requireInputOption(q1('valueInputOption'));
        const resp = this.writeRange(ss, range!, b['values'], String(b['majorDimension'] ?? 'ROWS'), opt);
        return { spreadsheetId: ss.spreadsheetId, ...resp };
      }
      case 'values.append': {
        const opt = requireInputOption(q1('valueInputOption'));
        return this.append(ss, range!, b['values'], String(b['majorDimension'] ?? 'ROWS'), opt);
      }
      case 'values.batchUpdate': {
        const opt = requireInputOption(typeof b['valueInputOption'] === 'string' ? (b['valueInputOption'] as string) : undefined);
        const data = b['data'];
        if (!Array.isArray(data)) throw new HttpError(400, 'INVALID_ARGUMENT', "Invalid value at 'data'");
        // Validate everything first: Google applies a batch all-or-nothing.
        const plans = data.map((d: Record<string, unknown>) =>
          this.planWrite(ss, String(d?.['range'] ?? ''), d?.['values'], String(d?.['majorDimension'] ?? 'ROWS'), opt),
        );
        const responses = plans.map((p) => this.commitWrite(p));
        const sheetsTouched = new Set(plans.map((p) => p.a1.sheet.sheetId));
        return {
          spreadsheetId: ss.spreadsheetId,
          totalUpdatedRows: responses.reduce((n, r) => n + r.updatedRows, 0),
          totalUpdatedColumns: responses.reduce((n, r) => n + r.updatedColumns, 0),
          totalUpdatedCells: responses.reduce((n, r) => n + r.updatedCells, 0),
          totalUpdatedSheets: sheetsTouched.size,
          responses: responses.map((r) => ({ spreadsheetId: ss.spreadsheetId, ...r })),
        };
      }
      case 'values.batchClear': {
        const ranges = Array.isArray(b['ranges']) ? (b['ranges'] as unknown[]).map(String) : [];
        const parsed = ranges.map((r) => this.parseRange(ss, r));
        for (const a of parsed) {
          const g = this.grid(a.sheet);
          for (let r = a.r0; r <= Math.min(a.r1, g.rows - 1); r++)
            for (let c = a.c0; c <= Math.min(a.c1, g.cols - 1); c++)
              if (this.model.getCell(a.sheet, r, c) !== '' || a.sheet.formulas.has(`${r},${c}`)) this.model.setCell(a.sheet, r, c, '');
        }
        return { spreadsheetId: ss.spreadsheetId, clearedRanges: parsed.map((a) => this.formatA1(a)) };
      }
      case 'spreadsheets.batchUpdate':
        return this.structuralBatch(ss, b);
      default:
        throw new HttpError(404, 'NOT_FOUND', 'Not found');
    }
  }

  // ───────────────────────────────────────── spreadsheets.get / batchUpdate

  private spreadsheetResource(ss: SpreadsheetData, fields: string | undefined): unknown {
    const full = {
      spreadsheetId: ss.spreadsheetId,
      properties: { title: ss.title, locale: 'en_US', autoRecalc: 'ON_CHANGE', timeZone: 'Etc/GMT' },
      sheets: ss.sheets.map((sh, index) => {
        const g = this.grid(sh);
        const gridProperties: Record<string, number> = { rowCount: g.rows, columnCount: g.cols };
        if (sh.frozenRows) gridProperties['frozenRowCount'] = sh.frozenRows;
        return { properties: { sheetId: sh.sheetId, title: sh.title, index, sheetType: 'GRID', gridProperties } };
      }),
      spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${ss.spreadsheetId}/edit`,
    };
    if (!fields || fields.trim() === '*') return full;
    return applyFieldMask(full, parseFieldMask(fields));
  }

  private structuralBatch(ss: SpreadsheetData, body: Record<string, unknown>): unknown {
    const requests = body['requests'];
    if (!Array.isArray(requests)) throw new HttpError(400, 'INVALID_ARGUMENT', "Invalid value at 'requests'");
    const findSheet = (sheetId: unknown, at: number) => {
      const sh = ss.sheets.find((s) => s.sheetId === Number(sheetId ?? 0));
      if (!sh) throw new HttpError(400, 'INVALID_ARGUMENT', `Invalid requests[${at}]: No grid with id: ${String(sheetId)}`);
      return sh;
    };
    // Validate first (all or nothing).
    requests.forEach((r: Record<string, unknown>, i) => {
      const kind = Object.keys(r ?? {})[0];
      if (kind !== 'appendDimension' && kind !== 'insertDimension' && kind !== 'deleteDimension')
        throw new HttpError(
          400,
          'INVALID_ARGUMENT',
          `Invalid requests[${i}]: the stand-in does not implement ${kind ?? 'an empty request'}`,
        );
    });
    const replies: unknown[] = [];
    requests.forEach((r: Record<string, Record<string, unknown>>, i) => {
      const kind = Object.keys(r)[0]!;
      const req = r[kind]!;
      if (kind === 'appendDimension') {
        const sh = findSheet(req['sheetId'], i);
        const g = this.grid(sh);
        const len = Number(req['length'] ?? 0);
        if (!(len > 0)) throw new HttpError(400, 'INVALID_ARGUMENT', `Invalid requests[${i}].appendDimension: length must be > 0`);
        if (req['dimension'] === 'COLUMNS') this.setGrid(sh, g.rows, g.cols + len);
        else this.setGrid(sh, g.rows + len, g.cols);
      } else {
        const range = (req['range'] ?? {}) as Record<string, unknown>;
        const sh = findSheet(range['sheetId'], i);
        const g = this.grid(sh);
        const start = Number(range['startIndex'] ?? 0);
        const end = Number(range['endIndex'] ?? 0);
        const n = end - start;
        if (!(n > 0)) throw new HttpError(400, 'INVALID_ARGUMENT', `Invalid requests[${i}].${kind}: range is empty`);
        const cols = range['dimension'] === 'COLUMNS';
        if (kind === 'insertDimension') {
          if (cols) {
            for (const row of sh.values) if (row.length > start) row.splice(start, 0, ...Array<CellValue>(n).fill(''));
            remapFormulas(sh, (rr, c) => [rr, c >= start ? c + n : c]);
            this.setGrid(sh, g.rows, g.cols + n);
          } else {
            this.model.insertRows(sh, start, n);
            this.setGrid(sh, g.rows + n, g.cols);
          }
        } else if (cols) {
          for (const row of sh.values) row.splice(start, n);
          remapFormulas(sh, (rr, c) => (c >= start && c < end ? null : [rr, c >= end ? c - n : c]));
          this.setGrid(sh, g.rows, Math.max(1, g.cols - n));
        } else {
          this.model.deleteRows(sh, start, n);
          this.setGrid(sh, Math.max(1, g.rows - n), g.cols);
        }
      }
      replies.push({});
    });
    return { spreadsheetId: ss.spreadsheetId, replies };
  }

  // ───────────────────────────────────────── A1 ranges

  /**
   * Parses an A1 range: `Sheet!A1:B2`, `'Quoted ''name'''!A:A`, `A2:A`, `1:1`, `Sheet` (whole
   * sheet), `A1` (first sheet). @throws HttpError 400 "Unable to parse range: …" as Google does.
   */
  parseRange(ss: SpreadsheetData, range: string): A1 {
    const bad = () => new HttpError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
    let sheetName: string | null = null;
    let cells: string | null = null;
    const s = range.trim();
    if (s.startsWith("'")) {
      let i = 1;
      let name = '';
      for (;;) {
        if (i >= s.length) throw bad();
        const ch = s[i]!;
        if (ch === "'") {
          if (s[i + 1] === "'") {
            name += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        name += ch;
        i++;
      }
      sheetName = name;
      if (i < s.length) {
        if (s[i] !== '!') throw bad();
        cells = s.slice(i + 1);
      }
    } else {
      const bang = s.lastIndexOf('!');
      if (bang >= 0) {
        sheetName = s.slice(0, bang);
        cells = s.slice(bang + 1);
      } else if (ss.sheets.some((sh) => sh.title === s)) {
        sheetName = s;
      } else {
        cells = s;
      }
    }
    const sheet = sheetName === null ? ss.sheets[0] : ss.sheets.find((sh) => sh.title === sheetName);
    if (!sheet) throw bad();
    const g = this.grid(sheet);
    if (cells === null || cells === '') {
      if (cells === '') throw bad();
      return { sheet, r0: 0, c0: 0, r1: g.rows - 1, c1: g.cols - 1, boundedRows: false, boundedCols: false };
    }
    const parts = cells.split(':');
    if (parts.length > 2) throw bad();
    const ref = (p: string) => {
      const m = /^\$?([A-Za-z]*)\$?([0-9]*)$/.exec(p.trim());
      if (!m || (m[1] === '' && m[2] === '')) throw bad();
      return { col: m[1] ? columnIndex(m[1]) : null, row: m[2] ? Number(m[2]) - 1 : null };
    };
    const a = ref(parts[0]!);
    const b = parts.length === 2 ? ref(parts[1]!) : a;
    // A single ref must be a cell (A1): `A` or `1` alone is not a range.
    if (parts.length === 1 && (a.col === null || a.row === null)) throw bad();
    const colOnly = (x: typeof a) => x.col !== null && x.row === null;
    const rowOnly = (x: typeof a) => x.col === null && x.row !== null;
    if ((colOnly(a) && rowOnly(b)) || (rowOnly(a) && colOnly(b))) throw bad();
    // `1:1` (rows), `A:B` (columns), `A2:B` (open end: to the last row) are all valid.
    let c0 = a.col ?? 0;
    let c1 = b.col ?? g.cols - 1;
    let r0 = a.row ?? 0;
    let r1 = b.row ?? g.rows - 1;
    if (c0 > c1) [c0, c1] = [c1, c0];
    if (r0 > r1) [r0, r1] = [r1, r0];
    // A single cell (`A4`) is where a write starts: Google lets the values run on from it.
    const single = parts.length === 1;
    return { sheet, r0, c0, r1, c1, boundedRows: !single && b.row !== null, boundedCols: !single && b.col !== null };
  }

  /** A range in A1 notation as Google prints it: `Sheet1!A1:D5`, `'My sheet'!B2`. */
  formatA1(a: { sheet: SheetData; r0: number; c0: number; r1: number; c1: number }): string {
    const start = `${columnLetter(a.c0)}${a.r0 + 1}`;
    const end = `${columnLetter(a.c1)}${a.r1 + 1}`;
    return `${a1SheetName(a.sheet.title)}!${start === end ? start : `${start}:${end}`}`;
  }

  // ───────────────────────────────────────── reads

  private readRange(ss: SpreadsheetData, range: string, majorDimension = 'ROWS', render = 'FORMATTED_VALUE'): unknown {
    const a = this.parseRange(ss, range);
    const g = this.grid(a.sheet);
    // Reads are clamped to the grid.
    const r1 = Math.min(a.r1, g.rows - 1);
    const c1 = Math.min(a.c1, g.cols - 1);
    const rows: (string | number | boolean)[][] = [];
    for (let r = a.r0; r <= r1; r++) {
      const line: (string | number | boolean)[] = [];
      for (let c = a.c0; c <= c1; c++) line.push(this.render(a.sheet, r, c, render));
      rows.push(line);
    }
    let values = majorDimension === 'COLUMNS' ? transpose(rows) : rows;
    values = trimTrailing(values);
    const out: Record<string, unknown> = {
      range: this.formatA1({ sheet: a.sheet, r0: a.r0, c0: a.c0, r1: Math.max(a.r0, r1), c1: Math.max(a.c0, c1) }),
      majorDimension: majorDimension === 'COLUMNS' ? 'COLUMNS' : 'ROWS',
    };
    if (values.length) out['values'] = values;
    return out;
  }

  private render(sh: SheetData, r: number, c: number, mode: string): string | number | boolean {
    const formula = sh.formulas.get(`${r},${c}`);
    if (mode === 'FORMULA' && formula) return formula;
    const v = this.model.getCell(sh, r, c);
    if (mode === 'UNFORMATTED_VALUE' || mode === 'FORMULA') return v;
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    return String(v);
  }

  // ───────────────────────────────────────── writes

  private planWrite(ss: SpreadsheetData, range: string, values: unknown, majorDimension: string, opt: 'RAW' | 'USER_ENTERED') {
    const a = this.parseRange(ss, range);
    if (values !== undefined && !Array.isArray(values)) throw new HttpError(400, 'INVALID_ARGUMENT', "Invalid value at 'data.values'");
    let rows = ((values ?? []) as unknown[]).map((row, i) => {
      if (!Array.isArray(row)) throw new HttpError(400, 'INVALID_ARGUMENT', `Invalid values[${i}]: not a list`);
      return row as unknown[];
    });
    if (majorDimension === 'COLUMNS') rows = transpose(rows);
    const height = rows.length;
    const width = rows.reduce((n, r) => Math.max(n, r.length), 0);
    if (a.boundedRows && height > a.r1 - a.r0 + 1)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `Requested writing within range [${range}], but tried writing to row [${a.r0 + height}]`,
      );
    if (a.boundedCols && width > a.c1 - a.c0 + 1)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `Requested writing within range [${range}], but tried writing to column [${columnLetter(a.c0 + width - 1)}]`,
      );
    const g = this.grid(a.sheet);
    if (a.r0 + height > g.rows || a.c0 + width > g.cols || a.r0 >= g.rows || a.c0 >= g.cols)
      throw new HttpError(
        400,
        'INVALID_ARGUMENT',
        `Range (${this.formatA1({ sheet: a.sheet, r0: a.r0, c0: a.c0, r1: a.r0 + Math.max(height, 1) - 1, c1: a.c0 + Math.max(width, 1) - 1 })}) exceeds grid limits. Max rows: ${g.rows}, max columns: ${g.cols}`,
      );
    rows.forEach((row, i) =>
      row.forEach((v, j) => {
        if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
          throw new HttpError(400, 'INVALID_ARGUMENT', `Invalid values[${i}][${j}]: ${JSON.stringify(v)}`);
      }),
    );
    return { a1: a, rows: rows as (CellValue | null)[][], width, height, opt };
  }

  private commitWrite(p: ReturnType<SheetsStandIn['planWrite']>) {
    const { a1: a, rows, width, height, opt } = p;
    rows.forEach((row, i) =>
      row.forEach((v, j) => {
        if (v === null || v === undefined) return; // Google: null values are skipped
        const { value, formula } = opt === 'RAW' ? { value: v, formula: undefined } : parseUserEntered(v);
        this.model.setCell(a.sheet, a.r0 + i, a.c0 + j, value, formula);
      }),
    );
    const updatedCells = rows.reduce((n, r) => n + r.filter((v) => v !== null && v !== undefined).length, 0);
    return {
      updatedRange: this.formatA1({
        sheet: a.sheet,
        r0: a.r0,
        c0: a.c0,
        r1: a.r0 + Math.max(height, 1) - 1,
        c1: a.c0 + Math.max(width, 1) - 1,
      }),
      updatedRows: rows.filter((r) => r.some((v) => v !== null && v !== undefined)).length,
      updatedColumns: width,
      updatedCells,
    };
  }

  private writeRange(ss: SpreadsheetData, range: string, values: unknown, majorDimension: string, opt: 'RAW' | 'USER_ENTERED') {
    return this.commitWrite(this.planWrite(ss, range, values, majorDimension, opt));
  }

  private append(ss: SpreadsheetData, range: string, values: unknown, majorDimension: string, opt: 'RAW' | 'USER_ENTERED'): unknown {
    const a = this.parseRange(ss, range);
    // The "table" is the sheet's data; append after its last row, at the range's first column,
    // growing the grid as INSERT_ROWS/OVERWRITE both may.
    const start = this.model.lastRow(a.sheet);
    const rows = (values ?? []) as unknown[][];
    const g = this.grid(a.sheet);
    const need = start + (majorDimension === 'COLUMNS' ? rows.reduce((n, r) => Math.max(n, r.length), 0) : rows.length);
    if (need > g.rows) this.setGrid(a.sheet, need, g.cols);
    const target = `${a1SheetName(a.sheet.title)}!${columnLetter(a.c0)}${start + 1}`;
    const updates = this.writeRange(ss, target, values, majorDimension, opt);
    return {
      spreadsheetId: ss.spreadsheetId,
      tableRange: this.formatA1({
        sheet: a.sheet,
        r0: 0,
        c0: 0,
        r1: Math.max(0, start - 1),
        c1: Math.max(0, this.model.lastColumn(a.sheet) - 1),
      }),
      updates: { spreadsheetId: ss.spreadsheetId, ...updates },
    };
  }
}

// ───────────────────────────────────────── helpers

function requireInputOption(v: string | undefined): 'RAW' | 'USER_ENTERED' {
  if (v === undefined || v === '') throw new HttpError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified");
  if (v !== 'RAW' && v !== 'USER_ENTERED')
    throw new HttpError(400, 'INVALID_ARGUMENT', `Invalid value at 'value_input_option' (TYPE_ENUM), "${v}"`);
  return v;
}

/** USER_ENTERED: what the Sheets UI would store for a typed value (no dates or currencies). */
function parseUserEntered(v: CellValue): { value: CellValue; formula?: string } {
  if (typeof v !== 'string') return { value: v };
  if (v.startsWith("'")) return { value: v.slice(1) };
  if (v.startsWith('=') && v.length > 1) {
    const link = /^=HYPERLINK\(\s*"[^"]*"\s*(?:[,;]\s*"([^"]*)"\s*)?\)$/i.exec(v);
    return { value: link ? (link[1] ?? v) : v, formula: v };
  }
  const t = v.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { value: Number(t) };
  if (/^(true|false)$/i.test(t)) return { value: t.toLowerCase() === 'true' };
  return { value: v };
}

function transpose<T>(rows: T[][]): T[][] {
  const width = rows.reduce((n, r) => Math.max(n, r.length), 0);
  const out: T[][] = [];
  for (let c = 0; c < width; c++) out.push(rows.map((r) => r[c] as T));
  return out;
}

/** Drops trailing empty cells per row, then trailing empty rows, as Google's responses do. */
function trimTrailing<T>(rows: T[][]): T[][] {
  const out = rows.map((r) => {
    let n = r.length;
    while (n > 0 && (r[n - 1] === '' || r[n - 1] === undefined || r[n - 1] === null)) n--;
    return r.slice(0, n);
  });
  while (out.length && out[out.length - 1]!.length === 0) out.pop();
  return out;
}

function remapFormulas(sh: SheetData, f: (r: number, c: number) => [number, number] | null): void {
  const moved = new Map<string, string>();
  for (const [k, v] of sh.formulas) {
    const [r, c] = k.split(',').map(Number) as [number, number];
    const to = f(r, c);
    if (to) moved.set(`${to[0]},${to[1]}`, v);
  }
  sh.formulas = moved;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A started stand-in holding spreadsheet `sheet-1` with one `People` sheet: the header
 * row_id, name, email, type, video, then one row per URL in `videos` (row i: `rowId(i)`,
 * `name(i)`, `p<i>@example.org`, `type`, videos[i]). The process tests dispatch those rows.
 */
export function peopleSheetStandIn(
  videos: string[],
  opts: { rowId: (i: number) => string; name?: (i: number) => string; type?: string },
): Promise<SheetsStandIn> {
  const name = opts.name ?? ((i: number) => `P ${i}`);
  const type = opts.type ?? 'FF-Fi/Se-CP/B(S) #4';
  const model = new SheetModel();
  model.addSpreadsheet('sheet-1', [
    {
      title: 'People',
      rows: [['row_id', 'name', 'email', 'type', 'video'], ...videos.map((v, i) => [opts.rowId(i), name(i), `p${i}@example.org`, type, v])],
    },
  ]);
  return SheetsStandIn.start({ model });
}
