/**
 * Redis killed (SIGKILL) and started again during a run (docs/design.md §6, issue 9): while it is
 * gone the API answers 503 for dispatch and /readyz shows the queue unreachable; once it is back
 * every job accepted before the crash completes, and dispatch works again. redis-server runs with
 * `appendfsync always` (test/support/redis.ts), as docs/scaling.md asks of production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUnavailable } from '../support/redis.js';
import { until } from '../support/wait.js';
import { allJobs, sheetRows, startCluster, type Cluster } from './cluster.js';

const ROWS = 40;
let c: Cluster;

describe.skipIf(redisUnavailable())('Redis killed and restarted during a run', () => {
  beforeAll(async () => {
    c = await startCluster({
      rows: ROWS + 1,
      media: { clipCount: 4, clipSeconds: 1, clipKbps: 2000, throttleBytesPerSec: 400_000 },
      env: { ARCHIVER_CONCURRENCY: '2', ARCHIVER_LEASE_S: '3' },
    });
    await Promise.all([c.startWorker(), c.startWorker()]);
  }, 120_000);
  afterAll(async () => c?.close());

  it('answers 503 while Redis is gone and loses no accepted job', async () => {
    const [a, b] = c.workers.map((w) => c.api(w)) as [ReturnType<Cluster['api']>, ReturnType<Cluster['api']>];
    const accepted = await a.request('POST', '/v1/dispatch', c.body(0, ROWS));
    expect(accepted.status).toBe(202);
    const ids: string[] = accepted.body.jobs.map((j: { jobId: string }) => j.jobId);
    await until(
      'a few jobs completed',
      async () => ((await allJobs(b)).filter((j) => j.status === 'completed').length >= 3 ? true : undefined),
      60_000,
      200,
    );

    await c.redis.kill9();
    const down = await b.request('POST', '/v1/dispatch', c.body(ROWS, ROWS + 1));
    expect(down.status).toBe(503);
    const ready = await fetch(`${c.workers[0]!.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    const { checks } = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(checks['queue']).toMatchObject({ ok: false, detail: expect.stringMatching(/unreachable|not answering/) });
    // the workers keep running (they retry the connection), a few seconds without Redis
    await new Promise((r) => setTimeout(r, 3000));
    expect(c.workers.every((w) => w.child.exitCode === null)).toBe(true);

    await c.redis.restart();
    await until(
      '/readyz ready again',
      async () => ((await fetch(`${c.workers[1]!.baseUrl}/readyz`)).status === 200 ? true : undefined),
      30_000,
      200,
    );
    const again = await b.request('POST', '/v1/dispatch', c.body(ROWS, ROWS + 1));
    expect(again.status).toBe(202);
    const all = await until(
      'every job completed',
      async () => {
        const jobs = await allJobs(a);
        return jobs.length === ROWS + 1 && jobs.every((j) => j.status === 'completed') ? jobs : undefined;
      },
      120_000,
      500,
    );
    for (const id of ids) expect(all.find((j) => j.jobId === id)?.status, id).toBe('completed');
    // and every status reached the sheet, those finished while Redis was away included
    const rows = await until(
      'every row completed in the sheet',
      () => {
        const byRow = sheetRows(c.sheets);
        return [...byRow.values()].every((row) => row['youtube_status'] === 'completed') ? byRow : undefined;
      },
      30_000,
      200,
    );
    expect(rows.size).toBe(ROWS + 1);
  }, 240_000);
});
