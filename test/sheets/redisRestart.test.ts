/**
 * Redis crashes (SIGKILL) and comes back during a run (docs/design.md §6): status updates accepted
 * before the crash are in Redis's append-only file, those pushed while it is away wait in the
 * worker's memory, and all of them land in the sheet once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { addSheets, jobUpdate, rowsWithStatus, sharedWorker } from '../support/sharedReporters.js';
import { until } from '../support/wait.js';

const missing = redisUnavailable();
describe.skipIf(missing)('Redis killed and restarted mid-run', () => {
  let redis: RedisHandle;
  let stand: SheetsStandIn;
  beforeAll(async () => {
    redis = await startRedis();
    stand = await SheetsStandIn.start();
  });
  afterAll(async () => {
    await stand?.close();
    await redis?.remove();
  });

  it('nothing accepted is lost', async () => {
    const [sheet] = addSheets(stand, 1, 90);
    // the first batch write hangs a while, so updates are still in Redis when it dies
    stand.injectFault({ times: 1, delayMs: 600, match: (r) => r.op === 'values.batchUpdate' });
    const w = sharedWorker({ redisUrl: redis.url, sheetsUrl: stand.url, prefix: 'crash:', windowMs: 50, lockMs: 1000 });
    try {
      w.reporter.start();
      for (let i = 1; i <= 30; i++) await w.reporter.push(jobUpdate(sheet!, i, 'completed'));
      await until('a write on the wire', () => (stand.requests.some((r) => r.op === 'values.batchUpdate') ? true : undefined), 10_000, 10);
      for (let i = 31; i <= 60; i++) await w.reporter.push(jobUpdate(sheet!, i, 'completed'));
      expect(await w.outbox.size()).toBeGreaterThanOrEqual(30); // rows 31–60 at least wait in Redis

      await redis.kill9();
      // accepted while Redis is away (fire and forget, as the runner pushes): held in memory; a push never throws
      await Promise.all(Array.from({ length: 30 }, (_, k) => w.reporter.push(jobUpdate(sheet!, 61 + k, 'completed'))));
      expect(w.reporter.stats.held).toBe(30);
      await new Promise((r) => setTimeout(r, 300));

      await redis.restart();
      await until('all 90 rows completed', () => (rowsWithStatus(stand, sheet!, 'completed') === 90 ? true : undefined), 30_000, 50);
      await until('the outbox drained', async () => ((await w.outbox.size()) === 0 ? true : undefined), 5000, 20);
      expect(w.reporter.stats.held).toBe(0);
      expect(rowsWithStatus(stand, sheet!, 'completed')).toBe(90);
    } finally {
      await w.close();
    }
  }, 60_000);
});
