/**
 * The googleapis Drive v3 client and the per-request options every call uses.
 *
 * Imported from googleapis' Drive module rather than the package root: `import 'googleapis'`
 * loads every Google API (~105 MiB of RSS in Node 20), the Drive module ~17 MiB.
 */
import { auth as authPlus, drive as driveApi, type drive_v3 } from 'googleapis/build/src/apis/drive/index.js';
import type { DriveAuth } from './types.js';
import { responseHeader } from '../../google/apiErrors.js';

/** OAuth scope for reading Drive (https://developers.google.com/drive/api/guides/api-specific-auth). */
export const DRIVE_READONLY_SCOPE = 'https://www.googleapis.com/auth/drive.readonly';

/**
 * A Drive v3 client (`google.drive({ version: 'v3', auth, rootUrl })`).
 * @param auth the credentials; null for no Authorization header (public calls only).
 * @param rootUrl default https://www.googleapis.com/ (tests: the stand-in's `rootUrl`).
 */
export function createDriveApi(auth: DriveAuth | null, rootUrl?: string): drive_v3.Drive {
  return driveApi({ version: 'v3', ...(auth ? { auth } : {}), ...(rootUrl ? { rootUrl } : {}) });
}

/**
 * Sets the domain-wide-delegation subject on a JWT client (or a GoogleAuth that will create one).
 * Other clients (OAuth2 user tokens) ignore it.
 */
export function applySubject(auth: DriveAuth | null, subject: string | undefined): void {
  if (!auth || !subject) return;
  if (auth instanceof authPlus.JWT) auth.subject = subject;
  else if (auth instanceof authPlus.GoogleAuth) {
    const a = auth as unknown as { clientOptions?: Record<string, unknown> };
    a.clientOptions = { ...(a.clientOptions ?? {}), subject };
  }
}

/**
 * The `X-Goog-Drive-Resource-Keys` header value: comma-separated `<id>/<key>` pairs
 * (https://developers.google.com/drive/api/guides/resource-keys). Undefined when there are none.
 */
export function resourceKeysHeader(keys: ReadonlyMap<string, string>): string | undefined {
  if (keys.size === 0) return undefined;
  return [...keys].map(([id, key]) => `${id}/${key}`).join(',');
}

/**
 * The second argument of every googleapis call: headers, the job's signal, and no gaxios
 * retries (the job queue retries by category, and downloads resume themselves).
 */
export function callOptions(opts: { keys?: ReadonlyMap<string, string>; signal?: AbortSignal; range?: string }): {
  headers: Record<string, string>;
  signal?: AbortSignal;
  retry: false;
} {
  const headers: Record<string, string> = {};
  const k = opts.keys ? resourceKeysHeader(opts.keys) : undefined;
  if (k) headers['X-Goog-Drive-Resource-Keys'] = k;
  if (opts.range) headers['Range'] = opts.range;
  return { headers, ...(opts.signal ? { signal: opts.signal } : {}), retry: false };
}

/**
 * Start and total of a `206` response from `Content-Range: bytes <a>-<b>/<total>`
 * (RFC 9110 §14.4); a `200` starts at 0 and its total is Content-Length.
 */
export function rangeOf(status: number, headers: unknown): { start: number; total?: number } {
  if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(responseHeader(headers, 'content-range')?.trim() ?? '');
    if (!m) return { start: 0 };
    return { start: Number(m[1]), ...(m[3] !== '*' ? { total: Number(m[3]) } : {}) };
  }
  const len = responseHeader(headers, 'content-length');
  return { start: 0, ...(len && /^\d+$/.test(len) && !responseHeader(headers, 'content-encoding') ? { total: Number(len) } : {}) };
}
