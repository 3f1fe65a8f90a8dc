/**
 * Reprocess without downloading (docs/design.md §4, §8), for real: the real Runner archives a clip
 * page from the local media host (real yt-dlp and ffmpeg) into the local store and into s3rver,
 * with the catalogue attached; then the signed API asks to reprocess the asset and the person. The
 * job runs the steps on the stored files: the audio is extracted (ffprobe finds audio only), the
 * WebVTT becomes SRT and plain text, metadata.json and the catalogue list the new files, the job is
 * in the queue, the stats and the events as `reprocess`, and the media host sees no request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchOptionsSchema, JobRecordSchema, type JobRecord } from '../../shared/schemas.js';
import { rebuildCatalogue } from '../../worker/src/catalogue/rebuild.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { EventBus } from '../../worker/src/events/bus.js';
import { JobEvents } from '../../worker/src/events/jobEvents.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, readMetadata } from '../../worker/src/storage/metadata.js';
import { downloadObject } from '../../worker/src/storage/read.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { postgresUnavailable, startPostgres, type PostgresHandle } from '../support/postgres.js';
import { signedClient, type SignedClient } from '../support/signedFetch.js';
import { TYPE } from './fixtures.js';
import { testApp } from '../support/app.js';

const SECRET = 'reprocess-secret-0123456789abcdef';
let dir: string;
let host: MediaHost;
let s3: S3rverHandle;
let pg: PostgresHandle | undefined;
let dbs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-reprocess-'));
  host = await startMediaHost({ clipCount: 1, clipSeconds: 2 });
  s3 = await startS3rver();
}, 120_000);

afterAll(async () => {
  await host?.close();
  await s3?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function archiveJob(rowId: string, link: string): NewJob {
  return {
    dispatchId: '00000000-0000-4000-8000-00000000000b',
    spreadsheetId: 'ss-1',
    sheetId: 0,
    sheetName: 'People',
    rowId,
    rowNumber: 5,
    name: 'Ana Souza',
    email: 'ana@example.org',
    type: TYPE,
    source: 'youtube',
    links: [link],
    attempt: 1,
    options: DispatchOptionsSchema.parse({}),
  };
}

/** Streams of a file, by ffprobe: codec types in order. */
function streamTypes(path: string): string[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Target = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };
const sqliteAt = (file: string) => async (): Promise<Target> => ({ engine: 'sqlite', path: file === ':memory:' ? file : join(dir, file) });
/** A fresh database on the PostgreSQL server this file starts (test/support/postgres.ts). */
const freshPostgres = async (): Promise<Target> => {
  pg ??= await startPostgres();
  return { engine: 'postgres', url: await pg.createDatabase(`reprocess_${process.pid}_${++dbs}`) };
};
const noPostgres = postgresUnavailable();
type Case = [string, (name: string) => ObjectStore, (file: string) => () => Promise<Target>];
const local = (name: string): ObjectStore => new LocalStore(join(dir, `archive-${name}`));
const cases: Case[] = [
  ['local store', local, sqliteAt],
  ['s3rver', (name) => s3.makeStore({ prefix: `re-${name}` }), sqliteAt],
];
// the API and the catalogue writes on the scale-out engine too (skipped, saying why, without it)
if (!noPostgres) cases.push(['local store with PostgreSQL', local, () => freshPostgres]);
if (noPostgres) it.skip(`reprocess with PostgreSQL — skipped: ${noPostgres}`, () => undefined);

