/**
 * A local stand-in for the Google Drive v3 REST API and the public download endpoints
 * (design §7), served by node:http on 127.0.0.1 and driven by the real `googleapis` client
 * through its `rootUrl`.
 *
 * It follows https://developers.google.com/drive/api/reference/rest/v3 for what the Drive
 * source uses:
 * - `GET /drive/v3/about?fields=…`                               about.get
 * - `GET /drive/v3/files/{id}?fields=…&supportsAllDrives=…`       files.get (partial response by `fields`)
 * - `GET /drive/v3/files/{id}?alt=media` (+ `Range`)             files.get media: 200 / 206 + Content-Range
 * - `GET /drive/v3/files?q='<id>' in parents and trashed = false&pageSize&pageToken`   files.list
 * - `GET /drive/v3/files/{id}/export?mimeType=…`                 files.export, 10 MB limit → 403 exportSizeLimitExceeded
 * - `GET /feeds/download/documents/export/Export?id=…&exportFormat=…`  the exportLinks (no size limit)
 * - `GET /download?id=…&export=download[&confirm&uuid][&resourcekey]`  drive.usercontent.google.com public flow:
 *   the file, the virus-scan confirm form, the quota-exceeded page, a "cannot download" page, or a
 *   redirect to the sign-in page.
 *
 * Every API call needs `Authorization: Bearer <token>`. Items with a resource key answer 404
 * unless `X-Goog-Drive-Resource-Keys` carries `<id>/<key>`. Errors use Google's JSON format:
 * `{"error":{"code","message","errors":[{"domain","reason","message"}],"status"}}`.
 *
 * Content may be generated (deterministic bytes from a seed, streamed in 64 KiB blocks), so a
 * 300 MB file needs no 300 MB buffer; its md5 is computed on creation by streaming.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { google } from 'googleapis';
import type { Auth } from 'googleapis';
import { applyFieldMask, parseFieldMask, type FieldTree } from './fieldMask.js';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
export const DOC_MIME = 'application/vnd.google-apps.document';
export const SHEET_MIME = 'application/vnd.google-apps.spreadsheet';
export const SLIDES_MIME = 'application/vnd.google-apps.presentation';
export const FORM_MIME = 'application/vnd.google-apps.form';

/** Export MIME type → the `exportFormat` of Google's export links. */
const EXPORT_FORMAT: Record<string, string> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'application/rtf': 'rtf',
  'application/vnd.oasis.opendocument.text': 'odt',
  'image/png': 'png',
};

/** Bytes given directly, or generated from a seed (`size` bytes, streamed). */
export type Content = Buffer | string | { seed: number; size: number };

/** How the public endpoint answers for an item (what "anyone with the link" sees). */
export type PublicMode = 'direct' | 'confirm' | 'quota' | 'cannot' | 'signin';

export interface StandInItem {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  resourceKey?: string;
  trashed: boolean;
  driveId?: string;
  modifiedTime: string;
  version: number;
  /** binary files only: Drive reports headRevisionId "only for files with binary content" (files resource) */
  headRevisionId?: string;
  /** binary content (not for folders, shortcuts, native files) */
  content?: Content;
  /** bytes; set for binary files */
  size?: number;
  /** the real md5 of `content` */
  md5?: string;
  /** overrides the md5Checksum the API reports (a mismatch test) */
  reportedMd5?: string;
  /** leave md5Checksum out of metadata, as Drive does for some files */
  omitMd5: boolean;
  /** native files: export MIME type → content */
  exports?: Record<string, Content>;
  shortcutDetails?: { targetId: string; targetMimeType: string; targetResourceKey?: string };
  /** capabilities.canDownload */
  canDownload: boolean;
  /** alt=media answers 403 cannotDownloadAbusiveFile unless acknowledgeAbuse=true */
  abusive: boolean;
  /** alt=media answers 403 downloadQuotaExceeded */
  quotaExceeded: boolean;
  /** false: the service account cannot see it through the API (404, as Drive answers) */
  apiAccess: boolean;
  /** what the public download endpoint does; undefined → the sign-in redirect (a private file) */
  publicMode?: PublicMode;
  /** drop the connection after this many body bytes, once (alt=media and public download) */
  dropAfterBytes?: number;
  dropped: boolean;
  /** pause this long after `afterBytes` body bytes, once (alt=media and public download): a stalled connection */
  stallOnce?: { afterBytes: number; ms: number };
  stalled: boolean;
  /** delay before the first byte of alt=media / export / public download, ms */
  latencyMs: number;
}

