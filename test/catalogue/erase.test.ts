/**
 * Erase (docs/catalogue.md "Erase it") with real parts: the SQLite catalogue, the local store and
 * s3rver (batched DeleteObjects), the SQLite queue and status outbox, and the CSV write-back. After
 * a hard erase storage has nothing of the row, the catalogue nothing of the person, the sheet's
 * cells are cleared with the note, and other rows (and the same row_id in another spreadsheet)
 * are untouched. An erase interrupted after a step finishes on resume. Soft delete hides; purge
 * removes later. The API answers 400 naming the field and 404 for the unknown.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import { eraseNote } from '../../shared/rows.js';
import {
  hardErase,
  listErasures,
  purgeDeleted,
  resumeErasures,
  rowPrefix,
  softDeletePerson,
  type EraseDeps,
} from '../../worker/src/catalogue/erase.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { silentLogger } from '../../worker/src/log.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { Reporter } from '../../worker/src/report/reporter.js';
import { createApp } from '../../worker/src/server/app.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { CsvSheetBackend, readCsvSheet } from '../../worker/src/sheets/csv.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, writeMetadata } from '../../worker/src/storage/metadata.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';
import { postgresUnavailable, startPostgres, type PostgresHandle } from '../support/postgres.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { TYPE, youtubeItem } from './fixtures.js';
import { testApp } from '../support/app.js';
import { testNewJob } from '../support/jobs.js';

const SECRET = 'erase-test-secret-0123456789abcdef';
const TRACKING =
  'youtube_status,youtube_files,youtube_media_id,drive_status,drive_files,drive_media_id,last_download_attempt,download_errors';

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out.sort();
}

const noPostgres = postgresUnavailable();
let s3: S3rverHandle;
let pg: PostgresHandle | undefined;
let dbs = 0;
beforeAll(async () => {
  s3 = await startS3rver({ bucket: 'erase-test' });
  if (!noPostgres) pg = await startPostgres();
}, 120_000);
afterAll(async () => {
  await s3?.stop();
  await pg?.stop();
});

for (const [kind, engine] of [
  ['local', 'sqlite'],
  ['s3', 'sqlite'],
  ['local', 'postgres'],
] as const) {
  describe.skipIf(engine === 'postgres' && noPostgres !== null)(
    `erase (${kind} store, ${engine}${engine === 'postgres' && noPostgres ? ` — skipped: ${noPostgres}` : ''})`,
    () => {
      let dir: string;
      let cat: Catalogue;
      let store: ObjectStore;
      let queue: SqliteJobBackend;
      let outbox: SqliteOutbox;
      let csv: string;
      let deps: EraseDeps;

      const flushSheet = async () => {
        const reporter = new Reporter({ backend: new CsvSheetBackend(csv), outbox, windowMs: 60_000 });
        await reporter.close();
      };
      const row = async (rowId: string) => {
        const sheet = await readCsvSheet(csv);
        const r = sheet.rows.find((x) => x[0] === rowId)!;
        return Object.fromEntries(sheet.headers.map((h, i) => [h, r[i] ?? '']));
      };

      beforeEach(async () => {
        dir = mkdtempSync(join(tmpdir(), `sa-erase-${kind}-`));
        cat = await Catalogue.open(
          engine === 'postgres'
            ? { engine: 'postgres', url: await pg!.createDatabase(`erase_${process.pid}_${++dbs}`) }
            : { engine: 'sqlite', path: join(dir, 'catalogue.db') },
        );
        store =
          kind === 'local'
            ? new LocalStore(join(dir, 'archive'))
            : s3.makeStore({ prefix: `t${Date.now()}${Math.random().toString(36).slice(2, 8)}` });
        attachMetadataSink(store, catalogueSink(cat));
        for (const [ss, rowId, mediaId] of [
          ['ss-1', '151', 'vid151a'],
          ['ss-1', '151', 'vid151b'],
          ['ss-1', '152', 'vid152'],
          ['ss-2', '151', 'vidOther'],
        ] as const) {
          await writeMetadata(store, '', await youtubeItem(store, { spreadsheetId: ss, rowId, mediaId }));
        }
        // an object under the row's prefix the catalogue does not know (a leftover): it goes too
        await store.put('152/youtube/vid152/stray.part', 'partial', { rowId: '152' });
        queue = new SqliteJobBackend(join(dir, 'queue.db'));
        outbox = new SqliteOutbox(queue.db);
        csv = join(dir, 'sheet.csv');
        writeFileSync(
          csv,
          `row_id,name,email,type,video,${TRACKING}\n` +
            `151,Person 151,151@example.org,${TYPE},https://youtu.be/vid151a,completed,151/youtube/vid151a/vid151a.mp4,vid151a,,,,2026-11-21T09:15:02Z,\n` +
            `152,Person 152,152@example.org,${TYPE},https://youtu.be/vid152,completed,152/youtube/vid152/vid152.mp4,vid152,,,,2026-11-21T09:15:02Z,drive#1 not_found: gone\n`,
        );
        deps = { catalogue: cat, store, queue, outbox, prefix: '', log: silentLogger };
      });
      afterEach(async () => {
        attachMetadataSink(store, null);
        await queue.close();
        await cat.close();
        rmSync(dir, { recursive: true, force: true });
      });

      const person = async (rowId: string, ss = 'ss-1') => (await cat.findPeople(rowId, ss))[0]!;

      it('a hard erase cancels open jobs, deletes every object under the prefix and the catalogue rows, and clears the cells', async () => {
        const job = (
          await queue.enqueue([
            testNewJob('152', 'https://youtu.be/vid152', {
              dispatchId: '00000000-0000-4000-8000-000000000009',
              spreadsheetId: 'ss-1',
              rowNumber: 3,
              email: '152@example.org',
              type: TYPE,
            }),
          ])
        )[0]!.job;
        const before151 = await keysUnder(store, rowPrefix('', '151'));
        const sheet151 = await row('151');
        expect(await keysUnder(store, '152/')).toHaveLength(5);

        const killed: string[] = [];
        const done = await hardErase({ ...deps, abortJob: (id) => (killed.push(id), true) }, await person('152'));
        // a download running in this process is killed (Runner.abort)
        expect(killed).toEqual([job.jobId]);
        expect(done).toMatchObject({
          step: 4,
          stepName: 'sheet_cleared',
          files: 5,
          cancelledJobs: [job.jobId],
          note: eraseNote(new Date()),
        });
        expect(done.finishedAt).not.toBeNull();
        expect((await queue.get(job.jobId))?.status).toBe('cancelled');
        expect(await keysUnder(store, '152/')).toEqual([]);
        expect(await cat.findPeople('152')).toEqual([]);
        expect((await cat.listAssets({ rowId: '152', status: 'all' })).items).toEqual([]);

        await flushSheet();
        expect(await row('152')).toMatchObject({
          row_id: '152',
          type: TYPE,
          video: 'https://youtu.be/vid152',
          youtube_status: '',
          youtube_files: '',
          youtube_media_id: '',
          drive_status: '',
          last_download_attempt: '',
          download_errors: eraseNote(new Date()),
        });
        // other rows: untouched in storage, catalogue and sheet
        expect(await keysUnder(store, rowPrefix('', '151'))).toEqual(before151);
        expect(await row('151')).toEqual(sheet151);
        expect((await cat.listAssets({ rowId: '151' })).items.length).toBe(12);
        expect((await listErasures(cat)).map((e) => [e.rowId, e.stepName])).toEqual([['152', 'sheet_cleared']]);
      });

      it('the same row_id in another spreadsheet keeps its files and its person', async () => {
        await hardErase(deps, await person('151', 'ss-1'));
        expect(await keysUnder(store, '151/')).toEqual(
          ['vidOther.en.vtt', 'vidOther.info.json', 'vidOther.mp4', 'metadata.json'].map((f) => `151/youtube/vidOther/${f}`).sort(),
        );
        expect((await cat.findPeople('151')).map((p) => p.spreadsheetId)).toEqual(['ss-2']);
        expect((await cat.listAssets({ rowId: '151' })).items).toHaveLength(4);
      });

      it('an erase interrupted after each step finishes on resume, and nothing is half-deleted without a record', async () => {
        for (const stop of [1, 2, 3]) {
          if (stop > 1) {
            // a fresh person each round
            await writeMetadata(store, '', await youtubeItem(store, { spreadsheetId: 'ss-1', rowId: `r${stop}`, mediaId: `m${stop}` }));
          }
          const rowId = stop === 1 ? '152' : `r${stop}`;
          const crashing: EraseDeps = {
            ...deps,
            afterStep: (step) => {
              if (step === stop) throw new Error(`crash after step ${step}`);
            },
          };
          await expect(hardErase(crashing, await person(rowId))).rejects.toThrow(`crash after step ${stop}`);
          const open = (await listErasures(cat, { rowId }))[0]!;
          expect(open).toMatchObject({ step: stop, finishedAt: null });
          if (stop >= 2) expect(await keysUnder(store, `${rowId}/`)).toEqual([]);
          if (stop < 3) expect(await cat.findPeople(rowId)).toHaveLength(1);
          const resumed = await resumeErasures(deps);
          expect(resumed.map((e) => [e.rowId, e.step])).toEqual([[rowId, 4]]);
          expect(await keysUnder(store, `${rowId}/`)).toEqual([]);
          expect(await cat.findPeople(rowId)).toEqual([]);
          expect(await resumeErasures(deps)).toEqual([]);
        }
        await flushSheet();
        expect((await row('152')).download_errors).toBe(eraseNote(new Date()));
      });

      it('soft delete hides the assets from lists and keeps the files; purge removes them later', async () => {
        const p = await person('152');
        expect(await softDeletePerson(cat, p.personId)).toBe(4);
        expect((await cat.listAssets({ rowId: '152' })).items).toEqual([]);
        expect((await cat.personWithAssets(p.personId))!.person.assets).toBe(0);
        expect((await cat.listPeople({ spreadsheetId: 'ss-1' })).items.find((x) => x.rowId === '152')!.assets).toBe(0);
        const deleted = (await cat.listAssets({ rowId: '152', status: 'deleted' })).items;
        expect(deleted).toHaveLength(4);
        for (const a of deleted) expect(await store.head(a.objectKey)).not.toBeNull();

        // not old enough yet
        expect(await purgeDeleted(cat, store, new Date(Date.now() - 30 * 86_400_000))).toEqual({ assets: 0, bytes: 0 });
        const r = await purgeDeleted(cat, store, new Date(Date.now() + 1000));
        expect(r.assets).toBe(4);
        for (const a of deleted) expect(await store.head(a.objectKey)).toBeNull();
        expect((await cat.listAssets({ rowId: '152', status: 'all' })).items).toEqual([]);
        expect((await cat.listAssets({ rowId: '151' })).items.length).toBe(12);
      });

      if (kind === 's3') {
        it('deletes with batched DeleteObjects', async () => {
          s3.requests.length = 0;
          await hardErase(deps, await person('152'));
          const batch = s3.requests.filter((r) => r.method === 'POST' && /[?&]delete(=|&|$)/.test(r.url));
          expect(batch.length).toBeGreaterThanOrEqual(1);
          expect(s3.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
        });
      }

      describe('API', () => {
        let app: ReturnType<typeof createApp>;
        const call = async (method: string, path: string, signed = true) => {
          const headers: Record<string, string> = signed ? { [SIGNATURE_HEADER]: signRequest(SECRET, method, path, '') } : {};
          const res = await app.request(path, { method, headers });
          return { status: res.status, body: (await res.json()) as any };
        };
        beforeEach(async () => {
          app = testApp({
            secret: SECRET,
            queue,
            catalogue: { catalogue: cat, store },
            erase: deps,
          });
        });

        it('refuses bad parameters with a 400 naming the field, and unknown ones with a 404', async () => {
          expect((await call('DELETE', '/v1/people/152?spreadsheetId=ss-1', false)).status).toBe(401);
          expect((await call('DELETE', '/v1/people/152?spreadsheetId=ss-1&hard=yes')).body).toMatchObject({
            error: 'invalid_request',
            field: 'hard',
          });
          expect((await call('DELETE', '/v1/people/152?spreadsheetId=ss-1&force=1')).body).toMatchObject({
            error: 'invalid_request',
            field: 'force',
          });
          expect((await call('DELETE', '/v1/people/152?spreadsheetId=ss-1&hard=true&hard=false')).body).toMatchObject({
            error: 'invalid_request',
            field: 'hard',
          });
          expect((await call('DELETE', '/v1/assets/not-an-id')).body).toMatchObject({ error: 'invalid_request', field: 'assetId' });
          expect((await call('DELETE', `/v1/assets/a_${'0'.repeat(24)}?hard=true`)).body).toMatchObject({
            error: 'invalid_request',
            field: 'hard',
          });
          const unknown = await call('DELETE', '/v1/people/nobody?spreadsheetId=ss-1');
          expect([unknown.status, unknown.body.error]).toEqual([404, 'not_found']);
          expect((await call('DELETE', `/v1/assets/a_${'0'.repeat(24)}`)).status).toBe(404);
          const ambiguous = await call('DELETE', '/v1/people/151');
          expect([ambiguous.status, ambiguous.body.field]).toEqual([409, 'spreadsheetId']);
          // nothing was deleted by any of these
          expect((await cat.listAssets({})).items.length).toBe(16);
        });

        it('DELETE soft-deletes (hidden from GET lists), DELETE ?hard=true erases', async () => {
          const asset = (await cat.listAssets({ rowId: '151', spreadsheetId: 'ss-1', kind: 'video' })).items[0]!;
          const one = await call('DELETE', `/v1/assets/${asset.assetId}`);
          expect([one.status, one.body.asset.status]).toEqual([200, 'deleted']);
          const listed = await call('GET', '/v1/assets?rowId=151&spreadsheetId=ss-1&kind=video');
          expect(listed.body.assets.map((a: { assetId: string }) => a.assetId)).not.toContain(asset.assetId);
          expect(
            (await call('GET', '/v1/assets?rowId=151&spreadsheetId=ss-1&status=deleted')).body.assets.map(
              (a: { assetId: string }) => a.assetId,
            ),
          ).toEqual([asset.assetId]);

          const soft = await call('DELETE', '/v1/people/152?spreadsheetId=ss-1');
          expect(soft.body).toMatchObject({ hard: false, deletedAssets: 4 });
          expect((await call('GET', '/v1/assets?rowId=152')).body.assets).toEqual([]);
          expect(await keysUnder(store, '152/')).toHaveLength(5);

          const hard = await call('DELETE', '/v1/people/152?spreadsheetId=ss-1&hard=true');
          expect([hard.status, hard.body.erasure.stepName]).toEqual([200, 'sheet_cleared']);
          expect(await keysUnder(store, '152/')).toEqual([]);
          expect((await call('GET', '/v1/people/152?spreadsheetId=ss-1')).status).toBe(404);
          expect(readFileSync(csv, 'utf8')).toContain('152,');
        });
      });
    },
  );
}
