/**
 * The job lifecycle end to end in one process (docs/design.md §4): the runner on the SQLite
 * backend with yt-dlp against the local media host. A cancel is recorded from the abort reason
 * (the API's runner.abort, or a heartbeat answering 'cancelled' when the cancel came from another
 * process), never by re-reading the queue; a job of several links is retried when one of its
 * errors is retryable; and the lifecycle events reach the status projector.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobLifecycleEvent } from '../../worker/src/events/jobEvents.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { silentLogger } from '../../worker/src/log.js';
import { Runner } from '../../worker/src/pipeline/runner.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createYtDlpSource } from '../../worker/src/sources/ytdlp/index.js';
import { LocalStore } from '../../worker/src/storage/local.js';
import { startMediaHost, type MediaHost } from '../support/mediaHost.js';
import { testEvents, testNewJob } from '../support/jobs.js';
import { until } from '../support/wait.js';

let host: MediaHost;
let gone: string; // host:port of a media host that was closed: connection refused (network)
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sa-lifecycle-'));
  host = await startMediaHost({ clipCount: 1, clipSeconds: 1 });
  const other = await startMediaHost({ clipCount: 1, clipSeconds: 1 });
  gone = other.host;
  await other.close();
}, 60_000);
afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A runner on its own backend file; the second backend is another process's view of the same file. */
/** Waits (30 s at most) until job `jobId` is downloading. */
async function downloadStarted(queue: SqliteJobBackend, jobId: string): Promise<void> {
  await until('the download to start', async () => ((await queue.get(jobId))!.status === 'downloading' ? true : undefined), 30_000, 20);
}

function setup(name: string) {
  const path = join(dir, `${name}.db`);
  const queue = new SqliteJobBackend(path);
  const elsewhere = new SqliteJobBackend(path);
  const outbox = new SqliteOutbox(queue.db);
  const seen: JobLifecycleEvent[] = [];
  const runner = new Runner({
    queue,
    events: testEvents(outbox, (e) => seen.push(e)),
    sources: { youtube: createYtDlpSource({ allowedHosts: [host.host, gone] }) },
    store: new LocalStore(join(dir, `${name}-archive`)),
    prefix: '',
    workRoot: join(dir, `${name}-work`),
    concurrency: 1,
    leaseMs: 600, // heartbeats every 200 ms
    jobTimeoutMs: 60_000,
    retryScale: 0.001,
    log: silentLogger,
    pollMs: 20,
    launchGapMs: 0,
  });
  const close = async () => {
    await runner.stop(true);
    await queue.close();
    await elsewhere.close();
  };
  return { queue, elsewhere, outbox, runner, seen, close };
}

describe('cancel through the abort reason', () => {
  it('runner.abort (the API cancel) records the running job as cancelled and removes what it wrote', async () => {
    const { queue, runner, outbox, seen, close } = setup('abort');
    try {
      const [r] = await queue.enqueue([testNewJob('5', host.slowUrl())]);
      runner.start();
      await downloadStarted(queue, r!.job.jobId);
      await new Promise((res) => setTimeout(res, 300));
      const cancelled = await queue.cancel(r!.job.jobId);
      expect(cancelled!.status).toBe('cancelled');
      expect(runner.abort(r!.job.jobId)).toBe(true);
      await until('the runner to let go', () => (runner.active === 0 ? true : undefined), 30_000, 20);
      const job = (await queue.get(r!.job.jobId))!;
      expect(job).toMatchObject({ status: 'cancelled', error: { category: 'cancelled' }, files: [], attempt: 1 });
      const finished = seen.filter((e) => e.type === 'finished');
      expect(finished.map((e) => e.job.status)).toEqual(['cancelled']);
      const row = (await outbox.peek(10, Number.MAX_SAFE_INTEGER)).map((e) => e.update).find((u) => u.rowId === '5');
      expect(row).toMatchObject({ status: 'failed', error: { category: 'cancelled', attempt: 1 } });
    } finally {
      await close();
    }
  }, 60_000);

  it("a cancel from another process reaches the holder through its heartbeat ('cancelled')", async () => {
    const { queue, elsewhere, runner, seen, close } = setup('heartbeat');
    try {
      const [r] = await queue.enqueue([testNewJob('6', host.slowUrl())]);
      runner.start();
      await downloadStarted(queue, r!.job.jobId);
      // the API of another worker process cancels; nothing calls this runner's abort()
      await elsewhere.cancel(r!.job.jobId);
      await until('the runner to let go', () => (seen.some((e) => e.type === 'finished') ? true : undefined), 30_000, 20);
      expect(runner.active).toBe(0);
      expect(await queue.get(r!.job.jobId)).toMatchObject({ status: 'cancelled', error: { category: 'cancelled' }, attempt: 1 });
      expect(await queue.openCount()).toBe(0);
    } finally {
      await close();
    }
  }, 60_000);
});

describe('several links', () => {
  it('first link not_found, second network: the job is retried, with the network error', async () => {
    const { queue, runner, seen, close } = setup('links');
    try {
      const [r] = await queue.enqueue([
        testNewJob('7', host.notFoundUrl('mp4'), { links: [host.notFoundUrl('mp4'), `http://${gone}/clips/clip01.mp4`] }),
      ]);
      runner.start();
      await until('the first attempt to fail', () => (seen.some((e) => e.type === 'finished') ? true : undefined), 60_000, 20);
      const first = seen.find((e) => e.type === 'finished')!.job;
      expect(first).toMatchObject({ status: 'retrying', attempt: 2, error: { category: 'network' } });
      await until('the attempts to run out', async () => ((await queue.openCount()) === 0 ? true : undefined), 60_000, 20);
      expect(await queue.get(r!.job.jobId)).toMatchObject({ status: 'failed', attempt: 3, error: { category: 'network' } });
    } finally {
      await close();
    }
  }, 120_000);
});
