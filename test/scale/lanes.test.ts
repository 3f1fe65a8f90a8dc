/**
 * A lane pause is shared by every worker (issue 9 §3, docs/design.md §6): the 429 one worker sees
 * pauses the host's lane on the other too — it sends the host nothing until the Retry-After time,
 * shows the pause in /v1/jobs/stats — and the lane resumes by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUnavailable } from '../support/redis.js';
import { dispatchBody } from '../support/signedFetch.js';
import { until } from '../support/wait.js';
import { allJobs, logLines, startCluster, type Cluster } from './cluster.js';

const ROWS = 10;
const RETRY_AFTER_S = 3;
let c: Cluster;

describe.skipIf(redisUnavailable())('a 429 on one worker', () => {
  beforeAll(async () => {
    c = await startCluster({
      rows: ROWS,
      media: { clipCount: 4, clipSeconds: 1, retryAfterS: RETRY_AFTER_S },
      // Retry-After taken as sent (workerEnv shortens backoffs 100× otherwise)
      env: { ARCHIVER_CONCURRENCY: '2', ARCHIVER_LEASE_S: '3', ARCHIVER_RETRY_SCALE: '1' },
    });
    await Promise.all([c.startWorker(), c.startWorker()]);
  }, 120_000);
  afterAll(async () => c?.close());

  it('pauses the lane on the other worker too, which sends the host nothing until Retry-After, then resumes', async () => {
    const [w1, w2] = c.workers;
    const limited = dispatchBody([{ rowId: '999', rowNumber: ROWS + 2, youtube: [c.host.rateLimitedUrl()] }]);
    const first = await c.api(w1!).request('POST', '/v1/dispatch', limited);
    expect(first.status).toBe(202);
    const jobId: string = first.body.jobs[0].jobId;
    const hit = await until('the 429', () => c.host.requests.find((r) => r.status === 429), 30_000, 20);
    // A is whichever worker ran the job; B is the other
    const ranOn = (w: typeof w1) => logLines(w!).some((l) => l['msg'] === 'job started' && l['jobId'] === jobId);
    await until('the job started in a log', () => (ranOn(w1) || ranOn(w2) ? true : undefined), 10_000, 20);
    const b = ranOn(w1) ? w2! : w1!;
    const apiB = c.api(b);

    // B knows the pause at once and shows when it ends
    const pause = await until(
      'the pause on B',
      async () => {
        const s = await apiB.request('GET', '/v1/jobs/stats');
        return (s.body.pausedLanes as { lane: string; until: string }[]).find((p) => p.lane.includes(c.host.host.split(':')[0]!));
      },
      5_000,
      50,
    );
    const untilMs = Date.parse(pause.until);
    // until the job's retry time: at least the Retry-After, or the backoff when that is longer (jobs/retry.ts)
    expect(untilMs - hit.at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 100);
    expect(untilMs - hit.at).toBeLessThan(20_000);

    // B takes work for the paused lane and does not touch the host before the pause ends
    const queued = await apiB.request('POST', '/v1/dispatch', c.body());
    expect(queued.status).toBe(202);
    const ids: string[] = queued.body.jobs.map((j: { jobId: string }) => j.jobId);
    await until('the pause over', () => (Date.now() > untilMs + 200 ? true : undefined), 10_000, 50);
    const during = c.host.requests.filter((r) => r.at > hit.at + 20 && r.at < untilMs - 50);
    expect(during).toEqual([]);

    // resumed by itself: every clip job completes (the always-429 link keeps failing its own way)
    const jobs = await until(
      'the clip jobs completed',
      async () => {
        const all = (await allJobs(apiB)).filter((j) => ids.includes(j.jobId));
        return all.length === ROWS && all.every((j) => j.status === 'completed') ? all : undefined;
      },
      60_000,
      300,
    );
    expect(jobs).toHaveLength(ROWS);
    expect(c.host.requests.filter((r) => r.path.startsWith('/clips/') && r.at > untilMs).length).toBeGreaterThanOrEqual(ROWS);
  }, 120_000);
});
