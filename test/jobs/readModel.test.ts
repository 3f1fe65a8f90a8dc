/**
 * The queue read model (worker/src/jobs/readModel.ts): one suite, run on SQLite and on BullMQ
 * against a real redis-server. The same jobs go through the contract (enqueue, lease, setStatus,
 * complete, fail, retry, cancel, recordWriteBack, pauseLane) on both, and the report's facts and
 * the gauges' counts must say what happened and agree between the two. Then a BullMQ-backed
 * system (createSystem with REDIS_URL) shows its jobs on GET /metrics and GET /v1/report, and the
 * built CLI's `report --json` with REDIS_URL shows them too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobError } from '../../shared/schemas.js';
import { DEFAULT_THRESHOLDS, reporterFor } from '../../worker/src/alerts/index.js';
import { loadConfig } from '../../worker/src/config/env.js';
import { createBullMqBackend } from '../../worker/src/jobs/bullmq/index.js';
import type { QueueFacts, QueueGaugeSnapshot } from '../../worker/src/jobs/readModel.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import type { JobBackend, NewJob } from '../../worker/src/jobs/types.js';
import { silentLogger } from '../../worker/src/log.js';
import { mountOnMainApp } from '../../worker/src/metrics/expose.js';
import { ArchiverMetrics } from '../../worker/src/metrics/registry.js';
import { signRequest } from '../../worker/src/server/signature.js';
import { SIGNATURE_HEADER } from '../../shared/signature.js';
import { createSystem } from '../../worker/src/system.js';
import { testApp } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { parsePrometheusText, sampleValue } from '../support/promText.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { newJob, tempDir } from './helpers.js';

const missing = redisUnavailable();
if (missing) console.warn(`read model tests skipped: ${missing}`);

const HOST_LANE = 'media.example.org:8080';
const yt = (id: string) => ({ rowId: id, links: [`https://www.youtube.com/watch?v=${id.padEnd(11, 'x')}`] });
const drive = (id: string): Partial<NewJob> => ({
  rowId: id,
  source: 'drive',
  links: [`https://drive.google.com/file/d/1${id.padEnd(32, 'x')}/view`],
});
const host = (id: string) => ({ rowId: id, links: [`https://${HOST_LANE}/${id}.mp4`] });
const err = (category: JobError['category'], message: string): JobError => ({ category, message });

type Step = { do: 'complete' } | { do: 'fail'; error: JobError } | { do: 'retry'; error: JobError } | { do: 'hold' };

/** What happens to each job leased, by row id (lease order may differ between backends). */
const PLAN: Record<string, Step> = {
  y1: { do: 'complete' },
  y2: { do: 'complete' },
  y3: { do: 'fail', error: err('not_found', 'video removed') },
  y4: { do: 'fail', error: err('network', 'connection reset') },
  y5: { do: 'retry', error: err('rate_limit', 'HTTP Error 429') },
  y6: { do: 'hold' },
  d1: { do: 'complete' },
  d2: { do: 'fail', error: err('permission', 'no access to the file') },
  m1: { do: 'fail', error: err('data_corruption', 'row_id changed') },
  m2: { do: 'complete' },
};

/**
 * Moves the jobs of PLAN through `q`, then leaves three queued (q1–q3), one cancelled (c1), y3
 * retried by hand (queued again), a refused status write on m2 and the host lane paused.
 * @returns the time the lane pause ends
 */
async function scenario(q: JobBackend): Promise<number> {
  const jobs = [yt('y1'), yt('y2'), yt('y3'), yt('y4'), yt('y5'), yt('y6'), drive('d1'), drive('d2'), host('m1'), host('m2')];
  await q.enqueue(jobs.map((j) => newJob(j)));
  const ids = new Map<string, string>();
  const end = Date.now() + 10_000;
  while (ids.size < jobs.length && Date.now() < end) {
    const l = await q.lease('w', 60_000);
    if (!l) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const { jobId, rowId } = l.job;
    ids.set(rowId, jobId);
    const step = PLAN[rowId]!;
    if (step.do === 'complete') await q.complete(jobId, 'w', { files: [`${rowId}/f`], mediaIds: [rowId] });
    else if (step.do === 'fail') await q.fail(jobId, 'w', step.error, { action: 'fail', reason: 'test' });
    else if (step.do === 'retry') await q.fail(jobId, 'w', step.error, { action: 'retry', atMs: Date.now() + 3_600_000, reason: 'test' });
    else await q.setStatus(jobId, 'w', 'uploading');
  }
  expect(ids.size).toBe(jobs.length);
  await q.retry(ids.get('y3')!);
  await q.recordWriteBack(ids.get('m2')!, {
    status: 'refused',
    error: err('data_corruption', 'status not written to the sheet: row_id changed'),
    at: new Date().toISOString(),
  });
  const [, , , c1] = await q.enqueue([newJob(yt('q1')), newJob(drive('q2')), newJob(host('q3')), newJob(yt('c1'))]);
  await q.cancel(c1!.job.jobId);
  const until = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;
  await q.pauseLane({ lane: HOST_LANE, untilMs: until, reason: 'rate_limit: HTTP Error 429' });
  return until;
}

