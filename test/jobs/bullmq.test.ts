/**
 * The BullMQ backend (worker/src/jobs/bullmq/) against a real redis-server started here: the
 * shared JobBackend contract with two backend instances on one Redis for the cross-worker cases,
 * then Redis killed (-9) and restarted under it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isQueueError } from '../../worker/src/jobs/errors.js';
import { BullMqJobBackend, createBullMqBackend } from '../../worker/src/jobs/bullmq/index.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { describeJobBackendContract } from './contract.js';
import { newJob } from './helpers.js';

const missing = redisUnavailable();
if (missing) console.warn(`bullmq tests skipped: ${missing}`);

describe.skipIf(missing !== null)('BullMQ backend', () => {
  let redis: RedisHandle;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  // each test its own key prefix on the one server: a fresh store without a restart
  describeJobBackendContract('bullmq', async () => {
    const prefix = `t${++n}`;
    return {
      open: (opts) => createBullMqBackend({ url: redis.url, prefix, stalledIntervalMs: 100, ...opts }),
      reclaimSlackMs: 600,
      close: async () => undefined,
    };
  });

  it('a lane cap below 1 is refused', () => {
    expect(() => new BullMqJobBackend({ url: redis.url, laneConcurrency: { youtube: 0 } })).toThrow(RangeError);
  });

  it('a bad REDIS_URL is invalid_argument naming REDIS_URL', () => {
    let err: unknown;
    try {
      new BullMqJobBackend({ url: 'http://nope' });
    } catch (e) {
      err = e;
    }
    expect(isQueueError(err, 'invalid_argument') && err.field).toBe('REDIS_URL');
  });

  it("a dead worker's job comes back through a worker started afterwards, whose lanes looked empty", async () => {
    const url = redis.url;
    const dead = await createBullMqBackend({ url, prefix: 'restart', stalledIntervalMs: 100 });
    const [r] = await dead.enqueue([newJob()]);
    expect((await dead.lease('dead', 300))!.job.jobId).toBe(r!.job.jobId);
    // a second lane, so the lanes are ordered and the youtube one shows nothing waiting
    const [d] = await dead.enqueue([newJob({ source: 'drive', links: ['https://drive.google.com/file/d/r1/view'] })]);
    await dead.close();
    const fresh = await createBullMqBackend({ url, prefix: 'restart', stalledIntervalMs: 100 });
    try {
      expect((await fresh.lease('fresh', 10_000))!.job.jobId).toBe(d!.job.jobId);
      const end = Date.now() + 3000;
      let l = await fresh.lease('fresh', 10_000);
      while (!l && Date.now() < end) {
        await new Promise((res) => setTimeout(res, 50));
        l = await fresh.lease('fresh', 10_000);
      }
      expect(l).toMatchObject({ owner: 'fresh', job: { jobId: r!.job.jobId, attempt: 1, status: 'downloading' } });
    } finally {
      await fresh.close();
    }
  });

  it('an enqueuer that dies between storing jobs and adding their BullMQ jobs loses nothing: another worker adds them', async () => {
    const url = redis.url;
    const dying = await createBullMqBackend({ url, prefix: 'repair', stalledIntervalMs: 100 });
    const worker = await createBullMqBackend({ url, prefix: 'repair', stalledIntervalMs: 100, pendingGraceMs: 200 });
    try {
      // the crash: the records are written, the BullMQ adds never happen
      const bull = dying as unknown as { addBullJobs: () => Promise<void> };
      bull.addBullJobs = () => Promise.reject(new Error('process died'));
      await expect(dying.enqueue([newJob(), newJob()])).rejects.toThrow('process died');
      const stored = (await worker.list({})).jobs.map((j) => j.jobId);
      expect(stored).toHaveLength(2);
      expect(await worker.lease('w', 10_000)).toBeNull();
      await new Promise((r) => setTimeout(r, 300));
      const got = [(await worker.lease('w', 10_000))?.job.jobId, (await worker.lease('w', 10_000))?.job.jobId];
      expect(got.sort()).toEqual([...stored].sort());
      expect(await worker.lease('w', 10_000)).toBeNull();
    } finally {
      await dying.close();
      await worker.close();
    }
  });

  it('Redis killed -9 and restarted mid-run: calls reject unavailable quickly, then every accepted job is there', async () => {
    const b = await createBullMqBackend({ url: redis.url, prefix: 'crash', stalledIntervalMs: 100, commandTimeoutMs: 1000 });
    try {
      const accepted = (await b.enqueue(Array.from({ length: 20 }, () => newJob()))).map((r) => r.job.jobId);
      const l = await b.lease('w', 60_000);
      await b.complete(l!.job.jobId, 'w', { files: ['k/1'], mediaIds: ['1'] });
      await redis.kill9();
      expect(await b.ping()).toBe(false);
      for (const call of [
        () => b.enqueue([newJob()]),
        () => b.lease('w', 1000),
        () => b.stats(),
        () => b.get(accepted[1]!),
        () => b.list({}),
      ]) {
        const t0 = Date.now();
        const err = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(isQueueError(err, 'unavailable'), String(err)).toBe(true);
        expect(Date.now() - t0).toBeLessThan(1500);
      }
      await redis.restart();
      const end = Date.now() + 15_000;
      while (!(await b.ping()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(await b.ping()).toBe(true);
      const jobs = (await b.list({ limit: 500 })).jobs;
      expect(jobs.map((j) => j.jobId).sort()).toEqual([...accepted].sort());
      expect((await b.get(l!.job.jobId))!.status).toBe('completed');
      // the rest still run, each exactly once
      const ran = new Set<string>();
      for (let x = await b.lease('w', 60_000); x; x = await b.lease('w', 60_000)) {
        expect(ran.has(x.job.jobId)).toBe(false);
        ran.add(x.job.jobId);
        await b.complete(x.job.jobId, 'w', { files: [], mediaIds: [] });
      }
      expect(ran.size).toBe(19);
      expect((await b.stats()).byStatus.completed).toBe(20);
    } finally {
      await b.close();
    }
  });
});