export interface LoggedRequest {
  api: string;
  method: string;
  path: string;
  query: Record<string, string>;
  range?: string;
  resourceKeys?: string;
  authorized: boolean;
  status: number;
  id?: string;
}

/** A fault injected into the next matching request(s). */
export interface FaultRule {
  api: 'about.get' | 'files.get' | 'media' | 'files.list' | 'files.export' | 'exportLink' | 'public';
  /** only requests for this file id (any when absent) */
  id?: string;
  /** HTTP status to answer with; ignored when `reset` */
  status?: number;
  /** Google error reason, e.g. userRateLimitExceeded */
  reason?: string;
  message?: string;
  /** Retry-After header, seconds */
  retryAfter?: number;
  /** destroy the socket instead of answering (connection reset) */
  reset?: boolean;
  /** how many requests it hits; default 1 */
  times?: number;
}

export interface DriveStandInOptions {
  /** the access token expected after `Bearer `; default 'test-token' */
  token?: string;
  /** files.list page size cap (the server may return fewer than asked, as Drive does); default 100 */
  pageSize?: number;
  /** files.export limit in bytes; default 10 MB (10 × 1024 × 1024) */
  exportLimitBytes?: number;
}

const BLOCK = 64 * 1024;
const baseBlocks = new Map<number, Buffer>();

function baseBlock(seed: number): Buffer {
  let b = baseBlocks.get(seed);
  if (b) return b;
  b = Buffer.alloc(BLOCK);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < BLOCK; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  baseBlocks.set(seed, b);
  return b;
}

/** The bytes [start, end) of generated content: 64 KiB blocks of seeded noise, each stamped with its index. */
export function* generateContent(seed: number, size: number, start = 0, end = size): Generator<Buffer> {
  const base = baseBlock(seed);
  let pos = Math.max(0, start);
  const stop = Math.min(size, end);
  while (pos < stop) {
    const n = Math.floor(pos / BLOCK);
    const block = Buffer.from(base);
    block.writeUInt32LE(n >>> 0, 0);
    block.writeUInt32LE(seed >>> 0, 4);
    const from = pos - n * BLOCK;
    const to = Math.min(BLOCK, stop - n * BLOCK);
    yield block.subarray(from, to);
    pos = n * BLOCK + to;
  }
}

function contentSize(c: Content): number {
  if (typeof c === 'string') return Buffer.byteLength(c);
  if (Buffer.isBuffer(c)) return c.length;
  return c.size;
}

/** Chunks of `c` from `start` to `end` (exclusive). */
function* chunksOf(c: Content, start = 0, end = contentSize(c)): Generator<Buffer> {
  if (typeof c === 'string' || Buffer.isBuffer(c)) {
    const buf = Buffer.from(c);
    for (let p = start; p < end; p += BLOCK) yield buf.subarray(p, Math.min(end, p + BLOCK));
    return;
  }
  yield* generateContent(c.seed, c.size, start, end);
}

/** Hex digest of content, streamed; yields to the event loop between blocks of work. */
async function digestOf(c: Content, algorithm: 'md5' | 'sha256'): Promise<string> {
  const h = createHash(algorithm);
  let n = 0;
  for (const chunk of chunksOf(c)) {
    h.update(chunk);
    if (++n % 256 === 0) await new Promise((r) => setImmediate(r));
  }
  return h.digest('hex');
}

/** md5 (hex) of content, streamed. */
export const md5Of = (c: Content): Promise<string> => digestOf(c, 'md5');

/** sha256 (hex) of content, streamed. */
export const sha256Of = (c: Content): Promise<string> => digestOf(c, 'sha256');

let idCounter = 0;
/** A Drive-shaped id (33 characters of [A-Za-z0-9_-]), unique per process. */
export function newDriveId(tag = 'x'): string {
  const t = tag.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  const n = String(++idCounter).padStart(8, '0');
  return ('1' + t + 'Z' + n + 'abcdefghijklmnopqrstuvwxyz0123456789').slice(0, 33);
}

/** Keeps the selected fields of a resource (Drive's `fields` parameter). */
function select(obj: Record<string, unknown>, tree: FieldTree | true): Record<string, unknown> {
  return applyFieldMask(obj, tree) as Record<string, unknown>;
}

