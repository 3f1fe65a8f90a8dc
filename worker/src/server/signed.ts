/**
 * The signature check as Hono middleware (design §3): reads the raw body once (the HMAC covers
 * its exact bytes), verifies `X-Archiver-Signature` over method, path and query, and keeps the raw
 * body in `c.get('rawBody')` for the route. Mount it on `/v1/*`; routes added later under
 * /v1 are signed without doing anything.
 */
import type { MiddlewareHandler } from 'hono';
import { SIGNATURE_HEADER } from '../../../shared/signature.js';
import type { Logger } from '../log.js';
import { linkAccess } from './contentLinks.js';
import { HttpError } from './errors.js';
import { verifySignature } from './signature.js';

/**
 * The path and query exactly as the client sent them (@hono/node-server keeps the IncomingMessage
 * in `c.env.incoming`): WHATWG URL parsing would re-encode `"`, `'`, `<`, `>` in the query and so
 * break the signature of a client that sent them raw. Elsewhere (tests calling app.fetch) the URL's.
 */
function requestTarget(env: unknown, url: URL): string {
  const raw = (env as { incoming?: { url?: unknown } } | undefined)?.incoming?.url;
  return typeof raw === 'string' && raw.startsWith('/') ? raw : url.pathname + url.search;
}

/** The app's Hono env: what middleware leaves for routes. Use `new Hono<AppEnv>()` in route modules. */
export type AppEnv = { Variables: { rawBody: string } };

/**
 * Verifies the request's signature with `secret`. The one exemption: a GET/HEAD of
 * `/v1/assets/:assetId/content` carrying `expires` and `sig` is checked as a link instead
 * (contentLinks.ts), so a browser can open it.
 * @throws HttpError 401 `unauthorized` with a reason safe to show (never the expected value);
 *   403 `forbidden` for an expired or tampered link.
 */
export function signatureMiddleware(secret: string, log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const link = linkAccess(secret, c.req.method, new URL(c.req.url).pathname, c.req.query());
    if (link.kind === 'refused') {
      log.warn({ path: new URL(c.req.url).pathname, reason: link.reason }, 'rejected content link');
      throw new HttpError(403, 'forbidden', link.reason);
    }
    if (link.kind === 'ok') {
      c.set('rawBody', '');
      return next();
    }
    const raw = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text();
    const url = new URL(c.req.url);
    const v = verifySignature(secret, c.req.header(SIGNATURE_HEADER), c.req.method, requestTarget(c.env, url), raw);
    if (!v.ok) {
      log.warn({ path: url.pathname, reason: v.reason }, 'rejected unsigned request');
      throw new HttpError(401, 'unauthorized', v.reason);
    }
    c.set('rawBody', raw);
    await next();
  };
}
