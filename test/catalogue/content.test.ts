/**
 * Serving archived files (docs/design.md §8) over the real app on a real socket: Range requests on
 * the local store, Content-Disposition for a non-ASCII name, links that work without the signature
 * header (and 403 when expired or tampered), and the S3 store's 302 to a presigned URL on s3rver,
 * followed with a plain fetch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import { assetIdOf } from '../../worker/src/catalogue/assets.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { linkSignature } from '../../worker/src/server/contentLinks.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { objectKey } from '../../worker/src/storage/layout.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, writeMetadata } from '../../worker/src/storage/metadata.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { youtubeItem } from './fixtures.js';
import { testApp } from '../support/app.js';

const SECRET = 'content-secret-0123456789abcdef';
const NAME = 'Entrevista Ñandú — “take 2”.mp4';

interface Served {
  base: string;
  close(): Promise<void>;
  /** signed request (path with query), like the CLI and the add-on make them */
  signed(method: string, path: string, headers?: Record<string, string>): Promise<Response>;
}

/** An app on 127.0.0.1 over `store`, with row 151's video (bytes `video bytes of vid151`) and `NAME` stored. */
async function serveArchive(dir: string, store: ObjectStore): Promise<Served & { queue: SqliteJobBackend; cat: Catalogue }> {
  const cat = await Catalogue.open({ engine: 'sqlite', path: join(dir, `catalogue-${store.kind}.db`) });
  const queue = new SqliteJobBackend(':memory:');
  attachMetadataSink(store, catalogueSink(cat));
  await writeMetadata(store, '', await youtubeItem(store, { rowId: '151', mediaId: 'vid151', extraFiles: [NAME] }));
  const app = testApp({
    secret: SECRET,
    queue,
    catalogue: { catalogue: cat, store },
  });
  let server!: ServerType;
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    queue,
    cat,
    signed: (method, path, headers = {}) =>
      fetch(base + path, { method, redirect: 'manual', headers: { [SIGNATURE_HEADER]: signRequest(SECRET, method, path), ...headers } }),
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      queue.close();
      await cat.close();
    },
  };
}

const video = assetIdOf(objectKey('', '151', 'youtube', 'vid151', 'vid151.mp4'));
const named = assetIdOf(objectKey('', '151', 'youtube', 'vid151', NAME));
const BYTES = 'video bytes of vid151'; // 21 bytes
const contentPath = (id: string) => `/v1/assets/${id}/content`;

