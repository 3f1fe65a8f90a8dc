/**
 * The catalogue's query API over the real app (signature middleware included), one suite run on
 * each engine: GET /v1/people, /v1/people/:rowId, /v1/assets, /v1/assets/:assetId and PATCH.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import type { CatalogueTarget } from '../../worker/src/catalogue/db.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { createApp } from '../../worker/src/server/app.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, writeMetadata } from '../../worker/src/storage/metadata.js';
import { youtubeItem } from './fixtures.js';
import { testApp } from '../support/app.js';

const SECRET = 'api-secret-0123456789abcdef';

export function catalogueApiContract(engine: string, fresh: () => Promise<CatalogueTarget>): void {
  describe(`catalogue API (${engine})`, () => {
    let dir: string;
    let cat: Catalogue;
    let queue: SqliteJobBackend;
    let app: ReturnType<typeof createApp>;
    const call = async (method: string, path: string, body?: unknown, signed = true) => {
      const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = signed ? { [SIGNATURE_HEADER]: signRequest(SECRET, method, path, raw) } : {};
      if (raw) headers['content-type'] = 'application/json';
      const res = await app.request(path, { method, headers, ...(raw ? { body: raw } : {}) });
      return { status: res.status, body: (await res.json()) as any };
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `sa-cat-api-${engine}-`));
      cat = await Catalogue.open(await fresh());
      queue = new SqliteJobBackend(':memory:');
      const store = new LocalStore(join(dir, 'archive'));
      attachMetadataSink(store, catalogueSink(cat));
      for (const [ss, rowId, mediaId, title] of [
        ['ss-1', '151', 'vid151a', 'Interview with Ana'],
        ['ss-1', '151', 'vid151b', 'Second talk'],
        ['ss-1', '152', 'vid152', 'Bruno on stage'],
        ['ss-2', '151', 'vidOther', 'Someone else'],
        ['ss-1', 'col/x', 'vidSlash', 'Hostile row id'],
      ] as const) {
        await writeMetadata(store, '', await youtubeItem(store, { spreadsheetId: ss, rowId, mediaId, title }));
      }
      app = testApp({
        secret: SECRET,
        queue,
        catalogue: { catalogue: cat, store },
      });
    });
    afterAll(async () => {
      queue?.close();
      await cat?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is signed like all of /v1', async () => {
      expect((await call('GET', '/v1/people', undefined, false)).status).toBe(401);
    });

    it('GET /v1/people lists people, by spreadsheet and q', async () => {
      const all = await call('GET', '/v1/people?spreadsheetId=ss-1');
      expect(all.status).toBe(200);
      expect(all.body.people.map((p: { rowId: string }) => p.rowId)).toEqual(['151', '152', 'col/x']);
      expect(all.body.people[0]).toMatchObject({ name: 'Person 151', assets: 8 });
      const q = await call('GET', '/v1/people?q=' + encodeURIComponent('152@EXAMPLE'));
      expect(q.body.people.map((p: { rowId: string }) => p.rowId)).toEqual(['152']);
    });

    it('GET /v1/people/:rowId gives the person and every asset grouped by source and media id', async () => {
      const r = await call('GET', '/v1/people/151?spreadsheetId=ss-1');
      expect(r.status).toBe(200);
      expect(r.body.person).toMatchObject({ rowId: '151', spreadsheetId: 'ss-1', assets: 8 });
      expect(r.body.sources.youtube.map((g: { mediaId: string }) => g.mediaId)).toEqual(['vid151a', 'vid151b']);
      expect(r.body.sources.youtube[0].assets.map((a: { kind: string }) => a.kind).sort()).toEqual([
        'info',
        'metadata',
        'subtitles',
        'video',
      ]);
      expect(r.body.sources.drive).toEqual([]);
      // the same row_id in two spreadsheets needs the spreadsheet
      const amb = await call('GET', '/v1/people/151');
      expect(amb.status).toBe(409);
      expect(amb.body).toMatchObject({ field: 'spreadsheetId', spreadsheetIds: ['ss-1', 'ss-2'] });
      const slash = await call('GET', `/v1/people/${encodeURIComponent('col/x')}`);
      expect(slash.status).toBe(200);
      expect(slash.body.sources.youtube[0].assets[0].objectKey).toMatch(/^col%2Fx\/youtube\/vidSlash\//);
      expect((await call('GET', '/v1/people/999')).status).toBe(404);
      expect((await call('GET', '/v1/people/151?bogus=1')).body).toMatchObject({ error: 'invalid_request', field: 'bogus' });
    });

    it('GET /v1/assets filters and pages with a cursor; bad parameters are a 400 naming the field', async () => {
      const seen: string[] = [];
      let path = '/v1/assets?spreadsheetId=ss-1&limit=3';
      for (let i = 0; i < 20; i++) {
        const r = await call('GET', path);
        expect(r.status).toBe(200);
        seen.push(...r.body.assets.map((a: { assetId: string }) => a.assetId));
        if (!r.body.nextCursor) break;
        path = `/v1/assets?spreadsheetId=ss-1&limit=3&cursor=${encodeURIComponent(r.body.nextCursor)}`;
      }
      expect(seen.length).toBe(16);
      expect(new Set(seen).size).toBe(16);
      const videos = await call('GET', '/v1/assets?rowId=151&source=youtube&kind=video&spreadsheetId=ss-1');
      expect(videos.body.assets.map((a: { mediaId: string }) => a.mediaId)).toEqual(['vid151a', 'vid151b']);
      const q = await call('GET', '/v1/assets?q=stage&kind=video');
      expect(q.body.assets.map((a: { rowId: string }) => a.rowId)).toEqual(['152']);
      expect((await call('GET', '/v1/assets?mediaId=vid152')).body.assets).toHaveLength(4);
      for (const [query, field] of [
        ['cursor=garbage', 'cursor'],
        ['cursor=' + Buffer.from('["a","b"]').toString('base64url'), 'cursor'],
        ['limit=0', 'limit'],
        ['limit=abc', 'limit'],
        ['limit=501', 'limit'],
        ['kind=movie', 'kind'],
        ['source=vimeo', 'source'],
        ['status=gone', 'status'],
        ['colour=red', 'colour'],
      ]) {
        const r = await call('GET', `/v1/assets?${query}`);
        expect(r.status, query).toBe(400);
        expect(r.body.field, query).toBe(field);
      }
    });

    it('GET /v1/assets/:assetId gives metadata, chapters and the transcript text', async () => {
      const video = (await call('GET', '/v1/assets?mediaId=vid151a&kind=video')).body.assets[0];
      const r = await call('GET', `/v1/assets/${video.assetId}`);
      expect(r.status).toBe(200);
      expect(r.body.asset).toMatchObject({ assetId: video.assetId, title: 'Interview with Ana' });
      expect(r.body.person).toMatchObject({ rowId: '151', spreadsheetId: 'ss-1' });
      expect(r.body.metadata).toMatchObject({ mediaId: 'vid151a', source: 'youtube', row: { rowId: '151' } });
      expect(r.body.chapters.map((c: { title: string }) => c.title)).toEqual(['Intro', 'Talk']);
      expect(r.body.transcript).toMatchObject({ text: 'Hello there\nsecond line', language: 'en' });
      expect((await call('GET', '/v1/assets/a_missing')).status).toBe(404);
    });

    it('PATCH /v1/assets/:assetId edits tags and note only', async () => {
      const video = (await call('GET', '/v1/assets?mediaId=vid152&kind=video')).body.assets[0];
      const ok = await call('PATCH', `/v1/assets/${video.assetId}`, { tags: ['interview', ' stage '], note: 'best take' });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ tags: ['interview', 'stage'], note: 'best take', kind: 'video', rowId: '152' });
      expect((await call('GET', `/v1/assets/${video.assetId}`)).body.asset.tags).toEqual(['interview', 'stage']);
      for (const [body, field] of [
        [{ type: 'XX' }, 'type'],
        [{ tags: ['ok'], objectKey: 'x' }, 'objectKey'],
        [{ tags: 'one' }, 'tags'],
        [{ tags: ['x'.repeat(65)] }, 'tags.0'],
        [{ note: 5 }, 'note'],
        [{}, 'body'],
        ['{not json', 'body'],
      ] as const) {
        const r = await call('PATCH', `/v1/assets/${video.assetId}`, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.field, JSON.stringify(body)).toBe(field);
      }
      expect((await call('PATCH', '/v1/assets/a_missing', { note: 'x' })).status).toBe(404);
      const after = (await call('GET', `/v1/assets/${video.assetId}`)).body;
      expect(after.asset).toMatchObject({ kind: 'video', note: 'best take' });
      expect(after.person.type).toBe('FF-Fi/Se-CP/B(S) #4');
    });
  });
}
