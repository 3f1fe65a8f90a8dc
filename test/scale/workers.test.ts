/**
 * Three `serve` processes on one Redis (issue 9, docs/design.md §6): 200 jobs dispatched over the
 * signed API against the throttled local media host; two of the workers are SIGKILLed while they
 * download. Every job ends completed exactly once (job records and the shared `job.completed`
 * events), the shared archive holds exactly the files the rows' metadata lists, and the Sheets
 * stand-in's cells match the archive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventLog } from '../../worker/src/events/redisLog.js';
import type { ServeProcess } from '../support/cli.js';
import { redisUnavailable } from '../support/redis.js';
import { until } from '../support/wait.js';
import { allJobs, auditArchive, logLines, sheetRows, startCluster, type Cluster } from './cluster.js';

const ROWS = 200;
let c: Cluster;

/** Jobs a worker started and has not finished, by its log. */
function running(w: ServeProcess): string[] {
  const lines = logLines(w);
  const done = new Set(lines.filter((l) => l['msg'] === 'job finished').map((l) => l['jobId']));
  return lines.filter((l) => l['msg'] === 'job started' && !done.has(l['jobId'])).map((l) => String(l['jobId']));
}

/** Waits until `w` is downloading (a job started, not finished, and the host sending a clip), then SIGKILLs it. */
async function killMidDownload(w: ServeProcess): Promise<string[]> {
  const held = await until(
    'a download in progress on the worker',
    () => {
      const r = running(w);
      return r.length && c.host.inFlight().some((q) => q.path.startsWith('/clips/')) ? r : undefined;
    },
    60_000,
    20,
  );
  await w.kill();
  return held;
}

describe.skipIf(redisUnavailable())('three workers, one Redis', () => {
  beforeAll(async () => {
    // ~250 kB clips at 400 kB/s per connection: each job downloads for about half a second
    c = await startCluster({
      rows: ROWS,
      media: { clipCount: 4, clipSeconds: 1, clipKbps: 2000, throttleBytesPerSec: 400_000 },
      env: { ARCHIVER_CONCURRENCY: '2', ARCHIVER_LEASE_S: '3' },
    });
    await Promise.all([c.startWorker(), c.startWorker(), c.startWorker()]);
  }, 120_000);
  afterAll(async () => c?.close());

  it('200 jobs survive two workers killed mid-download: each completed once, no stray files, the sheet matches', async () => {
    const [a, b, d] = c.workers as [ServeProcess, ServeProcess, ServeProcess];
    // the dispatches go to different workers, as behind a load balancer
    const ids: string[] = [];
    for (const [i, w] of [a, b, d, a].entries()) {
      const r = await c.api(w).request('POST', '/v1/dispatch', c.body(i * 50, (i + 1) * 50));
      expect(r.status).toBe(202);
      ids.push(...r.body.jobs.map((j: { jobId: string }) => j.jobId));
    }
    expect(new Set(ids).size).toBe(ROWS);

    const heldByB = await killMidDownload(b);
    expect(heldByB.length).toBeGreaterThan(0);
    const heldByD = await killMidDownload(d);
    expect(heldByD.length).toBeGreaterThan(0);
    // one replacement, so the run stays short; the survivor and it finish everything
    const e = await c.startWorker();

    const api = c.api(e);
    const jobs = await until(
      'every job completed',
      async () => {
        const all = await allJobs(api);
        return all.length === ROWS && all.every((j) => j.status === 'completed') ? all : undefined;
      },
      150_000,
      500,
    );
    expect(new Set(jobs.map((j) => j.jobId))).toEqual(new Set(ids));
    // the jobs the killed workers held ran again (a take-over is not a new attempt)
    for (const id of [...heldByB, ...heldByD]) expect(jobs.find((j) => j.jobId === id)?.status).toBe('completed');

    // exactly one job.completed event per job in the shared event log
    const redis = c.redis.client();
    try {
      const log = new RedisEventLog({ redis });
      const completed: string[] = [];
      for (let page = await log.since(0, {}, 500), last = 0; page.length; page = await log.since(last, {}, 500)) {
        last = page.at(-1)!.id;
        completed.push(...page.filter((ev) => ev.type === 'job.completed').map((ev) => ev.jobId!));
      }
      expect(completed.sort()).toEqual([...ids].sort());
    } finally {
      redis.disconnect();
    }

    // the shared archive: every object listed by exactly one row's metadata, nothing partial
    const audit = auditArchive(c.archiveDir, jobs);
    expect(audit.leftovers).toEqual([]);
    expect(audit.unlisted).toEqual([]);
    expect(audit.missing).toEqual([]);
    expect(audit.mediaPerJob.every((n) => n === 1)).toBe(true);
    const mediaDirs = jobs.map((j) => j.files[0]!.split('/').slice(0, 3).join('/'));
    expect(new Set(mediaDirs).size).toBe(ROWS);

    // the sheet's cells match the archive (the outbox is shared: updates accepted by a killed worker land too)
    const byRow = await until(
      'every row completed in the sheet',
      () => {
        const rows = sheetRows(c.sheets);
        return [...rows.values()].every((r) => r['youtube_status'] === 'completed') ? rows : undefined;
      },
      30_000,
      200,
    );
    for (const j of jobs) {
      const row = byRow.get(j.rowId)!;
      // the sheet lists the archived files; the record also has the folder's metadata.json
      const media = j.files.filter((f) => !f.endsWith('/metadata.json')).sort();
      expect(row['youtube_files']!.split(',').filter(Boolean).sort(), `row ${j.rowId}`).toEqual(media);
      expect(row['youtube_media_id']).not.toBe('');
    }
  }, 240_000);
});
