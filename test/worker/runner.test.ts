/**
 * The runner with real parts: the SQLite queue and outbox, the yt-dlp source on the local media
 * host, and the local store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { NewJob } from '../../worker/src/jobs/types.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import type { Source } from '../../worker/src/sources/types.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { testNewJob, testEvents } from '../support/jobs.js';

let host: MediaHost;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-runner-'));
  host = await startMediaHost({ clipCount: 2, clipSeconds: 1 });
}, 60_000);
afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const job = (rowId: string, link: string): NewJob => testNewJob(rowId, link);

describe('Runner', () => {
  it('a rate limit pauses its host lane: the next job on that host waits, then runs', async () => {
    const queue = new SqliteJobBackend(':memory:');
    const outbox = new SqliteOutbox(queue.db);
    const runner = new Runner({
      events: testEvents(outbox),
      queue,
      sources: { youtube: createYtDlpSource({ allowedHosts: [host.host] }) },
      store: new LocalStore(join(dir, 'archive')),
      prefix: '',
      workRoot: join(dir, 'work'),
      concurrency: 1,
      leaseMs: 10_000,
      jobTimeoutMs: 60_000,
      retryScale: 0.5, // rate_limit retries after ~2.5 s
      log: silentLogger,
      pollMs: 50,
    });
    const [limited, next] = (await queue.enqueue([job('2', host.rateLimitedUrl('mp4')), job('3', host.clipUrl(host.clips[0]!))])).map(
      (r) => r.job,
    );
    runner.start();
    try {
      const until = async (cond: () => Promise<boolean>, ms: number) => {
        const end = Date.now() + ms;
        while (!(await cond())) {
          if (Date.now() > end) throw new Error('timed out');
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      await until(async () => (await queue.get(limited!.jobId))!.status === 'retrying', 30_000);
      expect((await queue.get(limited!.jobId))!.error).toMatchObject({ category: 'rate_limit' });
      // the pause is the backend's, so every worker on the queue sees it
      expect((await queue.lanePauses()).map((p) => p.lane)).toEqual([host.host]);
      // the other job on the same host does not start while the lane is paused
      await new Promise((r) => setTimeout(r, 1000));
      expect((await queue.get(next!.jobId))!.status).toBe('queued');
      // …and runs once the pause is over
      await until(async () => (await queue.get(next!.jobId))!.status === 'completed', 30_000);
      const updates = (await outbox.peek(100, Number.MAX_SAFE_INTEGER)).map((e) => e.update);
      expect(updates.find((u) => u.rowId === '3')).toMatchObject({
        status: 'completed',
        error: null,
        files: expect.arrayContaining(['3/youtube/clip01/clip01.mp4']),
      });
      // the limited job's row shows its rate_limit line (its retry may be queued or running by now)
      expect(updates.find((u) => u.rowId === '2')).toMatchObject({ error: { source: 'youtube', attempt: 1, category: 'rate_limit' } });
    } finally {
      await runner.stop(true);
      await queue.close();
    }
  }, 60_000);
});

describe('Runner scheduling', () => {
  it('staggers job starts by launchGapMs so downloader start-ups do not all land at once', async () => {
    const queue = new SqliteJobBackend(':memory:');
    const outbox = new SqliteOutbox(queue.db);
    const starts: number[] = [];
    const launches: number[] = [];
    // A source that only records when it was called: this tests the scheduler, not a download.
    const source: Source = {
      name: 'youtube',
      async archive() {
        starts.push(Date.now());
        await new Promise((r) => setTimeout(r, 1000));
        return { mediaIds: ['m'], files: [] };
      },
    };
    const runner = new Runner({
      // the runner emits `started` as it launches a job: that is what the gap spaces out
      // (the source is called a few awaits later, a delay that varies with the machine's load)
      events: testEvents(outbox, (e) => {
        if (e.type === 'started') launches.push(Date.now());
      }),
      queue,
      sources: { youtube: source },
      store: new LocalStore(join(dir, 'archive-sched')),
      prefix: '',
      workRoot: join(dir, 'work-sched'),
      concurrency: 4,
      leaseMs: 10_000,
      jobTimeoutMs: 10_000,
      retryScale: 1,
      log: silentLogger,
      launchGapMs: 100,
    });
    await queue.enqueue(['1', '2', '3', '4'].map((id) => job(id, `http://127.0.0.1:9/${id}.mp4`)));
    runner.start();
    await runner.idle();
    await runner.stop();
    await queue.close();
    expect(starts).toHaveLength(4);
    expect(launches).toHaveLength(4);
    const gaps = launches.slice(1).map((t, i) => t - launches[i]!);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(95);
    // …but all four ran at once: the last started well before the first finished (1 s)
    expect(starts[3]! - starts[0]!).toBeLessThan(800);
  });
});