describe.each(cases)('reprocess on %s', (storeName, makeStore, targetOf) => {
  const name = storeName.replace(/\W/g, '');
  let store: ObjectStore;
  let catalogue: Catalogue;
  let queue: SqliteJobBackend;
  let outbox: SqliteOutbox;
  let events: JobEvents;
  let runner: Runner;
  let server: ServerType;
  let api: SignedClient;
  let base: string;

  beforeAll(async () => {
    store = makeStore(name);
    catalogue = await Catalogue.open(await targetOf(`${name}-catalogue.db`)());
    attachMetadataSink(store, catalogueSink(catalogue));
    queue = new SqliteJobBackend(join(dir, `${name}-queue.db`));
    outbox = new SqliteOutbox(queue.db);
    events = new JobEvents(new EventBus(new SqliteEventLog(queue.db)));
    runner = new Runner({
      events: events,
      queue,
      sources: { youtube: createYtDlpSource({ allowedHosts: [host.host] }) },
      store,
      prefix: '',
      workRoot: join(dir, `work-${name}`),
      concurrency: 1,
      leaseMs: 30_000,
      jobTimeoutMs: 120_000,
      retryScale: 0.01,
      log: silentLogger,
      pollMs: 50,
      launchGapMs: 0,
    });
    const app = testApp({
      secret: SECRET,
      queue,
      maxBodyBytes: 64 * 1024,
      onEnqueued: () => runner.wake(),
      catalogue: { catalogue, store },
      events,
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    api = signedClient(base, SECRET);
    // archive the row for real: the page's clip and its subtitles, from the media host
    await queue.enqueue([archiveJob('151', host.pageUrl(host.clips[0]!))]);
    runner.start();
    await runner.idle();
    const archived = (await queue.list({})).jobs;
    expect(archived.map((j) => [j.status, j.error])).toEqual([['completed', null]]);
  }, 180_000);

  afterAll(async () => {
    await runner?.stop();
    server?.close();
    queue?.close();
    if (store) attachMetadataSink(store, null);
    await catalogue?.close();
  });

  /** Runs a reprocess request to its end; asserts the media host saw nothing meanwhile and the sheet got nothing. */
  async function reprocess(path: string): Promise<{ body: any; jobs: JobRecord[] }> {
    const hostRequests = host.requests.length;
    const outboxBefore = (await outbox.peek(1000)).map((e) => e.id);
    const res = await api.request('POST', path);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const jobs: JobRecord[] = (res.body.jobs ?? [res.body]).map((j: unknown) => JobRecordSchema.parse(j));
    for (const j of jobs) expect(j.kind).toBe('reprocess');
    const current = async () => Promise.all(jobs.map(async (j) => (await queue.get(j.jobId))!));
    await waitFor(async () => (await current()).every((j) => ['completed', 'failed'].includes(j.status)));
    const done = await current();
    expect(done.map((j) => [j.status, j.error])).toEqual(jobs.map(() => ['completed', null]));
    expect(host.requests.length, 'the media host saw no request during the reprocess').toBe(hostRequests);
    // a reprocess job writes nothing to the sheet: no status write-back was queued
    expect((await outbox.peek(1000)).map((e) => e.id)).toEqual(outboxBefore);
    return { body: res.body, jobs: done };
  }

  it('reprocesses an asset from storage alone: audio, SRT, text, metadata.json and the catalogue', async () => {
    const before = await catalogue.listAssets({ rowId: '151' });
    const video = before.items.find((a) => a.kind === 'video')!;
    expect(video, 'the archive stored a video').toBeDefined();
    expect(before.items.some((a) => a.kind === 'audio' || a.kind === 'transcript')).toBe(false);

    const { jobs } = await reprocess(`/v1/assets/${video.assetId}/reprocess`);
    const [job] = jobs;

    const after = await catalogue.listAssets({ rowId: '151' });
    const byKind = (k: string) => after.items.filter((a) => a.kind === k);
    const audio = byKind('audio');
    expect(audio.map((a) => a.fileName)).toEqual([video.fileName.replace(/\.[^.]+$/, '.m4a')]);
    const srt = byKind('subtitles').find((a) => a.fileName.endsWith('.srt'))!;
    const txt = byKind('transcript')[0]!;
    expect(srt.fileName).toMatch(/\.en\.srt$/);
    expect(txt.fileName).toMatch(/\.en\.txt$/);
    expect(job!.files.sort()).toEqual([audio[0]!.objectKey, srt.objectKey, txt.objectKey, video.metadataKey].sort());

    // the audio file: AAC copied into m4a, no video stream
    const local = join(dir, `${name}-audio.m4a`);
    const got = await downloadObject(store, audio[0]!.objectKey, local);
    expect(got.sha256).toBe(audio[0]!.sha256);
    expect(streamTypes(local)).toEqual(['audio']);
    expect(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', local], { encoding: 'utf8' }).trim(),
    ).toBe('aac');

    // SRT and text with the subtitle text the host served
    const srtText = (await store.getText(srt.objectKey))!;
    expect(srtText).toMatch(/^1\r?\n00:00:00,000 --> 00:00:01,000\r?\nHello from clip01\.\r?\n/);
    expect(srtText).toContain('This is the transcript of clip01.');
    expect(await store.getText(txt.objectKey)).toBe('Hello from clip01.\nThis is the transcript of clip01.\n');

    // metadata.json lists the new files with kind, size and SHA-256; the old ones stay
    const meta = (await readMetadata(store, video.metadataKey))!;
    for (const a of [audio[0]!, srt, txt]) {
      expect(meta.files).toContainEqual({ key: a.objectKey, size: a.size, sha256: a.sha256, kind: expect.any(String) });
    }
    expect(meta.files.map((f) => f.key)).toEqual(
      expect.arrayContaining(before.items.filter((a) => a.kind !== 'metadata').map((a) => a.objectKey)),
    );
    const record = meta.extra!['reprocess'] as { steps: { name: string; status: string }[]; derived: { key: string; from: string }[] };
    // the steps before `metadata` (which writes this very file)
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ['checks', 'done'],
      ['audio', 'done'],
      ['subtitles', 'done'],
    ]);
    expect(record.derived).toContainEqual({ key: audio[0]!.objectKey, from: video.objectKey });
    // the catalogue's metadata asset is the new metadata.json
    const metaAsset = after.items.find((a) => a.kind === 'metadata')!;
    expect(metaAsset.sha256).not.toBe(before.items.find((a) => a.kind === 'metadata')!.sha256);

    // the queue, the stats and the events show it as a reprocess job
    const listed = await api.request('GET', '/v1/jobs?kind=reprocess');
    expect(listed.body.jobs.map((j: JobRecord) => j.jobId)).toEqual([job!.jobId]);
    const stats = await api.request('GET', '/v1/jobs/stats');
    expect(stats.body.byKind).toEqual({ archive: 1, reprocess: 1 });
    const evs = events.bus.log.since(0, { jobId: job!.jobId });
    expect(evs.map((e) => e.type)).toEqual(expect.arrayContaining(['job.queued', 'job.started', 'job.completed']));
    expect(evs.every((e) => e.data['kind'] === 'reprocess')).toBe(true);
    // the transcript of the asset is now the .txt
    const one = await api.request('GET', `/v1/assets/${video.assetId}`);
    expect(one.body.transcript).toMatchObject({
      objectKey: txt.objectKey,
      text: 'Hello from clip01.\nThis is the transcript of clip01.\n',
    });
  }, 120_000);

  it('reprocesses a person: again from storage, the same derived files, nothing listed twice', async () => {
    const { body, jobs } = await reprocess('/v1/people/151/reprocess?spreadsheetId=ss-1');
    expect(body.jobs).toHaveLength(1);
    const meta = (await readMetadata(store, jobs[0]!.links[0]!))!;
    const keys = meta.files.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((k) => k.endsWith('.m4a'))).toHaveLength(1);
    const record = meta.extra!['reprocess'] as { derived: { key: string }[] };
    expect(record.derived).toHaveLength(3);
    // an audio file made by a reprocess is not itself a source of more audio
    expect((await catalogue.listAssets({ rowId: '151', kind: 'audio' })).items).toHaveLength(1);
    // the catalogue entry it wrote is the one metadata.json gives: a rebuild from storage agrees
    const rebuilt = await Catalogue.open(await targetOf(':memory:')());
    try {
      expect((await rebuildCatalogue(rebuilt, store)).skipped).toEqual([]);
      expect(await rebuilt.snapshot()).toEqual(await catalogue.snapshot());
    } finally {
      await rebuilt.close();
    }
  }, 120_000);

  it('refuses bad ids with a 400 naming the field, and unknown ones with a 404', async () => {
    const bad = await api.request('POST', '/v1/assets/not-an-asset/reprocess');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid_request', field: 'assetId' });
    const unknown = await api.request('POST', `/v1/assets/a_${'0'.repeat(24)}/reprocess`);
    expect(unknown.status).toBe(404);
    const extra = await api.request('POST', `/v1/assets/a_${'0'.repeat(24)}/reprocess?force=1`);
    expect(extra.status).toBe(400);
    expect(extra.body.field).toBe('force');
    const nobody = await api.request('POST', '/v1/people/nobody/reprocess?spreadsheetId=ss-1');
    expect(nobody.status).toBe(404);
    const badQuery = await api.request('POST', '/v1/people/151/reprocess?spreadsheet=ss-1');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.field).toBe('spreadsheet');
    const unsigned = await fetch(`${base}/v1/people/151/reprocess?spreadsheetId=ss-1`, { method: 'POST' });
    expect(unsigned.status).toBe(401);
  });
});