const DEFAULT_FILE_FIELDS: FieldTree = new Map<string, true>([
  ['kind', true],
  ['id', true],
  ['name', true],
  ['mimeType', true],
  ['resourceKey', true],
]);

class Fail extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  416: 'OUT_OF_RANGE',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const DOMAIN: Record<string, string> = {
  userRateLimitExceeded: 'usageLimits',
  rateLimitExceeded: 'usageLimits',
  downloadQuotaExceeded: 'usageLimits',
  dailyLimitExceeded: 'usageLimits',
};

function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The Drive v3 stand-in. `start()` it, point googleapis at `rootUrl`, `close()` it after. */
export class DriveStandIn {
  readonly items = new Map<string, StandInItem>();
  readonly requests: LoggedRequest[] = [];
  readonly token: string;
  pageSize: number;
  exportLimitBytes: number;
  private readonly faults: FaultRule[] = [];
  private readonly uuids = new Map<string, string>();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(opts: DriveStandInOptions = {}) {
    this.token = opts.token ?? 'test-token';
    this.pageSize = opts.pageSize ?? 100;
    this.exportLimitBytes = opts.exportLimitBytes ?? 10 * 1024 * 1024;
  }

  /** `http://127.0.0.1:PORT` */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The googleapis `rootUrl`: `http://127.0.0.1:PORT/` */
  get rootUrl(): string {
    return `${this.origin}/`;
  }

