/**
 * Lease expiry across processes on BullMQ (issue 9 §5, docs/design.md §6): with 100 jobs queued,
 * the job a SIGKILLed worker held runs again on the survivor within one lease, one stalled check
 * and one job's time — it goes back to the front of its lane, not behind the backlog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServeProcess } from '../support/cli.js';
import { redisUnavailable } from '../support/redis.js';
import { until } from '../support/wait.js';
import { allJobs, logLines, startCluster, type Cluster } from './cluster.js';

const ROWS = 100;
const LEASE_S = 3;
/** the stalled-check interval system.ts derives from the lease (a quarter of it) */
const STALLED_MS = (LEASE_S * 1000) / 4;
let c: Cluster;

const started = (w: ServeProcess) => logLines(w).filter((l) => l['msg'] === 'job started');

describe.skipIf(redisUnavailable())('a killed worker’s job with 100 queued', () => {
  beforeAll(async () => {
    // ~250 kB at 200 kB/s: a job takes over a second, so the backlog lasts minutes on one slot
    c = await startCluster({
      rows: ROWS,
      media: { clipCount: 4, clipSeconds: 1, clipKbps: 2000, throttleBytesPerSec: 200_000 },
      env: { ARCHIVER_LEASE_S: String(LEASE_S) },
    });
    await c.startWorker({ ARCHIVER_CONCURRENCY: '1' });
  }, 120_000);
  afterAll(async () => c?.close());

  it('runs again within one lease plus one job, not after the backlog drains', async () => {
    const doomed = await c.startWorker({ ARCHIVER_CONCURRENCY: '1' });
    const survivor = c.workers[0]!;
    const r = await c.api(survivor).request('POST', '/v1/dispatch', c.body());
    expect(r.status).toBe(202);
    const held = await until(
      'the doomed worker downloading',
      () => {
        const s = started(doomed);
        return s.length && c.host.inFlight().some((q) => q.path.startsWith('/clips/')) ? String(s.at(-1)!['jobId']) : undefined;
      },
      60_000,
      20,
    );
    await doomed.kill();
    const killedAt = Date.now();

    const again = await until('the held job started on the survivor', () => started(survivor).find((l) => l['jobId'] === held), 60_000, 50);
    const delayMs = Number(again['time']) - killedAt;
    // one job's time on the survivor: the longest finished job so far
    const jobMs = Math.max(
      ...logLines(survivor)
        .filter((l) => l['msg'] === 'job finished')
        .map((l) => Number(l['ms'])),
    );
    expect(delayMs).toBeLessThanOrEqual(LEASE_S * 1000 + STALLED_MS + jobMs + 1000);
    // most of the backlog is still there
    const open = (await allJobs(c.api(survivor))).filter((j) => j.status !== 'completed');
    expect(open.length).toBeGreaterThan(ROWS / 2);
    expect(started(survivor).findIndex((l) => l['jobId'] === held)).toBeLessThan(20);
  }, 180_000);
});
