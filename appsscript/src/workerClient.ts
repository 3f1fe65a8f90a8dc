/**
 * Talking to the worker (design §3): signed requests through UrlFetchApp.
 *
 * Signature: `X-Archiver-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path>.<body>")>`.
 * The path signed is the path of the URL requested: with a worker URL `https://host/archiver`
 * the add-on requests and signs `/archiver/v1/dispatch`, so the worker must be mounted under the
 * same prefix (a proxy that strips the prefix breaks the signature; documented in docs/addon.md).
 */
import { bytesToHex, canonicalString, formatSignatureHeader, SIGNATURE_HEADER } from '../../shared/signature.js';
import { nowMs } from './util.js';

/** The path (and query) part of a worker URL, '' for a bare host: `https://h/a/b?x` → `/a/b?x`. */
export function urlPath(url: string): string {
  const m = /^https?:\/\/[^/?#]+([^#]*)/i.exec(url);
  return m ? (m[1] ?? '') : '';
}

/**
 * HMAC-SHA256 hex of the canonical string, Apps Script style: `Utilities.computeHmacSha256Signature`
 * returns signed bytes (-128…127), which `bytesToHex` maps with `(b + 256) % 256`.
 */
export function signatureHex(secret: string, t: number, method: string, pathAndQuery: string, body: string): string {
  const bytes = Utilities.computeHmacSha256Signature(canonicalString(t, method, pathAndQuery, body), secret, Utilities.Charset.UTF_8);
  return bytesToHex(bytes);
}

/**
 * A signed `UrlFetchApp` request with `muteHttpExceptions` (status codes come back instead of
 * exceptions; see https://developers.google.com/apps-script/reference/url-fetch/url-fetch-app#fetchAll(Object)).
 * @param baseUrl normalised worker URL (no trailing slash); @param path e.g. `/v1/dispatch`.
 */
export function signedRequest(
  baseUrl: string,
  secret: string,
  method: 'get' | 'post',
  path: string,
  body = '',
): GoogleAppsScript.URL_Fetch.URLFetchRequest {
  const url = baseUrl + path;
  const t = Math.floor(nowMs() / 1000);
  const hex = signatureHex(secret, t, method, urlPath(url), body);
  const req: GoogleAppsScript.URL_Fetch.URLFetchRequest = {
    url,
    method,
    headers: { [SIGNATURE_HEADER]: formatSignatureHeader(t, hex) },
    muteHttpExceptions: true,
    followRedirects: false,
  };
  if (method === 'post') {
    req.contentType = 'application/json; charset=utf-8';
    req.payload = body;
  }
  return req;
}

/** A readable sentence for a non-2xx worker answer. */
export function describeHttpFailure(code: number, text: string): string {
  let detail = '';
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    detail = String(j.message ?? j.error ?? '');
  } catch {
    detail = text;
  }
  detail = detail.replace(/\s+/g, ' ').trim().slice(0, 200);
  const tail = detail ? ` (${detail})` : '';
  if (code === 401 || code === 403)
    return `The worker refused the request: HTTP ${code}${tail}. Check that the shared secret in Settings matches the worker's, and that the worker's clock is right.`;
  if (code === 404) return `The worker URL answered HTTP 404${tail}. Check the worker URL in Settings.`;
  if (code === 413) return `The worker said the request is too large (HTTP 413).`;
  if (code === 429) return `The worker is busy (HTTP 429)${tail}. Try again in a few minutes.`;
  if (code >= 500) return `The worker failed: HTTP ${code}${tail}. Check the worker's logs; nothing was changed in the sheet.`;
  return `The worker rejected the request: HTTP ${code}${tail}.`;
}

/** A readable sentence for an exception from UrlFetchApp (DNS failure, refused, timeout, not allow-listed). */
export function describeFetchException(baseUrl: string, message: string): string {
  if (/whitelist|allowlist|not allowed|permission/i.test(message))
    return `Apps Script may not call ${baseUrl}: the URL must start with the urlFetchWhitelist prefix in appsscript.json (${message}).`;
  return `Could not reach the worker at ${baseUrl}: ${message}`;
}

/**
 * `GET /healthz` (public, unsigned). Shows version and uptime, or the error.
 * Accepts `uptime`, `uptimeS` or `uptimeSeconds` in seconds.
 */
export function checkHealth(baseUrl: string): { ok: boolean; message: string } {
  let res: GoogleAppsScript.URL_Fetch.HTTPResponse;
  try {
    res = UrlFetchApp.fetch(baseUrl + '/healthz', { method: 'get', muteHttpExceptions: true, followRedirects: false });
  } catch (e) {
    return { ok: false, message: describeFetchException(baseUrl, String((e as Error)?.message ?? e)) };
  }
  const code = res.getResponseCode();
  const text = res.getContentText();
  if (code !== 200) return { ok: false, message: describeHttpFailure(code, text) };
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const version = String(j['version'] ?? 'unknown');
    const up = Number(j['uptimeS'] ?? j['uptimeSeconds'] ?? j['uptime']);
    return {
      ok: true,
      message: `The worker is up: version ${version}${Number.isFinite(up) ? `, running for ${formatDuration(up)}` : ''}.`,
    };
  } catch {
    return { ok: false, message: `The worker answered /healthz with something that is not JSON: ${text.slice(0, 100)}` };
  }
}

/** 3725 → `1 h 2 min`; 42 → `42 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return `${m} min`;
}

/** The cheap signed endpoint the connection test calls (the queue's counts). */
export const CONNECTION_TEST_PATH = '/v1/jobs/stats';

/**
 * Signed `GET /v1/jobs/stats`: proves the URL, the TLS certificate, the allow-list and the secret
 * in one request, so a wrong secret shows when settings are saved rather than at the first dispatch.
 */
export function testConnection(baseUrl: string, secret: string): { ok: boolean; message: string } {
  let res: GoogleAppsScript.URL_Fetch.HTTPResponse;
  try {
    const { url, ...params } = signedRequest(baseUrl, secret, 'get', CONNECTION_TEST_PATH);
    res = UrlFetchApp.fetch(url!, params);
  } catch (e) {
    return { ok: false, message: describeFetchException(baseUrl, String((e as Error)?.message ?? e)) };
  }
  const code = res.getResponseCode();
  if (code === 200) return { ok: true, message: 'The worker accepted a signed test request: the URL and the shared secret are right.' };
  return { ok: false, message: describeHttpFailure(code, res.getContentText()) };
}