  /** Base of the public download endpoints (stands for https://drive.usercontent.google.com). */
  get publicBaseUrl(): string {
    return this.origin;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendError(res, 500, 'internalError', String((err as Error)?.message ?? err));
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  // ---- building the drive -------------------------------------------------------------------

  private base(
    opts: { id?: string; name: string; parent?: string; resourceKey?: string; trashed?: boolean; apiAccess?: boolean; driveId?: string },
    mimeType: string,
  ): StandInItem {
    const item: StandInItem = {
      id: opts.id ?? newDriveId(mimeType === FOLDER_MIME ? 'fold' : 'file'),
      name: opts.name,
      mimeType,
      parents: opts.parent ? [opts.parent] : [],
      resourceKey: opts.resourceKey,
      trashed: opts.trashed ?? false,
      driveId: opts.driveId,
      modifiedTime: '2026-01-02T03:04:05.000Z',
      version: 1,
      omitMd5: false,
      canDownload: true,
      abusive: false,
      quotaExceeded: false,
      apiAccess: opts.apiAccess ?? true,
      dropped: false,
      stalled: false,
      latencyMs: 0,
    };
    this.items.set(item.id, item);
    return item;
  }

  /** Adds a folder (optionally inside another). */
  addFolder(opts: {
    id?: string;
    name: string;
    parent?: string;
    resourceKey?: string;
    trashed?: boolean;
    apiAccess?: boolean;
    driveId?: string;
  }): StandInItem {
    return this.base(opts, FOLDER_MIME);
  }

  /** Adds a binary file; its md5 is computed by streaming the content. */
  async addFile(opts: {
    id?: string;
    name: string;
    parent?: string;
    content: Content;
    mimeType?: string;
    resourceKey?: string;
    trashed?: boolean;
    apiAccess?: boolean;
    publicMode?: PublicMode;
    canDownload?: boolean;
    abusive?: boolean;
    quotaExceeded?: boolean;
    reportedMd5?: string;
    omitMd5?: boolean;
    dropAfterBytes?: number;
    stallOnce?: { afterBytes: number; ms: number };
    latencyMs?: number;
    driveId?: string;
  }): Promise<StandInItem> {
    const item = this.base(opts, opts.mimeType ?? 'application/octet-stream');
    item.content = opts.content;
    item.size = contentSize(opts.content);
    item.md5 = await md5Of(opts.content);
    item.headRevisionId = `rev-${item.id}-1`;
    item.publicMode = opts.publicMode;
    item.canDownload = opts.canDownload ?? true;
    item.abusive = opts.abusive ?? false;
    item.quotaExceeded = opts.quotaExceeded ?? false;
    item.reportedMd5 = opts.reportedMd5;
    item.omitMd5 = opts.omitMd5 ?? false;
    item.dropAfterBytes = opts.dropAfterBytes;
    item.stallOnce = opts.stallOnce;
    item.latencyMs = opts.latencyMs ?? 0;
    return item;
  }

  /** Adds a Google-native file (Docs, Sheets, Slides, Forms…) with its exports by MIME type. */
  addNative(opts: {
    id?: string;
    name: string;
    parent?: string;
    mimeType: string;
    exports: Record<string, Content>;
    resourceKey?: string;
    apiAccess?: boolean;
    latencyMs?: number;
  }): StandInItem {
    const item = this.base(opts, opts.mimeType);
    item.exports = opts.exports;
    item.latencyMs = opts.latencyMs ?? 0;
    return item;
  }

  /**
   * Edits a file as a person would in Drive, per the files resource
   * (https://developers.google.com/drive/api/reference/rest/v3/files): `modifiedTime` moves on,
   * `version` ("a monotonically increasing version number … reflects every change") goes up, and a
   * binary file gets new content, size, md5Checksum and a new `headRevisionId` (native files have none).
   * `exports` replaces a native file's exports; `content` a binary file's bytes.
   */
  async revise(item: StandInItem, change: { exports?: Record<string, Content>; content?: Content; modifiedTime?: string }): Promise<void> {
    const prev = Date.parse(item.modifiedTime);
    item.modifiedTime = change.modifiedTime ?? new Date(prev + 60_000).toISOString();
    item.version += 1;
    if (change.exports) item.exports = change.exports;
    if (change.content !== undefined) {
      item.content = change.content;
      item.size = contentSize(change.content);
      item.md5 = await md5Of(change.content);
      item.headRevisionId = `rev-${item.id}-${item.version}`;
    }
  }

  /** Adds a shortcut to `targetId` (application/vnd.google-apps.shortcut with shortcutDetails). */
  addShortcut(opts: { id?: string; name: string; parent?: string; targetId: string }): StandInItem {
    const target = this.items.get(opts.targetId);
    const item = this.base(opts, SHORTCUT_MIME);
    item.shortcutDetails = {
      targetId: opts.targetId,
      targetMimeType: target?.mimeType ?? 'application/octet-stream',
      ...(target?.resourceKey ? { targetResourceKey: target.resourceKey } : {}),
    };
    return item;
  }

  /** Injects a fault into the next matching request(s). */
  inject(rule: FaultRule): void {
    this.faults.push({ ...rule, times: rule.times ?? 1 });
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  /** Logged requests for one API (e.g. 'media', 'files.list'), optionally for one id. */
  requestsFor(api: string, id?: string): LoggedRequest[] {
    return this.requests.filter((r) => r.api === api && (id === undefined || r.id === id));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private takeFault(api: FaultRule['api'], id: string | undefined): FaultRule | null {
    const i = this.faults.findIndex((f) => f.api === api && (f.id === undefined || f.id === id) && (f.times ?? 1) > 0);
    if (i < 0) return null;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  private sendError(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
    const body = JSON.stringify({
      error: {
        code: status,
        message,
        errors: [{ message, domain: DOMAIN[reason] ?? 'global', reason }],
        status: STATUS_TEXT[status] ?? 'UNKNOWN',
      },
    });
    res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  private sendJson(res: ServerResponse, obj: unknown): void {
    const body = JSON.stringify(obj);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  private sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), ...headers });
    res.end(html);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const query = Object.fromEntries(url.searchParams.entries());
    const path = url.pathname;
    const auth = req.headers['authorization'];
    const authorized = auth === `Bearer ${this.token}`;
    const entry: LoggedRequest = {
      api: 'unknown',
      method: req.method ?? 'GET',
      path,
      query,
      range: req.headers['range'],
      resourceKeys: req.headers['x-goog-drive-resource-keys'] as string | undefined,
      authorized,
      status: 0,
    };
    this.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => (entry.status ||= res.statusCode));

    let m: RegExpExecArray | null;
    let api: FaultRule['api'] | null = null;
    let id: string | undefined;
    if (path === '/drive/v3/about') api = 'about.get';
    else if (path === '/drive/v3/files') api = 'files.list';
    else if ((m = /^\/drive\/v3\/files\/([^/]+)\/export$/.exec(path))) {
      api = 'files.export';
      id = decodeURIComponent(m[1]!);
    } else if ((m = /^\/drive\/v3\/files\/([^/]+)$/.exec(path))) {
      api = query['alt'] === 'media' ? 'media' : 'files.get';
      id = decodeURIComponent(m[1]!);
    } else if (path === '/feeds/download/documents/export/Export') {
      api = 'exportLink';
      id = query['id'];
    } else if (path === '/download' || path === '/uc') {
      api = 'public';
      id = query['id'];
    } else if (path === '/ServiceLogin') {
      entry.api = 'signin';
      this.sendHtml(
        res,
        200,
        htmlPage(
          'Sign in - Google Accounts',
          '<form action="/signin/v2/identifier"><h1>Sign in</h1><p>to continue to Google Drive</p><input type="email" name="identifier"></form>',
        ),
      );
      return;
    }
    entry.api = api ?? 'unknown';
    entry.id = id;
    if (!api) return this.sendError(res, 404, 'notFound', `Not found: ${path}`);
    if (req.method !== 'GET') return this.sendError(res, 405, 'methodNotAllowed', 'Method not allowed');

    if (api === 'public' && path === '/uc') {
      // drive.google.com/uc?id=…&export=download redirects to drive.usercontent.google.com
      res.writeHead(303, { Location: `${this.origin}/download${url.search}` });
      res.end();
      return;
    }

    // API calls need a bearer token (public endpoints do not).
    if (api !== 'public') {
      if (!auth) {
        return this.sendError(
          res,
          401,
          'required',
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        );
      }
      if (!authorized) return this.sendError(res, 401, 'authError', 'Invalid Credentials');
    }

    const fault = this.takeFault(api, id);
    if (fault) {
      if (fault.reset) {
        req.socket.destroy();
        return;
      }
      const status = fault.status ?? 500;
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      if (api === 'public') return this.sendHtml(res, status, htmlPage('Error', `<p>${escapeHtml(fault.message ?? 'Error')}</p>`), headers);
      return this.sendError(
        res,
        status,
        fault.reason ?? (status >= 500 ? 'backendError' : 'error'),
        fault.message ?? `injected ${status}`,
        headers,
      );
    }

    try {
      switch (api) {
        case 'about.get':
          return this.aboutGet(res, query);
        case 'files.get':
          return this.filesGet(req, res, id!, query);
        case 'media':
          return await this.media(req, res, id!, query);
        case 'files.list':
          return this.filesList(req, res, query);
        case 'files.export':
          return await this.filesExport(req, res, id!, query);
        case 'exportLink':
          return await this.exportLink(req, res, id ?? '', query);
        case 'public':
          return await this.publicDownload(req, res, id ?? '', query);
      }
    } catch (err) {
      if (err instanceof Fail) return this.sendError(res, err.status, err.reason, err.message, err.extraHeaders);
      throw err;
    }
  }

  /** Keys sent in X-Goog-Drive-Resource-Keys: `id/key,id2/key2`. */
  private keysOf(req: IncomingMessage): Map<string, string> {
    const out = new Map<string, string>();
    const raw = req.headers['x-goog-drive-resource-keys'];
    for (const pair of String(raw ?? '').split(',')) {
      const i = pair.indexOf('/');
      if (i > 0) out.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    return out;
  }

  /** The item as the API lets the caller see it; 404 as Drive answers for missing, hidden or key-less items. */
  private visible(req: IncomingMessage, id: string): StandInItem {
    const item = this.items.get(id);
    if (!item || !item.apiAccess) throw new Fail(404, 'notFound', `File not found: ${id}.`);
    if (item.resourceKey && this.keysOf(req).get(id) !== item.resourceKey) throw new Fail(404, 'notFound', `File not found: ${id}.`);
    return item;
  }

  /** The files resource of Drive v3 (https://developers.google.com/drive/api/reference/rest/v3/files). */
  resourceOf(item: StandInItem): Record<string, unknown> {
    const isFolder = item.mimeType === FOLDER_MIME;
    const isNative = item.mimeType.startsWith('application/vnd.google-apps.');
    const r: Record<string, unknown> = {
      kind: 'drive#file',
      id: item.id,
      name: item.name,
      mimeType: item.mimeType,
      parents: item.parents,
      trashed: item.trashed,
      modifiedTime: item.modifiedTime,
      version: String(item.version),
      capabilities: { canDownload: item.canDownload, canListChildren: isFolder, canEdit: false },
    };
    if (item.resourceKey) r['resourceKey'] = item.resourceKey;
    if (item.driveId) r['driveId'] = item.driveId;
    if (item.size !== undefined && !isNative) r['size'] = String(item.size);
    if (item.md5 && !item.omitMd5) r['md5Checksum'] = item.reportedMd5 ?? item.md5;
    if (item.headRevisionId && !isNative) r['headRevisionId'] = item.headRevisionId;
    if (item.shortcutDetails) r['shortcutDetails'] = item.shortcutDetails;
    if (item.exports) {
      const links: Record<string, string> = {};
      for (const mime of Object.keys(item.exports)) {
        links[mime] =
          `${this.origin}/feeds/download/documents/export/Export?id=${item.id}&exportFormat=${EXPORT_FORMAT[mime] ?? encodeURIComponent(mime)}`;
      }
      r['exportLinks'] = links;
    }
    return r;
  }

  private aboutGet(res: ServerResponse, query: Record<string, string>): void {
    if (!query['fields']) throw new Fail(400, 'required', "The 'fields' parameter is required for this method.");
    const about = {
      kind: 'drive#about',
      user: { kind: 'drive#user', displayName: 'Archiver test', emailAddress: 'archiver@test-project.iam.gserviceaccount.com', me: true },
    };
    this.sendJson(res, select(about, parseFieldMask(query['fields'])));
  }

  private filesGet(req: IncomingMessage, res: ServerResponse, id: string, query: Record<string, string>): void {
    const item = this.visible(req, id);
    const fields = query['fields'] ? parseFieldMask(query['fields']) : DEFAULT_FILE_FIELDS;
    this.sendJson(res, select(this.resourceOf(item), fields));
  }

  private parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
    if (!header) return null;
    const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
    if (!m) return 'bad';
    let start: number;
    let end: number;
    if (m[1] === '' && m[2] !== '') {
      const n = Number(m[2]);
      start = Math.max(0, size - n);
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
    }
    if (start >= size || start > end) return 'bad';
    return { start, end };
  }

  /** Streams content with Range support, dropping the connection once when asked. */
  private async sendContent(
    req: IncomingMessage,
    res: ServerResponse,
    item: StandInItem,
    content: Content,
    headers: Record<string, string>,
  ): Promise<void> {
    const size = contentSize(content);
    const range = this.parseRange(req.headers['range'], size);
    if (range === 'bad') {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` });
      res.end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range ? range.end + 1 : size;
    if (item.latencyMs > 0) await new Promise((r) => setTimeout(r, item.latencyMs));
    const h: Record<string, string | number> = { ...headers, 'Content-Length': end - start, 'Accept-Ranges': 'bytes' };
    if (range) h['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
    res.writeHead(range ? 206 : 200, h);
    let sent = 0;
    const dropAt = item.dropAfterBytes !== undefined && !item.dropped ? item.dropAfterBytes : Infinity;
    const stallAt = item.stallOnce && !item.stalled ? item.stallOnce.afterBytes : Infinity;
    for (const chunk of chunksOf(content, start, end)) {
      if (res.destroyed) return;
      if (sent >= stallAt && !item.stalled) {
        item.stalled = true;
        await new Promise((r) => setTimeout(r, item.stallOnce!.ms));
        if (res.destroyed) return;
      }
      let c = chunk;
      if (sent + c.length > dropAt) {
        c = c.subarray(0, dropAt - sent);
        item.dropped = true;
        await new Promise<void>((r) => res.write(c, () => r()));
        // let the bytes reach the client, then cut the connection mid-body
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
        return;
      }
      sent += c.length;
      if (!res.write(c)) {
        await new Promise<void>((r) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            r();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  }

  private async media(req: IncomingMessage, res: ServerResponse, id: string, query: Record<string, string>): Promise<void> {
    const item = this.visible(req, id);
    if (item.mimeType === FOLDER_MIME || item.mimeType === SHORTCUT_MIME || !item.content) {
      if (item.mimeType.startsWith('application/vnd.google-apps.') && item.mimeType !== FOLDER_MIME && item.mimeType !== SHORTCUT_MIME) {
        throw new Fail(403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.');
      }
      throw new Fail(403, 'fileNotDownloadable', 'Only files with binary content can be downloaded.');
    }
    if (!item.canDownload)
      throw new Fail(403, 'cannotDownloadFile', 'The user does not have sufficient permissions to download this file.');
    if (item.quotaExceeded) throw new Fail(403, 'downloadQuotaExceeded', 'The download quota for this file has been exceeded.');
    if (item.abusive && query['acknowledgeAbuse'] !== 'true') {
      throw new Fail(403, 'cannotDownloadAbusiveFile', 'This file has been identified as malware or spam and cannot be downloaded.');
    }
    await this.sendContent(req, res, item, item.content, { 'Content-Type': item.mimeType });
  }

  private filesList(req: IncomingMessage, res: ServerResponse, query: Record<string, string>): void {
    const q = query['q'] ?? '';
    const m = /^\s*'((?:[^'\\]|\\.)+)'\s+in\s+parents(?:\s+and\s+trashed\s*=\s*(true|false))?\s*$/.exec(q);
    if (!m) throw new Fail(400, 'invalid', `Invalid Value: q (this stand-in answers "'<id>' in parents [and trashed = false]"): ${q}`);
    const parentId = m[1]!.replace(/\\(.)/g, '$1');
    const trashedFilter = m[2] === undefined ? null : m[2] === 'true';
    const parent = this.items.get(parentId);
    const keys = this.keysOf(req);
    let all: StandInItem[] = [];
    // Drive answers an empty list (not an error) for a folder the caller cannot see.
    if (parent && parent.apiAccess && (!parent.resourceKey || keys.get(parentId) === parent.resourceKey)) {
      all = [...this.items.values()].filter(
        (i) => i.parents.includes(parentId) && (trashedFilter === null || i.trashed === trashedFilter) && i.apiAccess,
      );
      if (parent.driveId && query['includeItemsFromAllDrives'] !== 'true') all = [];
    }
    const asked = query['pageSize'] ? Number(query['pageSize']) : 100;
    const size = Math.max(1, Math.min(asked, this.pageSize, 1000));
    const start = query['pageToken'] ? Number(Buffer.from(query['pageToken'], 'base64url').toString('utf8').replace(/^p:/, '')) : 0;
    if (!Number.isInteger(start) || start < 0) throw new Fail(400, 'invalid', 'Invalid Value: pageToken');
    const page = all.slice(start, start + size);
    const body: Record<string, unknown> = {
      kind: 'drive#fileList',
      incompleteSearch: false,
      files: page.map((i) => this.resourceOf(i)),
    };
    if (start + size < all.length) body['nextPageToken'] = Buffer.from(`p:${start + size}`).toString('base64url');
    const tree = query['fields']
      ? parseFieldMask(query['fields'])
      : new Map<string, FieldTree | true>([
          ['kind', true],
          ['incompleteSearch', true],
          ['nextPageToken', true],
          ['files', DEFAULT_FILE_FIELDS],
        ]);
    this.sendJson(res, select(body, tree));
  }

  private async filesExport(req: IncomingMessage, res: ServerResponse, id: string, query: Record<string, string>): Promise<void> {
    const item = this.visible(req, id);
    const mime = query['mimeType'];
    if (!mime) throw new Fail(400, 'required', 'Required parameter: mimeType');
    if (!item.exports) throw new Fail(403, 'fileNotExportable', 'Export only supports Docs Editors files.');
    const content = item.exports[mime];
    if (!content) throw new Fail(400, 'badRequest', `The requested conversion is not supported.`);
    if (contentSize(content) > this.exportLimitBytes)
      throw new Fail(403, 'exportSizeLimitExceeded', 'This file is too large to be exported.');
    await this.sendContent(req, res, { ...item, dropAfterBytes: undefined, stallOnce: undefined }, content, { 'Content-Type': mime });
  }

  private async exportLink(req: IncomingMessage, res: ServerResponse, id: string, query: Record<string, string>): Promise<void> {
    const item = this.visible(req, id);
    const fmt = query['exportFormat'] ?? '';
    const mime = Object.keys(item.exports ?? {}).find((k) => (EXPORT_FORMAT[k] ?? k) === fmt);
    if (!mime || !item.exports) throw new Fail(400, 'badRequest', 'The requested conversion is not supported.');
    const safe = item.name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '');
    await this.sendContent(req, res, { ...item, dropAfterBytes: undefined, stallOnce: undefined }, item.exports[mime]!, {
      'Content-Type': mime,
      'Content-Disposition': `attachment; filename="${safe}.${fmt}"; filename*=UTF-8''${encodeURIComponent(item.name)}.${fmt}`,
    });
  }

  /** drive.usercontent.google.com/download: what "anyone with the link" gets. */
  private async publicDownload(req: IncomingMessage, res: ServerResponse, id: string, query: Record<string, string>): Promise<void> {
    const item = this.items.get(id);
    if (!item || item.trashed) {
      return this.sendHtml(
        res,
        404,
        htmlPage(
          'Google Drive - 404',
          '<p>Sorry, the file you have requested does not exist.</p><p>Make sure that you have the correct URL and the file exists.</p>',
        ),
      );
    }
    const mode: PublicMode = item.resourceKey && query['resourcekey'] !== item.resourceKey ? 'signin' : (item.publicMode ?? 'signin');
    if (mode === 'signin' || !item.content) {
      res.writeHead(302, {
        Location: `${this.origin}/ServiceLogin?service=wise&passive=true&continue=${encodeURIComponent(`${this.origin}/download?id=${id}`)}`,
      });
      res.end();
      return;
    }
    if (mode === 'quota') {
      return this.sendHtml(
        res,
        200,
        htmlPage(
          'Google Drive - Quota exceeded',
          `<div class="uc-main"><div id="uc-text"><p class="uc-error-caption">Sorry, you can&#39;t view or download this file at this time.</p><p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently. Please try accessing the file again later. If the file you are trying to access is particularly large or is shared with many people, it may take up to 24 hours to be able to view or download the file.</p></div></div>`,
        ),
      );
    }
    if (mode === 'cannot') {
      return this.sendHtml(
        res,
        403,
        htmlPage(
          'Google Drive - Access Denied',
          `<div class="uc-main"><p class="uc-error-caption">This file cannot be downloaded.</p><p>The owner has not allowed downloading it. You need access; request access or switch to an account with access.</p></div>`,
        ),
      );
    }
    if (mode === 'confirm') {
      const expected = this.uuids.get(id);
      if (!(query['confirm'] && query['uuid'] && expected && query['uuid'] === expected)) {
        const uuid = randomUUID();
        this.uuids.set(id, uuid);
        const sizeM = `${Math.round((item.size ?? 0) / 1e6)}M`;
        return this.sendHtml(
          res,
          200,
          htmlPage(
            'Google Drive - Virus scan warning',
            `<div class="uc-main"><div id="uc-text"><p class="uc-warning-caption">Google Drive can&#39;t scan this file for viruses.</p>` +
              `<p class="uc-warning-subcaption"><span class="uc-name-size"><a href="/open?id=${id}">${escapeHtml(item.name)}</a> (${sizeM})</span> is too large for Google to scan for viruses. Would you still like to download this file?</p>` +
              `<form id="download-form" action="${this.origin}/download" method="get">` +
              `<input type="submit" id="uc-download-link" class="goog-inline-block jfk-button jfk-button-action" value="Download anyway"/>` +
              `<input type="hidden" name="id" value="${id}"><input type="hidden" name="export" value="download">` +
              (query['resourcekey'] ? `<input type="hidden" name="resourcekey" value="${escapeHtml(query['resourcekey'])}">` : '') +
              `<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="${uuid}"></form></div></div>`,
          ),
        );
      }
    }
    const safe = item.name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '');
    await this.sendContent(req, res, item, item.content, {
      'Content-Type': item.mimeType,
      'Content-Disposition': `attachment; filename="${safe}"; filename*=UTF-8''${encodeURIComponent(item.name)}`,
    });
  }
}

