/**
 * The public download flow for files shared "anyone with the link" that the service account
 * cannot read through the API: `https://drive.usercontent.google.com/download?id=<id>&export=download`.
 *
 * What that endpoint answers, and what this module does with it:
 * - the file itself (`Content-Disposition: attachment`) → streamed into the store, resumed with `Range`;
 * - the virus-scan warning for large files: an HTML page with `<form id="download-form">` whose
 *   hidden inputs (id, export, confirm, uuid, …) make the confirmed URL → followed once;
 * - the quota page ("Too many users have viewed or downloaded this file recently") → quota;
 * - a sign-in page (the file is not public) or a "cannot download" page → permission;
 * - a 404 page → not_found; 429 → rate_limit; 5xx and resets → network.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ArchiveError } from '../../errors.js';
import type { ObjectStore, StoredObject } from '../../storage/types.js';
import { rangeOf } from './client.js';
import { parseRetryAfter } from '../../google/apiErrors.js';
import { isAbortError, mapDriveError } from './errors.js';
import { resumableBody, storeResumable, type OpenedBody } from './resumable.js';

/** What an HTML answer of the public endpoint means. */
export type PublicPage =
  | { kind: 'confirm'; url: string }
  | { kind: 'quota'; message: string }
  | { kind: 'permission'; message: string }
  | { kind: 'not_found'; message: string };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes the HTML character references found in attribute values. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(tag))) out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

/** True when `url` may be followed from the confirm form: the configured download host or Google's. */
function allowedHost(url: URL, base: URL): boolean {
  return url.host === base.host || url.hostname === 'drive.usercontent.google.com' || url.hostname === 'drive.google.com';
}

/**
 * Reads the virus-scan confirm form (`<form id="download-form" action=…>` with hidden inputs
 * id, export, confirm, uuid…) or the older `<a id="uc-download-link" href="…confirm=…">`.
 * @returns the confirmed download URL, or null when the page has no such form.
 */
