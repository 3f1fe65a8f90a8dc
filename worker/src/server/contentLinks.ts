/**
 * Links to an asset's content that work without the signature header (docs/design.md §3, §8), for
 * a person's browser or the sidebar: `/v1/assets/<id>/content?expires=<unix s>&sig=<hex>`, where
 * `sig` is HMAC-SHA256(secret, "<METHOD>.<path>.<expires>") — the shape of an S3 presigned URL
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html), with GET as the
 * method (a HEAD is checked as GET, as S3 does). Only that route, GET/HEAD, with both parameters,
 * is exempt from the header (signed.ts asks `linkAccess`); everything else under /v1 stays signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Default and largest lifetime of a link, seconds. */
export const LINK_TTL_DEFAULT_S = 15 * 60;
export const LINK_TTL_MAX_S = 7 * 24 * 3600;

/** The one route links may open: `/v1/assets/<assetId>/content`, under any mount prefix. */
const CONTENT_PATH = /^(?:\/[^?#]*)?\/v1\/assets\/[^/?#]+\/content$/;

/** Hex HMAC-SHA256 of `"<METHOD>.<path>.<expires>"`. `path` is the URL path as requested, no query. */
export function linkSignature(secret: string, method: string, path: string, expires: number): string {
  return createHmac('sha256', secret).update(`${method.toUpperCase()}.${path}.${expires}`, 'utf8').digest('hex');
}

/**
 * A link to `path` (e.g. `/v1/assets/a_1/content`) valid for `ttlS` seconds from `nowS`.
 * @returns the path and query to append to the worker's origin, and the expiry (unix s).
 */
export function signLink(
  secret: string,
  path: string,
  ttlS = LINK_TTL_DEFAULT_S,
  nowS = Math.floor(Date.now() / 1000),
): { pathAndQuery: string; expires: number } {
  const expires = nowS + ttlS;
  return { pathAndQuery: `${path}?expires=${expires}&sig=${linkSignature(secret, 'GET', path, expires)}`, expires };
}

/** What `linkAccess` decided: not a link request (check the header), a good link, or a refused one. */
export type LinkAccess = { kind: 'none' } | { kind: 'ok' } | { kind: 'refused'; reason: string };

/**
 * Whether a request is a link request and whether its link holds. A link request is GET or HEAD
 * on the content route with both `expires` and `sig` in the query; anything else is `none`.
 * @param query the parsed query (first value of each key). @param nowS unix seconds.
 */
export function linkAccess(
  secret: string,
  method: string,
  path: string,
  query: Record<string, string>,
  nowS = Math.floor(Date.now() / 1000),
): LinkAccess {
  if ((method !== 'GET' && method !== 'HEAD') || !CONTENT_PATH.test(path)) return { kind: 'none' };
  const { expires, sig } = query;
  if (expires === undefined || sig === undefined) return { kind: 'none' };
  if (!/^[0-9]{1,12}$/.test(expires)) return { kind: 'refused', reason: 'expires: not a unix time in seconds; ask for a new link' };
  if (!/^[0-9a-f]{64}$/.test(sig)) return { kind: 'refused', reason: 'sig: not a link signature; ask for a new link' };
  const exp = Number(expires);
  if (exp < nowS) return { kind: 'refused', reason: `this link expired at ${new Date(exp * 1000).toISOString()}; ask for a new link` };
  const expected = Buffer.from(linkSignature(secret, 'GET', path, exp), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex')))
    return { kind: 'refused', reason: 'this link is not valid (its signature does not match); ask for a new link' };
  return { kind: 'ok' };
}