/** The facts without what depends on the wall clock of each run (checked apart). */
function comparable(f: QueueFacts) {
  return {
    ...f,
    oldestQueuedMs: f.oldestQueuedMs === null ? null : 'set',
    // equal counts keep the newest first: jobs finished in the same ms may tie either way
    recent: { ...f.recent, byCategory: [...f.recent.byCategory].sort((x, y) => (x.category < y.category ? -1 : 1)) },
    lanes: f.lanes.map((l) => ({ lane: l.lane, until: l.until, jobs: l.jobs })),
    // an hour boundary may fall between the two runs: the totals must agree
    trend: f.trend.reduce((a, b) => ({ completed: a.completed + b.completed, failed: a.failed + b.failed }), { completed: 0, failed: 0 }),
  };
}
function comparableGauges(g: QueueGaugeSnapshot) {
  const key = (x: { n: number }) => JSON.stringify(x);
  return {
    jobs: g.jobs.filter((j) => j.n > 0).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    depthByLane: g.depthByLane.filter((d) => d.n > 0).sort((a, b) => (a.lane < b.lane ? -1 : 1)),
    waiting: g.oldestWaitingSince !== null,
  };
}

describe.skipIf(missing !== null)('queue read model on both backends', () => {
  let redis: RedisHandle;
  const seen: { name: string; facts: QueueFacts; gauges: QueueGaugeSnapshot; until: number; t0: number }[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  const backends: [string, () => Promise<{ q: JobBackend; done: () => Promise<void> }>][] = [
    [
      'sqlite',
      async () => {
        const { dir, cleanup } = tempDir();
        const q = new SqliteJobBackend(join(dir, 'queue.db'), { synchronous: 'NORMAL' });
        return { q, done: async () => (await q.close(), cleanup()) };
      },
    ],
    [
      'bullmq',
      async () => {
        const q = await createBullMqBackend({ url: redis.url, prefix: 'rm', stalledIntervalMs: 100 });
        return { q, done: () => q.close() };
      },
    ],
  ];

  for (const [name, open] of backends) {
    it(`${name}: the facts and gauges say what the jobs went through`, async () => {
      const { q, done } = await open();
      try {
        const t0 = Date.now();
        const until = await scenario(q);
        // two minutes on: y6's 60 s lease has expired, every queued job waits longer than 0 ms
        const now = Date.now() + 120_000;
        const facts = await q.facts({ now, sinceMs: now - 24 * 3600_000, window: 100, maxQueuedAgeMs: 0 });
        const gauges = await q.gauges(now);
        seen.push({ name, facts, gauges, until, t0 });

        expect(facts.bySource).toEqual({
          youtube: { completed: 3, failed: 2, successRate: 3 / 5 },
          drive: { completed: 1, failed: 1, successRate: 0.5 },
        });
        expect(facts.failures).toEqual([
          { category: 'data_corruption', count: 1, example: 'row_id changed' },
          { category: 'network', count: 1, example: 'connection reset' },
          { category: 'permission', count: 1, example: 'no access to the file' },
        ]);
        expect(facts.recent.finished).toBe(7);
        expect(facts.recent.failed).toBe(3);
        expect(facts.open).toEqual({ queued: 4, retrying: 1, downloading: 0, uploading: 1, total: 6 });
        expect(facts.stuckQueued).toBe(4);
        expect(facts.oldestQueuedMs).toBeGreaterThanOrEqual(120_000);
        expect(facts.oldestQueuedMs).toBeLessThan(now - t0 + 1);
        expect(facts.expiredLeases).toBe(1);
        expect(facts.dataCorruption).toBe(2);
        expect(facts.lanes).toHaveLength(1);
        expect(facts.lanes[0]).toMatchObject({ lane: HOST_LANE, until, jobs: 1 });
        expect(facts.lanes[0]!.since).toBeGreaterThanOrEqual(t0);
        expect(facts.trend).toHaveLength(24);
        expect(facts.trend.reduce((a, b) => a + b.completed, 0)).toBe(4);
        expect(facts.trend.reduce((a, b) => a + b.failed, 0)).toBe(3);

        const g = comparableGauges(gauges);
        expect(g.jobs).toEqual(
          comparableGauges({
            jobs: [
              { status: 'queued', source: 'youtube', n: 3 },
              { status: 'queued', source: 'drive', n: 1 },
              { status: 'retrying', source: 'youtube', n: 1 },
              { status: 'uploading', source: 'youtube', n: 1 },
              { status: 'completed', source: 'youtube', n: 3 },
              { status: 'completed', source: 'drive', n: 1 },
              { status: 'failed', source: 'youtube', n: 2 },
              { status: 'failed', source: 'drive', n: 1 },
              { status: 'cancelled', source: 'youtube', n: 1 },
            ],
            depthByLane: [],
            oldestWaitingSince: null,
          }).jobs,
        );
        expect(g.depthByLane).toEqual([
          { lane: 'drive', n: 1 },
          { lane: HOST_LANE, n: 1 },
          { lane: 'youtube', n: 3 },
        ]);
        expect(gauges.oldestWaitingSince).toBeGreaterThanOrEqual(t0);
        // the recent window counts only the latest finished jobs
        const last2 = await q.facts({ now, sinceMs: now - 3600_000, window: 2, maxQueuedAgeMs: 3_600_000 });
        expect(last2.recent.finished).toBe(2);
        expect(last2.stuckQueued).toBe(0);
      } finally {
        await done();
      }
    });
  }

  it('both backends report the same facts and gauges for the same jobs', () => {
    expect(seen.map((s) => s.name)).toEqual(['sqlite', 'bullmq']);
    const [a, b] = seen as [(typeof seen)[number], (typeof seen)[number]];
    expect(comparable(b.facts)).toEqual({
      ...comparable(a.facts),
      lanes: comparable(a.facts).lanes.map((l) => ({ ...l, until: b.until })),
    });
    expect(comparableGauges(b.gauges)).toEqual(comparableGauges(a.gauges));
  });

  it('a BullMQ-backed system shows its jobs on GET /metrics and GET /v1/report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-readmodel-'));
    const metrics = new ArchiverMetrics({ defaultMetrics: false });
    const env = { ARCHIVER_DATA: dir, REDIS_URL: redis.url, ARCHIVER_YTDLP_HELPERS: '0', METRICS_TOKEN: 'scrape-token-0123456789' };
    const config = loadConfig(env);
    const system = await createSystem({ config, log: silentLogger, metrics });
    try {
      expect(system.queue.kind).toBe('bullmq');
      // the system starts without waiting for Redis (readyTimeoutMs 0)
      for (let i = 0; i < 100 && !(await system.queue.ping()); i++) await new Promise((r) => setTimeout(r, 20));
      await system.queue.enqueue([newJob(yt('s1')), newJob(yt('s2'))]);
      const l = (await system.queue.lease('w', 60_000))!;
      await system.queue.fail(l.job.jobId, 'w', err('not_found', 'HTTP Error 404'), { action: 'fail', reason: 'test' });
      await system.queue.enqueue([newJob(drive('s3'))]);
      const secret = 'x'.repeat(32);
      const app = testApp({
        secret,
        queue: system.queue,
        report: reporterFor(system.queue, config, {
          thresholds: DEFAULT_THRESHOLDS,
          freeBytes: async () => 1e12,
          ytdlp: async () => ({ version: '2026.01.01', ageDays: 1 }),
        }),
        routes: (a) => mountOnMainApp(a, metrics, config.env),
      });

      const res = await app.request('/metrics', { headers: { authorization: 'Bearer scrape-token-0123456789' } });
      expect(res.status).toBe(200);
      const m = parsePrometheusText(await res.text());
      expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'queued', source: 'youtube' })).toBe(1);
      expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'queued', source: 'drive' })).toBe(1);
      expect(sampleValue(m, 'sheet_archiver_jobs', { status: 'failed', source: 'youtube' })).toBe(1);
      expect(sampleValue(m, 'sheet_archiver_queue_depth', { lane: 'youtube' })).toBe(1);
      expect(sampleValue(m, 'sheet_archiver_oldest_queued_job_age_seconds')).toBeGreaterThanOrEqual(0);

      const path = '/v1/report?since=1h';
      const rep = await app.request(path, { headers: { [SIGNATURE_HEADER]: signRequest(secret, 'GET', path, '') } });
      expect(rep.status).toBe(200);
      const r = (await rep.json()) as { successRate: { failed: number }; failures: unknown[]; jobs: { pending: number; queued: number } };
      expect(r.successRate.failed).toBe(1);
      expect(r.failures).toEqual([{ category: 'not_found', count: 1, example: 'HTTP Error 404' }]);
      expect(r.jobs).toMatchObject({ pending: 2, queued: 2 });

      // the CLI opens the same backend from REDIS_URL
      const cli = await runCli(['report', '--json'], { ARCHIVER_DATA: dir, REDIS_URL: redis.url });
      expect(cli.code, cli.stderr).toBe(0);
      const c = JSON.parse(cli.stdout) as typeof r;
      expect(c.successRate.failed).toBe(1);
      expect(c.jobs).toMatchObject({ pending: 2, queued: 2 });
    } finally {
      await system.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
