/**
 * `verify` (issue 10 item 7) on archives the real pipeline wrote (real yt-dlp against the local media
 * host): a flipped byte, a deleted file and an orphan are reported, exactly those three, with exit 1;
 * `--repair` downloads the first two again and verify is then clean but for the orphan (deleted only
 * with --delete-orphans). From the built CLI on the local store, and through the library on s3rver.
 * `--sample` and the background slices run on a synthetic archive of random bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchOptionsSchema } from '../../shared/schemas.js';
import { Catalogue } from '../../worker/src/catalogue/repository.js';
import { catalogueSink } from '../../worker/src/catalogue/sink.js';
import { hashObject, openObject, verifyArchive, type Finding } from '../../worker/src/catalogue/verify.js';
import { prepareRepair } from '../../worker/src/catalogue/verifyRepair.js';
import { parseDuration, VerifySchedule } from '../../worker/src/catalogue/verifySchedule.js';
import { loadConfig } from '../../worker/src/config/env.js';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { attachMetadataSink, readMetadata, writeMetadata, type MediaMetadata } from '../../worker/src/storage/metadata.js';
import type { ObjectStore } from '../../worker/src/storage/types.js';
import { runCli, startServe } from '../support/cli.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { startS3rver, type S3rverHandle } from '../support/s3rver.js';
import { TYPE } from './fixtures.js';
import { testEvents } from '../support/jobs.js';

let dir: string;
let host: MediaHost;
let s3: S3rverHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-verify-'));
  host = await startMediaHost({ clipCount: 3, clipSeconds: 1 });
  s3 = await startS3rver();
}, 120_000);

afterAll(async () => {
  await host?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The stored media files (the video) of each row, from the metadata.json files in the store. */
async function videos(store: ObjectStore): Promise<Map<string, { key: string; metadataKey: string }>> {
  const out = new Map<string, { key: string; metadataKey: string }>();
  for await (const key of store.list('')) {
    if (!key.endsWith('/metadata.json')) continue;
    const meta = await readMetadata(store, key);
    const video = meta?.files.find((f) => f.kind === 'media' || /\.(mp4|webm|mkv)$/.test(f.key));
    if (meta && video) out.set(meta.row.rowId, { key: video.key, metadataKey: key });
  }
  return out;
}

const summary = (fs: Finding[]) => fs.map((f) => [f.kind, f.key]).sort();

