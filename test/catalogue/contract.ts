/**
 * The catalogue's contract (docs/design.md §8), one suite run on each engine (sqlite.test.ts,
 * postgres.test.ts): migrations, people keyed by (spreadsheet, row_id), assets per stored file,
 * filters and cursors, metadata.json and the catalogue in step, sessions, import and export.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import type { CatalogueTarget } from '../../worker/src/catalogue/db.js';
import { openDb } from '../../worker/src/catalogue/db.js';
import { exportCatalogue, importSheet } from '../../worker/src/catalogue/importExport.js';
import { LATEST_VERSION, migrate, MIGRATIONS } from '../../worker/src/catalogue/migrate.js';
import { Catalogue, encodeCursor } from '../../worker/src/catalogue/repository.js';
import { openCatalogueFor } from '../../worker/src/catalogue/index.js';
import { catalogueSink, recoverIntents } from '../../worker/src/catalogue/sink.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, writeMetadata } from '../../worker/src/storage/metadata.js';
import { metadataObject, TYPE, youtubeItem } from './fixtures.js';

const CHILD = join(import.meta.dirname, 'migrateChild.ts');
const CRASH_CHILD = join(import.meta.dirname, 'crashChild.ts');

function runChild(
  target: CatalogueTarget,
  script = CHILD,
  ...args: string[]
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const cp = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(target), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let out = '';
    let err = '';
    cp.stdout.on('data', (d) => (out += d));
    cp.stderr.on('data', (d) => (err += d));
    cp.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** What `exportCatalogue` writes, as text, and the row count it returns. */
async function exported(cat: Catalogue, format: 'csv' | 'json'): Promise<{ n: number; text: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const n = await exportCatalogue(cat, format, out);
  return { n, text };
}