/** Starts a stand-in; the caller closes it. */
export async function startDriveStandIn(opts: DriveStandInOptions = {}): Promise<DriveStandIn> {
  return new DriveStandIn(opts).start();
}

// ---- helpers for tests and benchmarks that drive the Drive source ----------------------------

/** An OAuth2Client holding a fixed access token, as the tests use against the stand-in. */
export function testAuth(token = 'test-token'): Auth.OAuth2Client {
  const client = new google.auth.OAuth2();
  client.setCredentials({ access_token: token });
  return client;
}

export { testContext, testJob } from './jobs.js';

/** Drive links as people paste them. */
export const driveLinks = {
  file: (id: string, resourceKey?: string) =>
    `https://drive.google.com/file/d/${id}/view?usp=sharing${resourceKey ? `&resourcekey=${resourceKey}` : ''}`,
  folder: (id: string, resourceKey?: string) =>
    `https://drive.google.com/drive/folders/${id}${resourceKey ? `?resourcekey=${resourceKey}` : ''}`,
  document: (id: string) => `https://docs.google.com/document/d/${id}/edit`,
  spreadsheet: (id: string) => `https://docs.google.com/spreadsheets/d/${id}/edit#gid=0`,
  presentation: (id: string) => `https://docs.google.com/presentation/d/${id}/edit`,
};
