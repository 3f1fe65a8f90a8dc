/**
 * Serving an asset's file (docs/design.md §5, §8), signed like all of /v1 or opened through a
 * link (contentLinks.ts):
 *  - `GET|HEAD /v1/assets/:assetId/content`: local store — streamed from disk with Range support
 *    (one range → 206; several → the whole file, 200; out of range → 416), the file's Content-Type
 *    and an RFC 6266 Content-Disposition; S3 — `302` to a presigned GET URL valid 5 minutes that
 *    carries the same Content-Disposition and Content-Type;
 *  - `POST /v1/assets/:assetId/link?ttl=`: `{ url, path, expires, expiresAt }`, a link to the content
 *    that works without the signature header (15 minutes by default).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Asset, Catalogue } from '../../catalogue/repository.js';
import { LocalStore } from '../../storage/local.js';
import { S3Store } from '../../storage/s3.js';
import type { ObjectStore } from '../../storage/types.js';
import { LINK_TTL_DEFAULT_S, LINK_TTL_MAX_S, signLink } from '../contentLinks.js';
import { HttpError, notFound } from '../errors.js';
import { contentDisposition, contentTypeOf, isInlineSafe, parseRange } from '../httpFile.js';
import type { AppEnv } from '../signed.js';
import { validParam, validQuery } from '../validate.js';

export interface ContentRouteDeps {
  catalogue: Catalogue;
  store: ObjectStore;
  /** the worker's shared secret: signs links */
  secret: string;
}

/** Lifetime of the presigned S3 URL a content request is redirected to, seconds. */
export const PRESIGN_TTL_S = 300;

const AssetParam = z.object({ assetId: z.string().regex(/^a_[0-9a-f]{1,64}$/, 'an asset id looks like a_3f9c…') });
// the link parameters are checked by the signature middleware; here they are only allowed
const ContentQuery = z.object({ expires: z.string().max(20).optional(), sig: z.string().max(128).optional() });
const LinkQuery = z.object({
  ttl: z
    .string()
    .regex(/^[0-9]{1,7}$/, `seconds, 1…${LINK_TTL_MAX_S}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(LINK_TTL_MAX_S))
    .optional(),
});

/** The stored asset, or a 404 naming why (unknown, or deleted). */
async function storedAsset(catalogue: Catalogue, assetId: string): Promise<Asset> {
  const asset = await catalogue.getAsset(assetId);
  if (!asset) throw notFound(`no asset ${assetId}`);
  if (asset.status !== 'stored') throw notFound(`asset ${assetId} is deleted`);
  return asset;
}

/** The routes, to mount after the signature middleware: `app.route('/', contentRoutes(deps))`. */
export function contentRoutes(deps: ContentRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { catalogue, store, secret } = deps;

  // Hono answers HEAD with this GET handler and drops the body; no file is opened for a HEAD.
  app.get('/v1/assets/:assetId/content', validParam(AssetParam), validQuery(ContentQuery), async (c) => {
    const asset = await storedAsset(catalogue, c.req.valid('param').assetId);
    const type = contentTypeOf(asset.fileName);
    const disposition = contentDisposition(asset.fileName, isInlineSafe(type) ? 'inline' : 'attachment');
    if (store instanceof S3Store) {
      const url = await store.presignGet(asset.objectKey, { expiresIn: PRESIGN_TTL_S, contentDisposition: disposition, contentType: type });
      c.header('Cache-Control', 'no-store');
      return c.redirect(url, 302);
    }
    if (!(store instanceof LocalStore)) throw new HttpError(501, 'internal', `serving files from a ${store.kind} store is not supported`);
    const head = await store.head(asset.objectKey);
    if (!head) throw notFound(`the file of asset ${asset.assetId} is missing from storage (${asset.objectKey}); run sheet-archiver verify`);
    const size = head.size;
    const want = parseRange(c.req.header('range'), size);
    if (want.kind === 'unsatisfiable') {
      // errors.ts answers; the header set here stays on the answer (RFC 9110 §15.5.17)
      c.header('Content-Range', `bytes */${size}`);
      throw new HttpError(416, 'invalid_request', `range: not satisfiable for a file of ${size} bytes`, { field: 'range' });
    }
    c.header('Accept-Ranges', 'bytes');
    c.header('Content-Type', type);
    c.header('Content-Disposition', disposition);
    c.header('ETag', `"${asset.sha256}"`);
    c.header('Cache-Control', 'private, no-cache');
    c.header('X-Content-Type-Options', 'nosniff');
    const { start, end } = want.kind === 'range' ? want.range : { start: 0, end: size - 1 };
    const length = size === 0 ? 0 : end - start + 1;
    c.header('Content-Length', String(length));
    if (want.kind === 'range') c.header('Content-Range', `bytes ${start}-${end}/${size}`);
    const status = want.kind === 'range' ? 206 : 200;
    if (c.req.method === 'HEAD' || length === 0) return c.body(null, status);
    // bounded memory: 64 KiB chunks, pulled as the client reads
    const stream = createReadStream(store.pathOf(asset.objectKey), { start, end, highWaterMark: 64 * 1024 });
    return c.body(Readable.toWeb(stream) as ReadableStream, status);
  });

  app.post('/v1/assets/:assetId/link', validParam(AssetParam), validQuery(LinkQuery), async (c) => {
    const asset = await storedAsset(catalogue, c.req.valid('param').assetId);
    const url = new URL(c.req.url);
    const path = url.pathname.replace(/\/link$/, '/content');
    const link = signLink(secret, path, c.req.valid('query').ttl ?? LINK_TTL_DEFAULT_S);
    return c.json({
      assetId: asset.assetId,
      fileName: asset.fileName,
      url: url.origin + link.pathAndQuery,
      path: link.pathAndQuery,
      expires: link.expires,
      expiresAt: new Date(link.expires * 1000).toISOString(),
    });
  });

  return app;
}