describe('verify from the CLI, local store', () => {
  let env: Record<string, string>;
  let archive: string;
  let store: LocalStore;
  let files: Map<string, { key: string; metadataKey: string }>;

  beforeAll(async () => {
    const csv = join(dir, 'people.csv');
    writeFileSync(
      csv,
      'row_id,name,email,type,video\n' +
        host.clips.map((c, i) => `${151 + i},Person ${i},p${i}@example.org,${TYPE},${host.pageUrl(c)}`).join('\n') +
        '\n',
    );
    env = { ARCHIVER_DATA: join(dir, 'state'), ARCHIVER_ALLOWED_HOSTS: host.host, ARCHIVER_RETRY_SCALE: '0.01' };
    const run = await runCli(['run', csv, '--json'], env, 180_000);
    expect(run.code, run.stderr).toBe(0);
    archive = join(dir, 'state', 'archive');
    store = new LocalStore(archive);
    files = await videos(store);
    expect([...files.keys()].sort()).toEqual(['151', '152', '153']);
  }, 240_000);

  it('an intact archive verifies clean, exit 0', async () => {
    const r = await runCli(['verify', '--json'], env);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.findings).toEqual([]);
    expect(report.metadataFiles).toBe(3);
    expect(report.checkedFiles).toBe(report.listedFiles);
    expect(report.checkedBytes).toBe(report.listedBytes);
  });

  it('reports exactly a flipped byte, a deleted file and an orphan; --repair fixes the first two', async () => {
    const corrupt = files.get('151')!.key;
    const missing = files.get('152')!.key;
    const orphan = '153/youtube/stray-copy.bin';
    const path = store.pathOf(corrupt);
    const bytes = readFileSync(path);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = bytes[mid]! ^ 0xff; // same size, other SHA-256
    writeFileSync(path, bytes);
    unlinkSync(store.pathOf(missing));
    await store.put(orphan, 'not listed anywhere', { rowId: '153' });

    const r = await runCli(['verify', '--json'], env);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(summary(report.findings)).toEqual(
      [
        ['corrupt', corrupt],
        ['missing', missing],
        ['orphan', orphan],
      ].sort(),
    );
    expect(report.findings.find((f: Finding) => f.kind === 'corrupt')).toMatchObject({
      rowId: '151',
      source: 'youtube',
      actual: { size: bytes.length },
    });

    // the plain output names them too, one line each
    const text = await runCli(['verify'], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('1 missing, 1 corrupt, 1 orphaned');
    expect(text.stderr).toContain(`verify: corrupt ${corrupt}`);

    const repair = await runCli(['verify', '--repair', '--json'], env, 180_000);
    expect(repair.code, repair.stderr).toBe(1); // the orphan stays
    const repaired = JSON.parse(repair.stdout);
    expect(repaired.repair.jobs.map((j: { rowId: string; status: string }) => [j.rowId, j.status]).sort()).toEqual([
      ['151', 'completed'],
      ['152', 'completed'],
    ]);
    expect(summary(repaired.repair.after.findings)).toEqual([['orphan', orphan]]);
    // downloaded again, with the bytes metadata.json records
    const again = await readMetadata(store, files.get('152')!.metadataKey);
    const file = again!.files.find((f) => f.key === missing)!;
    expect(await hashObject(store, missing)).toEqual({ size: file.size, sha256: file.sha256 });

    const after = await runCli(['verify', '--json'], env);
    expect(after.code).toBe(1);
    expect(summary(JSON.parse(after.stdout).findings)).toEqual([['orphan', orphan]]);

    const clean = await runCli(['verify', '--repair', '--delete-orphans', '--json'], env);
    expect(clean.code, clean.stderr).toBe(0);
    expect(await store.head(orphan)).toBeNull();
  }, 300_000);

  it('--row-id limits the check to that row; a bad --sample names the flag', async () => {
    const r = await runCli(['verify', '--row-id', '153', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).metadataFiles).toBe(1);
    const bad = await runCli(['verify', '--sample', '1.5'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--sample');
  });

  it('a catalogue that lacks an asset is reported and --repair applies metadata.json to it', async () => {
    const cat = await Catalogue.open({ engine: 'sqlite', path: join(dir, 'state', 'catalogue.db') });
    const gone = files.get('153')!.key;
    try {
      await cat.db.deleteFrom('assets').where('object_key', '=', gone).execute();
    } finally {
      await cat.close();
    }
    const r = await runCli(['verify', '--json'], env);
    expect(r.code).toBe(1);
    expect(summary(JSON.parse(r.stdout).findings)).toEqual([['uncatalogued', gone]]);
    const repair = await runCli(['verify', '--repair', '--json'], env);
    expect(repair.code, repair.stderr).toBe(0);
    expect(JSON.parse(repair.stdout).repair).toMatchObject({ catalogued: 1, after: { findings: [] } });
  });

  it('serve with ARCHIVER_VERIFY_EVERY verifies in the background and logs what it finds', async () => {
    const stray = '152/youtube/left-behind.tmp';
    await store.put(stray, 'stray', { rowId: '152' });
    const serve = await startServe({ ...env, ARCHIVER_SECRET: 'verify-test-secret-0123456789', ARCHIVER_VERIFY_EVERY: '1h' });
    try {
      const statePath = join(dir, 'state', 'verify-state.json');
      const deadline = Date.now() + 60_000;
      let state: { lastFinishedAt?: number | null; lastFindings?: number } = {};
      while (Date.now() < deadline) {
        try {
          state = JSON.parse(readFileSync(statePath, 'utf8'));
        } catch {
          /* not written yet */
        }
        if (state.lastFinishedAt) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(state).toMatchObject({ lastFindings: 1 });
      expect(serve.stderr()).toContain(`verify: orphan ${stray}`);
    } finally {
      await serve.stop();
    }
  }, 90_000);
});

function job(rowId: string, link: string): NewJob {
  return {
    dispatchId: '00000000-0000-4000-8000-00000000000b',
    spreadsheetId: 'ss-v',
    sheetId: 0,
    sheetName: 'People',
    rowId,
    rowNumber: 2,
    name: `Person ${rowId}`,
    email: `p${rowId}@example.org`,
    type: TYPE,
    source: 'youtube',
    links: [link],
    attempt: 1,
    options: DispatchOptionsSchema.parse({}),
  };
}

/** Runs `jobs` through the real runner (real yt-dlp, media host) into `store`, with the catalogue attached. */
async function runJobs(store: ObjectStore, cat: Catalogue, jobs: NewJob[], name: string): Promise<void> {
  attachMetadataSink(store, catalogueSink(cat));
  const queue = new SqliteJobBackend(':memory:');
  const runner = new Runner({
    events: testEvents(new SqliteOutbox(queue.db)),
    queue,
    sources: { youtube: createYtDlpSource({ allowedHosts: [host.host] }), drive: createYtDlpSource({ allowedHosts: [] }) },
    store,
    prefix: '',
    workRoot: join(dir, `work-${name}`),
    concurrency: 2,
    leaseMs: 30_000,
    jobTimeoutMs: 90_000,
    retryScale: 0.01,
    log: silentLogger,
    pollMs: 50,
    launchGapMs: 0,
  });
  await queue.enqueue(jobs);
  runner.start();
  await runner.idle();
  await runner.stop();
  expect((await queue.list({})).jobs.filter((j) => j.status !== 'completed').map((j) => [j.rowId, j.error])).toEqual([]);
  await queue.close();
  attachMetadataSink(store, null);
}

describe('verify on s3rver, through the library', () => {
  it('finds the three problems; the repair jobs fix the first two', async () => {
    const store = s3.makeStore({ prefix: 'verify' });
    const cat = await Catalogue.open({ engine: 'sqlite', path: join(dir, 's3-catalogue.db') });
    try {
      await runJobs(store, cat, [job('151', host.pageUrl(host.clips[0]!)), job('152', host.clipUrl(host.clips[1]!))], 's3');
      expect((await verifyArchive(store, { catalogue: cat })).findings).toEqual([]);
      const files = await videos(store);
      const corrupt = files.get('151')!.key;
      const missing = files.get('152')!.key;
      const chunks: Buffer[] = [];
      for await (const c of await openObject(store, corrupt)) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      bytes[0] = bytes[0]! ^ 0x01;
      await store.put(corrupt, bytes, { rowId: '151' });
      await store.remove(missing);
      await store.put('151/youtube/orphan.txt', 'stray', { rowId: '151' });

      const report = await verifyArchive(store, { catalogue: cat, concurrency: 2 });
      expect(summary(report.findings)).toEqual(
        [
          ['corrupt', corrupt],
          ['missing', missing],
          ['orphan', '151/youtube/orphan.txt'],
        ].sort(),
      );

      const plan = await prepareRepair(store, cat, report.findings);
      expect(plan.jobs.map((j) => [j.rowId, j.spreadsheetId, j.links]).sort()).toEqual([
        ['151', 'ss-v', [host.pageUrl(host.clips[0]!)]],
        ['152', 'ss-v', [host.clipUrl(host.clips[1]!)]],
      ]);
      expect(await store.head(files.get('151')!.metadataKey)).toBeNull(); // no longer "archived": the retry downloads
      await runJobs(store, cat, plan.jobs, 's3-repair');
      expect(summary((await verifyArchive(store, { catalogue: cat })).findings)).toEqual([['orphan', '151/youtube/orphan.txt']]);
    } finally {
      await cat.close();
    }
  }, 300_000);
});

/** A synthetic archive: `n` items of random bytes, each with its metadata.json (as the sources write it). */
async function synthetic(store: ObjectStore, n: number, size: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const rowId = `r${String(i).padStart(3, '0')}`;
    const key = `${rowId}/youtube/m${i}/clip.mp4`;
    const body = randomBytes(size);
    await store.put(key, body, { rowId });
    const meta: MediaMetadata = {
      schema: 1,
      row: { rowId, name: 'N', email: '', type: TYPE, spreadsheetId: 'ss-s', sheetId: 0, sheetName: 'People' },
      source: 'youtube',
      mediaId: `m${i}`,
      url: `https://www.youtube.com/watch?v=m${i}`,
      files: [{ key, size, sha256: createHash('sha256').update(body).digest('hex'), kind: 'media' }],
      archivedAt: '2026-01-01T00:00:00Z',
      tools: {},
    };
    await writeMetadata(store, '', meta);
  }
}

describe('sampling and background slices', () => {
  it('--sample reads that fraction of the files', async () => {
    const store = new LocalStore(join(dir, 'synthetic'));
    await synthetic(store, 200, 4096);
    const full = await verifyArchive(store);
    expect(full).toMatchObject({ listedFiles: 200, checkedFiles: 200, checkedBytes: 200 * 4096, findings: [] });
    const tenth = await verifyArchive(store, { sample: 0.1 });
    expect(tenth.checkedFiles).toBe(20);
    expect(tenth.checkedBytes).toBe(20 * 4096);
    expect(tenth.listedFiles).toBe(200);
    await expect(verifyArchive(store, { sample: 0 })).rejects.toThrow(/sample/);
  });

  it('ARCHIVER_VERIFY_EVERY: a pass in slices, resumed from the state file, reports an orphan once and nothing else', async () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('soon')).toBeNull();
    expect(loadConfig({ ARCHIVER_VERIFY_EVERY: '7d' }).env.ARCHIVER_VERIFY_EVERY).toBe('7d');
    expect(() => loadConfig({ ARCHIVER_VERIFY_EVERY: 'weekly' })).toThrow(/ARCHIVER_VERIFY_EVERY: must be a duration/);
    const store = new LocalStore(join(dir, 'sliced'));
    await synthetic(store, 30, 1024);
    await store.put('r005/youtube/m5/extra.bin', 'orphan', { rowId: 'r005' });
    const warned: string[] = [];
    const log = {
      ...silentLogger,
      warn: (_o: unknown, msg: string) => void warned.push(msg),
      info: () => undefined,
    } as unknown as typeof silentLogger;
    const cat = await Catalogue.open({ engine: 'sqlite', path: ':memory:' });
    let now = 1_000_000;
    const statePath = join(dir, 'verify-state.json');
    const make = () =>
      new VerifySchedule({ store, catalogue: cat, prefix: '', log, everyMs: 86_400_000, statePath, sliceBytes: 10 * 1024, now: () => now });
    try {
      let ticks = 0;
      let schedule = make();
      for (;;) {
        const next = await schedule.tick();
        ticks++;
        if (ticks === 1) schedule = make(); // a restart: the cursor is in the state file
        if (next > 60_000) break;
        expect(ticks).toBeLessThan(10);
      }
      expect(ticks).toBe(3);
      // the catalogue was empty: each metadata.json's files are reported uncatalogued, plus the one orphan
      expect(warned.filter((w) => w.startsWith('verify: orphan'))).toEqual(['verify: orphan r005/youtube/m5/extra.bin']);
      expect(warned.filter((w) => !w.startsWith('verify: orphan') && !w.startsWith('verify: uncatalogued'))).toEqual([]);
      const state = JSON.parse(readFileSync(statePath, 'utf8'));
      expect(state).toMatchObject({ passStartedAt: null, lastFindings: warned.length });
      // not due again until a day later
      now += 3_600_000;
      expect(await make().tick()).toBe(86_400_000 - 3_600_000);
    } finally {
      await cat.close();
    }
  });
});