/** @param fresh a new, empty catalogue target each call */
export function catalogueContract(engine: string, fresh: () => Promise<CatalogueTarget>): void {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `sa-cat-${engine}-`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const newStore = () => new LocalStore(mkdtempSync(join(dir, 'archive-')));

  describe(`migrations (${engine})`, () => {
    it('applies every version once at start-up; a second start applies none', async () => {
      const target = await fresh();
      const c = await openDb(target);
      try {
        expect(await migrate(c)).toEqual(MIGRATIONS.map((m) => m.version));
        expect(await migrate(c)).toEqual([]);
        const rows = await c.db.selectFrom('catalogue_migrations').select(['version']).execute();
        expect(rows.map((r) => Number(r.version)).sort()).toEqual(MIGRATIONS.map((m) => m.version));
        expect(Math.max(...rows.map((r) => Number(r.version)))).toBe(LATEST_VERSION);
        // every table is there and empty
        for (const t of ['people', 'assets', 'sessions', 'session_jobs', 'metadata_intents'] as const) {
          expect(
            Number(
              (
                await c.db
                  .selectFrom(t)
                  .select((eb) => eb.fn.countAll().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            ),
          ).toBe(0);
        }
      } finally {
        await c.db.destroy();
      }
    });

    it('refuses a database a newer version migrated, naming both versions', async () => {
      const target = await fresh();
      const c = await openDb(target);
      try {
        await migrate(c, [...MIGRATIONS, { version: 99, name: 'future', up: async (db) => void (await sql`select 1`.execute(db)) }]);
        await expect(migrate(c)).rejects.toThrow(new RegExp(`version 99, newer than this sheet-archiver \\(${LATEST_VERSION}\\)`));
      } finally {
        await c.db.destroy();
      }
    });

    it('rolls a failing migration back whole', async () => {
      const target = await fresh();
      const c = await openDb(target);
      try {
        await migrate(c);
        const bad = {
          version: LATEST_VERSION + 1,
          name: 'half',
          up: async (db: Parameters<(typeof MIGRATIONS)[0]['up']>[0]) => {
            await db.schema.createTable('half_done').addColumn('x', 'text').execute();
            throw new Error('boom');
          },
        };
        await expect(migrate(c, [...MIGRATIONS, bad])).rejects.toThrow(/migration failed.*boom/);
        const versions = await c.db.selectFrom('catalogue_migrations').select('version').execute();
        expect(versions.map((v) => Number(v.version)).sort()).toEqual(MIGRATIONS.map((m) => m.version));
        await expect(sql`select * from half_done`.execute(c.db)).rejects.toThrow();
      } finally {
        await c.db.destroy();
      }
    });

    it('is safe when several processes start at once: each version applied exactly once', async () => {
      const target = await fresh();
      const results = await Promise.all(Array.from({ length: 4 }, () => runChild(target)));
      for (const r of results) expect(r.code, r.err).toBe(0);
      const applied = results.flatMap((r) => (JSON.parse(r.out.trim().split('\n').pop()!) as { applied: number[] }).applied);
      expect(applied.sort()).toEqual(MIGRATIONS.map((m) => m.version));
      const c = await Catalogue.open(target);
      try {
        expect((await c.db.selectFrom('catalogue_migrations').select('version').execute()).length).toBe(MIGRATIONS.length);
      } finally {
        await c.close();
      }
    }, 90_000);
  });

  describe(`catalogue contract (${engine})`, () => {
    let cat: Catalogue;
    beforeAll(async () => {
      cat = await Catalogue.open(await fresh());
    });
    afterAll(async () => cat?.close());

    it('keys people by (spreadsheet id, row_id): the same row_id in two spreadsheets is two people', async () => {
      const store = newStore();
      const a = await youtubeItem(store, { spreadsheetId: 'ss-A', rowId: '151', mediaId: 'vidA' });
      const b = await youtubeItem(store, { spreadsheetId: 'ss-B', rowId: '151', mediaId: 'vidB' });
      await cat.write((t) => cat.applyMetadata(t, a, metadataObject(a), store));
      await cat.write((t) => cat.applyMetadata(t, b, metadataObject(b), store));
      const found = await cat.findPeople('151');
      expect(found.map((p) => p.spreadsheetId)).toEqual(['ss-A', 'ss-B']);
      expect(new Set(found.map((p) => p.personId)).size).toBe(2);
      expect((await cat.findPeople('151', 'ss-B'))[0]!.type).toBe(TYPE);
    });

    it('catalogues every file of a metadata.json, itself included, with its kind, size and SHA-256', async () => {
      const store = newStore();
      const meta = await youtubeItem(store, {
        spreadsheetId: 'ss-K',
        rowId: 'k1',
        mediaId: 'vidK',
        extraFiles: ['vidK.jpg', 'vidK.comments.json', 'vidK.en.txt'],
      });
      await cat.write((t) => cat.applyMetadata(t, meta, metadataObject(meta), store));
      const { items } = await cat.listAssets({ spreadsheetId: 'ss-K' });
      expect(items.map((a) => [a.fileName, a.kind])).toEqual([
        ['metadata.json', 'metadata'],
        ['vidK.comments.json', 'comments'],
        ['vidK.en.txt', 'transcript'],
        ['vidK.en.vtt', 'subtitles'],
        ['vidK.info.json', 'info'],
        ['vidK.jpg', 'thumbnail'],
        ['vidK.mp4', 'video'],
      ]);
      const video = items.find((a) => a.kind === 'video')!;
      expect(video).toMatchObject({
        rowId: 'k1',
        source: 'youtube',
        mediaId: 'vidK',
        size: meta.files[0]!.size,
        sha256: meta.files[0]!.sha256,
        title: 'Clip vidK',
        uploader: 'Uploader',
        duration: 12.5,
        status: 'stored',
      });
      expect(video.storageUrl).toMatch(/^file:\/\/.*\/k1\/youtube\/vidK\/vidK\.mp4$/);
      expect(video.media['chapters']).toHaveLength(2);
      expect(items.find((a) => a.kind === 'metadata')!.sha256).toBe(metadataObject(meta).sha256);
    });

    it('re-applying is idempotent, keeps tags and notes, drops files no longer listed; older facts never overwrite newer', async () => {
      const store = newStore();
      const meta = await youtubeItem(store, {
        spreadsheetId: 'ss-I',
        rowId: 'i1',
        mediaId: 'vidI',
        name: 'New Name',
        archivedAt: '2026-11-22T00:00:00Z',
      });
      await cat.write((t) => cat.applyMetadata(t, meta, metadataObject(meta), store));
      const video = (await cat.listAssets({ spreadsheetId: 'ss-I', kind: 'video' })).items[0]!;
      await cat.patchAsset(video.assetId, { tags: ['keep', 'keep', 'x'], note: 'checked' });
      const before = await cat.listAssets({ spreadsheetId: 'ss-I' });
      const older = {
        ...meta,
        row: { ...meta.row, name: 'Old Name' },
        archivedAt: '2026-11-01T00:00:00Z',
        files: meta.files.filter((f) => !f.key.endsWith('.info.json')),
      };
      await cat.write((t) => cat.applyMetadata(t, older, metadataObject(older), store));
      await cat.write((t) => cat.applyMetadata(t, older, metadataObject(older), store));
      const after = await cat.listAssets({ spreadsheetId: 'ss-I' });
      expect(after.items.length).toBe(before.items.length - 1);
      expect(after.items.some((a) => a.fileName.endsWith('.info.json'))).toBe(false);
      expect(after.items.find((a) => a.assetId === video.assetId)).toMatchObject({ tags: ['keep', 'x'], note: 'checked' });
      expect((await cat.findPeople('i1', 'ss-I'))[0]!.name).toBe('New Name');
    });

    it('filters by row, source, kind, media id and q (title, uploader, file name; wildcards literal) and pages with a cursor', async () => {
      const store = newStore();
      for (let i = 0; i < 7; i++) {
        const m = await youtubeItem(store, {
          spreadsheetId: 'ss-F',
          rowId: `f${i % 3}`,
          mediaId: `m${i}`,
          title: i === 4 ? 'Interview 100%_done' : `Talk ${i}`,
          uploader: i === 5 ? 'Zelda Channel' : 'U',
        });
        await cat.write((t) => cat.applyMetadata(t, m, metadataObject(m), store));
      }
      const all: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await cat.listAssets({ spreadsheetId: 'ss-F', limit: 5, ...(cursor ? { cursor } : {}) });
        all.push(...page.items.map((a) => a.assetId));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(all.length).toBe(28);
      expect(new Set(all).size).toBe(28);
      expect(pages).toBe(6);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', rowId: 'f1' })).items.every((a) => a.rowId === 'f1')).toBe(true);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', kind: 'video' })).items).toHaveLength(7);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', mediaId: 'm3' })).items).toHaveLength(4);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', source: 'drive' })).items).toHaveLength(0);
      expect(new Set((await cat.listAssets({ q: '100%_D' })).items.map((a) => a.mediaId))).toEqual(new Set(['m4']));
      expect((await cat.listAssets({ q: '100%x' })).items).toHaveLength(0);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', q: 'talk*' })).items).toHaveLength(0);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', q: 'talk?' })).items).toHaveLength(0);
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', q: 'TALK 1' })).items.map((a) => a.mediaId)).toEqual(['m1', 'm1', 'm1', 'm1']);
      expect(new Set((await cat.listAssets({ q: 'zelda' })).items.map((a) => a.mediaId))).toEqual(new Set(['m5']));
      expect((await cat.listAssets({ spreadsheetId: 'ss-F', q: 'm6.en.vtt' })).items.map((a) => a.fileName)).toEqual(['m6.en.vtt']);
      await expect(cat.listAssets({ cursor: 'not-a-cursor' })).rejects.toThrow(/not a cursor/);
      expect((await cat.listAssets({ cursor: encodeCursor(['~~~~']) })).items).toHaveLength(0);
      const people = await cat.listPeople({ spreadsheetId: 'ss-F', limit: 2 });
      expect(people.items.map((p) => p.rowId)).toEqual(['f0', 'f1']);
      expect((await cat.listPeople({ spreadsheetId: 'ss-F', cursor: people.nextCursor! })).items.map((p) => [p.rowId, p.assets])).toEqual([
        ['f2', 8],
      ]);
    });

    it('a search matching thousands of assets pages through all of them', async () => {
      const store = newStore();
      const base = await youtubeItem(store, { spreadsheetId: 'ss-C', rowId: 'c0', mediaId: 'c0' });
      const items = Array.from({ length: 500 }, (_, i) => {
        const meta = {
          ...base,
          row: { ...base.row, rowId: `c${i}` },
          mediaId: `c${i}`,
          title: `Common Word ${i}`,
          files: base.files.map((f) => ({ ...f, key: f.key.replace(/^c0\/youtube\/c0\//, `c${i}/youtube/c${i}/`) })),
        };
        return { meta, metadata: metadataObject(meta) };
      });
      await cat.write((t) => cat.applyMany(t, items, store));
      let n = 0;
      let cursor: string | undefined;
      do {
        const page = await cat.listAssets({ q: 'common word', limit: 500, ...(cursor ? { cursor } : {}) });
        expect(page.items.every((a) => a.title?.startsWith('Common Word'))).toBe(true);
        n += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(n).toBe(2000);
      expect((await cat.listAssets({ q: 'common word 499' })).items).toHaveLength(4);
    });

    it('writeMetadata writes metadata.json and the catalogue in one step', async () => {
      const store = newStore();
      attachMetadataSink(store, catalogueSink(cat));
      const meta = await youtubeItem(store, { spreadsheetId: 'ss-W', rowId: 'w1', mediaId: 'vidW' });
      const stored = await writeMetadata(store, '', meta);
      expect(await store.head(stored.key)).not.toBeNull();
      const assets = (await cat.listAssets({ spreadsheetId: 'ss-W' })).items;
      expect(assets.map((a) => a.objectKey).sort()).toEqual([...meta.files.map((f) => f.key), stored.key].sort());
      expect(assets.find((a) => a.kind === 'metadata')!.sha256).toBe(stored.sha256);
      expect(await cat.pendingIntents()).toEqual([]);
    });

    it('a catalogue failure after the put leaves neither: a new metadata.json is removed, a rewritten one restored', async () => {
      const store = newStore();
      const sink = catalogueSink(cat);
      attachMetadataSink(store, { ...sink, commit: async () => Promise.reject(new Error('connection reset by the database')) });
      const meta = await youtubeItem(store, { spreadsheetId: 'ss-X', rowId: 'x1', mediaId: 'vidX' });
      await expect(writeMetadata(store, '', meta)).rejects.toMatchObject({
        category: 'file_io',
        message: expect.stringMatching(/catalogue write failed.*connection reset/),
      });
      expect(await store.head(metadataObject(meta).key)).toBeNull();
      expect((await cat.listAssets({ spreadsheetId: 'ss-X' })).items).toEqual([]);
      expect(await cat.pendingIntents()).toEqual([]);

      // the same item written whole, then rewritten while the catalogue fails: the first version stays in both
      attachMetadataSink(store, sink);
      const first = await writeMetadata(store, '', meta);
      attachMetadataSink(store, { ...sink, commit: async () => Promise.reject(new Error('deadlock detected')) });
      await expect(writeMetadata(store, '', { ...meta, title: 'Renamed' })).rejects.toThrow(/deadlock/);
      expect(JSON.parse((await store.getText(first.key))!).title).toBe('Clip vidX');
      const assets = (await cat.listAssets({ spreadsheetId: 'ss-X' })).items;
      expect(assets.every((a) => a.title === 'Clip vidX')).toBe(true);
      expect(assets.find((a) => a.kind === 'metadata')!.sha256).toBe(first.sha256);

      // and when the journal itself cannot be written, metadata.json is not written at all
      attachMetadataSink(store, { ...sink, prepare: async () => Promise.reject(new Error('database is down')) });
      const other = await youtubeItem(store, { spreadsheetId: 'ss-X', rowId: 'x2', mediaId: 'vidY' });
      await expect(writeMetadata(store, '', other)).rejects.toThrow(/catalogue unavailable/);
      expect(await store.head(metadataObject(other).key)).toBeNull();
    });

    it('a process that dies between metadata.json and the catalogue: recovery applies a write that landed and drops one that did not', async () => {
      const store = newStore();
      const sink = catalogueSink(cat);
      // the commit never comes: as if the process was killed right after the put
      attachMetadataSink(store, { ...sink, commit: () => new Promise<void>(() => undefined) });
      const meta = await youtubeItem(store, { spreadsheetId: 'ss-R', rowId: 'r1', mediaId: 'vidR' });
      void writeMetadata(store, '', meta);
      const key = metadataObject(meta).key;
      for (let i = 0; i < 200 && (await store.head(key)) === null; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await store.head(key)).not.toBeNull();
      expect((await cat.listAssets({ spreadsheetId: 'ss-R' })).items).toEqual([]);
      // a second intent whose put never happened
      await cat.beginMetadataWrite('r2/youtube/never/metadata.json', 'f'.repeat(64));
      attachMetadataSink(store, null);

      expect(await recoverIntents(cat, store)).toEqual({ applied: 1, dropped: 1 });
      expect((await cat.listAssets({ spreadsheetId: 'ss-R' })).items.map((a) => a.objectKey).sort()).toEqual(
        [...meta.files.map((f) => f.key), key].sort(),
      );
      expect(await cat.pendingIntents()).toEqual([]);
      expect(await recoverIntents(cat, store)).toEqual({ applied: 0, dropped: 0 });
    });

    it('a worker killed between the put and the commit: the next start (openCatalogueFor) completes the write', async () => {
      const target = await fresh();
      const root = mkdtempSync(join(dir, 'crash-'));
      const r = await runChild(target, CRASH_CHILD, root);
      expect(r.signal, r.err).toBe('SIGKILL');
      const store = new LocalStore(root);
      expect(await store.head('k9/youtube/vidK9/metadata.json')).not.toBeNull();
      const restarted = await openCatalogueFor(store, target);
      try {
        expect(await restarted.pendingIntents()).toEqual([]);
        const assets = (await restarted.listAssets({ spreadsheetId: 'ss-K9' })).items;
        expect(assets.map((a) => a.fileName).sort()).toEqual(['metadata.json', 'vidK9.en.vtt', 'vidK9.info.json', 'vidK9.mp4']);
      } finally {
        attachMetadataSink(store, null);
        await restarted.close();
      }
    }, 60_000);

    it('records sessions with their jobs counted by latest status', async () => {
      await cat.openSession({ sessionId: 'run-1', kind: 'run', spreadsheetId: 'csv:/x.csv', sheetName: 'x.csv', request: { jobs: 3 } });
      const job = (jobId: string, status: string) => ({
        jobId,
        dispatchId: 'run-1',
        spreadsheetId: 'csv:/x.csv',
        sheetName: 'x.csv',
        rowId: jobId,
        source: 'youtube' as const,
        status,
      });
      await cat.recordJob(job('j1', 'downloading'));
      await cat.recordJob(job('j1', 'completed'));
      await cat.recordJob(job('j2', 'failed'));
      await cat.recordJob(job('j3', 'completed'));
      await cat.recordJob({ ...job('j9', 'completed'), dispatchId: 'd-2' });
      const sessions = await cat.listSessions();
      expect(sessions.find((s) => s.sessionId === 'run-1')).toMatchObject({
        kind: 'run',
        request: { jobs: 3 },
        counts: { completed: 2, failed: 1 },
      });
      expect(sessions.find((s) => s.sessionId === 'd-2')).toMatchObject({ kind: 'dispatch', counts: { completed: 1 } });
    });

    it('imports the people of a sheet and exports one row per asset with their columns', async () => {
      const csv = join(dir, 'people.csv');
      writeFileSync(
        csv,
        'row_id,name,email,type,link,notes\n' +
          `e1,Ana Souza,ana@example.org,${JSON.stringify(TYPE)},https://www.youtube.com/watch?v=dQw4w9WgXcQ https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123/view,n\n` +
          ',No Id,,,,\n' +
          'e1,Duplicate,,,,\n' +
          'e2,Bruno,b@example.org,MF-Si/Te-BS/P(C) #3,,\n',
      );
      const report = await importSheet(cat, csv, { spreadsheetId: 'ss-E' });
      expect(report).toMatchObject({ created: 2, updated: 0 });
      expect(report.skipped.map((s) => s.rowNumber)).toEqual([3, 4]);
      const ana = (await cat.findPeople('e1', 'ss-E'))[0]!;
      expect(ana).toMatchObject({
        name: 'Ana Souza',
        type: TYPE,
        rowNumber: 2,
        links: [
          { column: 'link', url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' },
          { column: 'link', url: 'https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123/view' },
        ],
      });
      expect((await importSheet(cat, csv, { spreadsheetId: 'ss-E' })).updated).toBe(2);

      const store = newStore();
      const meta = await youtubeItem(store, { spreadsheetId: 'ss-E', rowId: 'e1', mediaId: 'dQw4w9WgXcQ', name: 'Ana Souza' });
      await cat.write((t) => cat.applyMetadata(t, meta, metadataObject(meta), store));
      // the import's links and row number survive the archive's write, and its newer facts win over the older archive's
      expect((await cat.findPeople('e1', 'ss-E'))[0]!.links).toHaveLength(2);

      const json = await exported(cat, 'json');
      const rows = (JSON.parse(json.text) as Record<string, unknown>[]).filter((r) => r['spreadsheet_id'] === 'ss-E');
      expect(rows).toHaveLength(4);
      expect(rows.find((r) => r['kind'] === 'video')).toMatchObject({
        name: 'Ana Souza',
        email: 'ana@example.org',
        type: TYPE,
        row_id: 'e1',
        media_id: 'dQw4w9WgXcQ',
        title: 'Clip dQw4w9WgXcQ',
      });
      const csvOut = await exported(cat, 'csv');
      expect(csvOut.n).toBe(json.n);
      const lines = csvOut.text.trim().split('\n');
      expect(lines[0]).toMatch(/^spreadsheet_id,sheet_name,row_id,name,email,type,source,media_id,kind,/);
      expect(lines.filter((l) => l.startsWith('ss-E,'))).toHaveLength(4);
      expect(lines.find((l) => l.startsWith('ss-E,') && l.includes(',video,'))).toContain(`,${TYPE},`);
    });

    it('guards formula-like text in the CSV export (a title from the site, a name), and import reads it back as it was', async () => {
      const NAME = '=HYPERLINK("https://evil.example/","click")';
      const csv = join(dir, 'formula.csv');
      writeFileSync(
        csv,
        stringify([
          ['row_id', 'name', 'email', 'type', 'link'],
          ['fx1', NAME, '@ana', TYPE, ''],
        ]),
      );
      await importSheet(cat, csv, { spreadsheetId: 'ss-formula' });
      const store = newStore();
      const meta = await youtubeItem(store, {
        spreadsheetId: 'ss-formula',
        rowId: 'fx1',
        mediaId: 'dQw4w9WgXcQ',
        title: '+SUM(A1:A9)',
        uploader: '-1+1',
      });
      await cat.write((t) => cat.applyMetadata(t, meta, metadataObject(meta), store));

      const { text } = await exported(cat, 'csv');
      const rows = (parse(text, { columns: true }) as Record<string, string>[]).filter((r) => r['spreadsheet_id'] === 'ss-formula');
      expect(rows.length).toBeGreaterThan(1);
      for (const r of rows) {
        expect(r).toMatchObject({ name: `'${NAME}`, email: "'@ana", title: "'+SUM(A1:A9)", uploader: "'-1+1", type: TYPE });
        expect(r['duration_s'] ?? '').not.toMatch(/^'/); // numbers are left alone
      }
      // the export read back by import: the guard comes off
      const file = join(dir, 'formula-export.csv');
      writeFileSync(file, text);
      await importSheet(cat, file, { spreadsheetId: 'ss-formula-2' });
      expect((await cat.findPeople('fx1', 'ss-formula-2'))[0]).toMatchObject({ name: NAME, email: '@ana', type: TYPE });
    });
  });
}