describe('content on the local store', () => {
  let dir: string;
  let s: Awaited<ReturnType<typeof serveArchive>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sa-content-'));
    s = await serveArchive(dir, new LocalStore(join(dir, 'archive')));
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the whole file with its type, length and Accept-Ranges', async () => {
    const r = await s.signed('GET', contentPath(video));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('content-length')).toBe(String(BYTES.length));
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-disposition')).toBe('inline; filename="vid151.mp4"');
    expect(await r.text()).toBe(BYTES);
  });

  it('serves single ranges: first byte, suffix, open-ended, clamped end (RFC 9110 §14)', async () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=0-0', 'v', 'bytes 0-0/21'],
      ['bytes=-5', 'vid151'.slice(1), 'bytes 16-20/21'],
      ['bytes=6-', BYTES.slice(6), 'bytes 6-20/21'],
      ['bytes=15-999', BYTES.slice(15), 'bytes 15-20/21'],
      ['bytes=-100', BYTES, 'bytes 0-20/21'],
    ];
    for (const [range, body, contentRange] of cases) {
      const r = await s.signed('GET', contentPath(video), { range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(contentRange);
      expect(r.headers.get('content-length'), range).toBe(String(Buffer.byteLength(body)));
      expect(await r.text(), range).toBe(body);
    }
  });

  it('answers 416 with bytes */size when out of range, and the whole file for several ranges', async () => {
    for (const range of ['bytes=21-', 'bytes=500-600', 'bytes=-0']) {
      const r = await s.signed('GET', contentPath(video), { range });
      expect(r.status, range).toBe(416);
      expect(r.headers.get('content-range'), range).toBe('bytes */21');
      expect(((await r.json()) as { field: string }).field).toBe('range');
    }
    const multi = await s.signed('GET', contentPath(video), { range: 'bytes=0-1,5-6' });
    expect(multi.status).toBe(200);
    expect(await multi.text()).toBe(BYTES);
  });

  it('answers HEAD with the headers and no body', async () => {
    const r = await s.signed('HEAD', contentPath(video), { range: 'bytes=0-3' });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 0-3/21');
    expect(r.headers.get('content-length')).toBe('4');
    expect(await r.text()).toBe('');
  });

  it('names a non-ASCII file with filename* (RFC 6266) and an ASCII fallback', async () => {
    const r = await s.signed('GET', contentPath(named));
    expect(r.status).toBe(200);
    const cd = r.headers.get('content-disposition')!;
    expect(cd).toBe(`inline; filename="Entrevista _and_ _ _take 2_.mp4"; filename*=UTF-8''${encodeURIComponent(NAME)}`);
    expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(cd)![1]!)).toBe(NAME);
    expect(await r.text()).toBe(`extra ${NAME}`);
  });

  it('is signed like all of /v1, and 404s an unknown asset', async () => {
    expect((await fetch(s.base + contentPath(video))).status).toBe(401);
    expect((await s.signed('GET', contentPath('a_0123456789abcdef01234567'))).status).toBe(404);
    const bad = await s.signed('GET', contentPath('nope'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field: string }).field).toBe('assetId');
  });

  it('gives a link that works without the signature header, for GET and HEAD only', async () => {
    const r = await s.signed('POST', `/v1/assets/${video}/link`);
    expect(r.status).toBe(200);
    const link = (await r.json()) as { url: string; expiresAt: string; expires: number };
    const ttl = link.expires - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThan(890);
    expect(ttl).toBeLessThanOrEqual(900);
    expect(new Date(link.expiresAt).getTime()).toBe(link.expires * 1000);
    expect(link.url.startsWith(`${s.base}${contentPath(video)}?expires=`)).toBe(true);
    const opened = await fetch(link.url, { headers: { range: 'bytes=0-4' } });
    expect(opened.status).toBe(206);
    expect(await opened.text()).toBe('video');
    const head = await fetch(link.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(BYTES.length));
    // the link opens that route only: same query on another asset, or a POST, is refused
    expect((await fetch(link.url.replace(video, named))).status).toBe(403);
    expect((await fetch(link.url, { method: 'POST' })).status).toBe(401);
    const jobs = new URL(link.url);
    expect((await fetch(`${s.base}/v1/jobs/stats${jobs.search}`)).status).toBe(401);
  });

  it('honours ?ttl= within its maximum', async () => {
    const r = await s.signed('POST', `/v1/assets/${video}/link?ttl=60`);
    const link = (await r.json()) as { expires: number };
    expect(link.expires - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
    const tooLong = await s.signed('POST', `/v1/assets/${video}/link?ttl=99999999`);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { field: string }).field).toBe('ttl');
  });

  it('refuses an expired or tampered link with 403 and says why', async () => {
    const path = contentPath(video);
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = await fetch(`${s.base}${path}?expires=${past}&sig=${linkSignature(SECRET, 'GET', path, past)}`);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { message: string }).message).toMatch(/expired at .*ask for a new link/);

    const r = await s.signed('POST', `/v1/assets/${video}/link`);
    const { url } = (await r.json()) as { url: string };
    const u = new URL(url);
    const sig = u.searchParams.get('sig')!;
    u.searchParams.set('sig', (sig[0] === '0' ? '1' : '0') + sig.slice(1));
    const tampered = await fetch(u);
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as { error: string; message: string }).message).toMatch(/signature does not match/);
    // a later expiry with the old signature is tampering too
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(later.searchParams.get('expires')) + 3600));
    expect((await fetch(later)).status).toBe(403);
  });
});

describe('content on S3 (s3rver)', () => {
  let dir: string;
  let s3: S3rverHandle;
  let s: Awaited<ReturnType<typeof serveArchive>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sa-content-s3-'));
    s3 = await startS3rver();
    s = await serveArchive(dir, s3.makeStore({ prefix: 'arch' }));
  });
  afterAll(async () => {
    await s?.close();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redirects to a presigned GET URL valid 5 minutes, which a plain fetch follows to the bytes', async () => {
    const r = await s.signed('GET', contentPath(named));
    expect(r.status).toBe(302);
    const location = new URL(r.headers.get('location')!);
    expect(location.origin).toBe(s3.endpoint);
    expect(location.pathname).toBe(`/${s3.bucket}/arch/151/youtube/vid151/${encodeURIComponent(NAME)}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(location.searchParams.get('response-content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(NAME)}`);
    const got = await fetch(location);
    expect(got.status).toBe(200);
    // s3rver applies response-* overrides as S3 does (GetObject "Overriding response header values")
    expect(got.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent(NAME)}`);
    expect(got.headers.get('content-type')).toBe('video/mp4');
    expect(await got.text()).toBe(`extra ${NAME}`);
    // and Range is the bucket's
    const part = await fetch(location, { headers: { range: 'bytes=0-4' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('extra');
  });

  it('redirects a link opened without the header too', async () => {
    const r = await s.signed('POST', `/v1/assets/${video}/link`);
    const { url } = (await r.json()) as { url: string };
    const opened = await fetch(url);
    expect(opened.status).toBe(200);
    expect(opened.redirected).toBe(true);
    expect(await opened.text()).toBe(BYTES);
  });
});