export function parseConfirmForm(html: string, baseUrl: string): string | null {
  const base = new URL(baseUrl);
  const form = /<form\b([^>]*\bid\s*=\s*["']?download-form["']?[^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (form) {
    const fa = attrs(form[1]!);
    const action = new URL(fa['action'] || '/download', base);
    if (!allowedHost(action, base)) return null;
    const inputs = form[2]!.match(/<input\b[^>]*>/gi) ?? [];
    for (const tag of inputs) {
      const a = attrs(tag);
      if ((a['type'] ?? '').toLowerCase() === 'hidden' && a['name']) action.searchParams.set(a['name'], a['value'] ?? '');
    }
    return action.searchParams.has('id') ? action.href : null;
  }
  const link = /<a\b[^>]*\bid\s*=\s*["']uc-download-link["'][^>]*>/i.exec(html);
  if (link) {
    const href = attrs(link[0])['href'];
    if (href && /[?&]confirm=/.test(href)) {
      const u = new URL(href, base);
      return allowedHost(u, base) ? u.href : null;
    }
  }
  return null;
}

/**
 * Classifies an HTML answer of the public endpoint.
 * @param finalUrl the URL after redirects (a sign-in redirect shows there).
 */
export function classifyPublicPage(status: number, finalUrl: string, html: string, baseUrl: string): PublicPage {
  const confirm = parseConfirmForm(html, baseUrl);
  if (confirm) return { kind: 'confirm', url: confirm };
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() ?? '';
  const text = html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&rsquo;/g, "'")
    .replace(/\s+/g, ' ');
  if (/Too many users have viewed or downloaded this file recently|download quota|quota exceeded/i.test(text)) {
    return {
      kind: 'quota',
      message: 'Drive download quota exceeded for this file ("Too many users have viewed or downloaded this file recently")',
    };
  }
  if (
    /ServiceLogin|accounts\.google\.com|\/signin/i.test(finalUrl) ||
    /^Sign in\b/i.test(title) ||
    /<input[^>]+type=["']?email/i.test(html)
  ) {
    return {
      kind: 'permission',
      message: 'the file is not shared publicly (Drive asks to sign in); share it with the service account or "anyone with the link"',
    };
  }
  if (status === 404 || /does not exist|file not found/i.test(text)) {
    return { kind: 'not_found', message: 'Drive says the file does not exist' };
  }
  if (/cannot be downloaded|can't download|cannot download|You need access|You need permission|Access Denied/i.test(text)) {
    return { kind: 'permission', message: `Drive will not let this file be downloaded (${title || 'cannot download'})` };
  }
  return { kind: 'permission', message: `unexpected Drive page${title ? ` "${title}"` : ''} (HTTP ${status})` };
}

/** File name from `Content-Disposition` (RFC 6266: `filename*=UTF-8''…` preferred over `filename="…"`). */
export function fileNameOf(contentDisposition: string | null | undefined): string | undefined {
  if (!contentDisposition) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(contentDisposition);
  if (star) {
    try {
      return decodeURIComponent(star[2]!.trim());
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(contentDisposition);
  const v = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2]?.trim();
  return v || undefined;
}

function isFileResponse(res: Response): boolean {
  if (res.status !== 200 && res.status !== 206) return false;
  const cd = res.headers.get('content-disposition') ?? '';
  const ct = res.headers.get('content-type') ?? '';
  return /attachment/i.test(cd) || !/text\/html/i.test(ct);
}

async function readText(res: Response, limit = 2 * 1024 * 1024): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>)) {
    const b = Buffer.from(c as Uint8Array);
    chunks.push(b);
    n += b.length;
    if (n >= limit) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorForStatus(status: number, headers: Headers, what: string): ArchiveError | null {
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
  if (status === 429) return new ArchiveError('rate_limit', `${what}: HTTP 429 Too Many Requests`, { retryAfterMs });
  if (status >= 500 || status === 408) return new ArchiveError('network', `${what}: HTTP ${status}`, { retryAfterMs });
  return null;
}

function pageError(p: Exclude<PublicPage, { kind: 'confirm' }>, what: string): ArchiveError {
  return new ArchiveError(p.kind, `${what}: ${p.message}`);
}

export interface PublicDownloadArgs {
  /** e.g. https://drive.usercontent.google.com (tests: the stand-in) */
  baseUrl: string;
  id: string;
  resourceKey?: string;
  store: ObjectStore;
  rowId: string;
  /** chooses the object key once the file name is known (from Content-Disposition; the id when absent) */
  keyFor: (fileName: string) => string;
  signal: AbortSignal;
  maxResumes: number;
  stallTimeoutMs: number;
  onBytes?: (bytes: number, total?: number) => void;
  onResume?: (offset: number, reason: string) => void;
  resumeDelayMs?: (n: number) => number;
}

export interface PublicDownloadResult {
  stored: StoredObject & { md5: string; resumes: number };
  /** the file name Drive gave */
  name: string;
  contentType?: string;
  /** size from the response headers, when given */
  size?: number;
  /** true when the virus-scan confirm form was passed */
  confirmed: boolean;
}

/**
 * Downloads a public file through drive.usercontent.google.com (see the module comment).
 * @throws ArchiveError: quota (quota page), permission (sign-in / cannot-download pages),
 *   not_found (404 page), rate_limit (429), network (5xx, resets, truncation), file_io (store).
 */
export async function publicDownload(a: PublicDownloadArgs): Promise<PublicDownloadResult> {
  const what = `public download of ${a.id}`;
  const start = new URL('/download', a.baseUrl);
  start.searchParams.set('id', a.id);
  start.searchParams.set('export', 'download');
  if (a.resourceKey) start.searchParams.set('resourcekey', a.resourceKey);
  let url = start.href;
  let confirmed = false;

  const get = async (u: string, signal: AbortSignal, range?: string): Promise<Response> => {
    try {
      return await fetch(u, { signal, redirect: 'follow', headers: { Accept: '*/*', ...(range ? { Range: range } : {}) } });
    } catch (err) {
      if (isAbortError(err)) throw err;
      throw mapDriveError(err, what);
    }
  };

  for (let step = 0; step < 3; step++) {
    const ctl = new AbortController();
    const res = await get(url, AbortSignal.any([a.signal, ctl.signal]));
    if (isFileResponse(res)) {
      const fileUrl = res.url || url;
      const name = fileNameOf(res.headers.get('content-disposition')) ?? a.id;
      const first: OpenedBody = {
        body: res.body ? Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>) : Readable.from([]),
        ...rangeOf(res.status, res.headers),
      };
      const total = first.total;
      const body = resumableBody(
        async (offset, signal) => {
          const r = await get(fileUrl, signal, `bytes=${offset}-`);
          if (!isFileResponse(r)) {
            const se = errorForStatus(r.status, r.headers, what);
            if (se) throw se;
            const page = classifyPublicPage(r.status, r.url, await readText(r), a.baseUrl);
            throw page.kind === 'confirm'
              ? new ArchiveError('network', `${what}: the confirm page came back while resuming`)
              : pageError(page, what);
          }
          return {
            body: r.body ? Readable.fromWeb(r.body as unknown as NodeReadableStream<Uint8Array>) : Readable.from([]),
            ...rangeOf(r.status, r.headers),
          };
        },
        {
          signal: a.signal,
          expectedSize: total,
          maxResumes: a.maxResumes,
          stallTimeoutMs: a.stallTimeoutMs,
          label: `"${name}" (${a.id})`,
          mapError: (err) => mapDriveError(err, what),
          first: { opened: first, abort: () => ctl.abort() },
          onBytes: (n) => a.onBytes?.(n, total),
          onResume: (offset, e) => a.onResume?.(offset, e.message),
          resumeDelayMs: a.resumeDelayMs,
        },
      );
      const contentType = res.headers.get('content-type') ?? undefined;
      const stored = await storeResumable(a.store, a.keyFor(name), body, {
        rowId: a.rowId,
        ...(contentType ? { contentType } : {}),
        signal: a.signal,
      });
      return { stored, name, ...(contentType ? { contentType } : {}), ...(total !== undefined ? { size: total } : {}), confirmed };
    }
    const se = errorForStatus(res.status, res.headers, what);
    if (se) {
      ctl.abort();
      throw se;
    }
    const page = classifyPublicPage(res.status, res.url || url, await readText(res), a.baseUrl);
    ctl.abort();
    if (page.kind !== 'confirm') throw pageError(page, what);
    url = page.url;
    confirmed = true;
  }
  throw new ArchiveError('permission', `${what}: Drive kept answering with the virus-scan confirm page`);
}
