/**
 * The composition root with REDIS_URL (docs/design.md §6): `createSystem` puts the status outbox
 * and the Sheets write budget in Redis, so two systems ("two workers") share both. Against a real
 * redis-server and the Sheets stand-in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../worker/src/config/env.js';
import { silentLogger } from '../../worker/src/log.js';
import { RedisStatusOutbox } from '../../worker/src/report/redisOutbox.js';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { createSystem, type System } from '../../worker/src/system.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { SheetsStandIn } from '../support/sheetsStandIn.js';
import { addSheets, jobUpdate, rowsWithStatus } from '../support/sharedReporters.js';

const missing = redisUnavailable();
describe.skipIf(missing)('createSystem with REDIS_URL', () => {
  let redis: RedisHandle;
  let stand: SheetsStandIn;
  const dirs: string[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    stand = await SheetsStandIn.start();
  });
  afterAll(async () => {
    await stand?.close();
    await redis?.remove();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const system = (env: Record<string, string>): Promise<System> => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-shared-'));
    dirs.push(dir);
    const config = loadConfig({
      ARCHIVER_DATA: dir,
      ARCHIVER_SHEET: 'google',
      GOOGLE_ACCESS_TOKEN: 'test-token',
      GOOGLE_SHEETS_ROOT_URL: stand.url,
      ARCHIVER_YTDLP_HELPERS: '0',
      ...env,
    });
    return createSystem({ config, log: silentLogger });
  };

  it('two workers share one outbox and one write budget of 2 a minute', async () => {
    const sheets = addSheets(stand, 3, 2);
    const env = { REDIS_URL: redis.url, ARCHIVER_SHEETS_WRITES_PER_MINUTE: '2' };
    const [a, b] = [await system(env), await system(env)];
    try {
      expect(a.outbox).toBeInstanceOf(RedisStatusOutbox);
      expect(a.queue.kind).toBe('bullmq');
      // worker a accepts the updates; worker b sends them
      for (const s of sheets) await a.reporter.push(jobUpdate(s, 1, 'completed'));
      expect(await b.outbox.size()).toBe(3);
      await b.reporter.flush();
      await a.reporter.flush();
      // two writes in this minute for both workers together; the third spreadsheet waits in Redis
      expect(stand.requests.filter((r) => r.op === 'values.batchUpdate')).toHaveLength(2);
      expect(sheets.map((s) => rowsWithStatus(stand, s, 'completed')).sort()).toEqual([0, 1, 1]);
      expect(await a.outbox.size()).toBe(1);
      expect(a.reporter.stats.budgetWaits + b.reporter.stats.budgetWaits).toBeGreaterThanOrEqual(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('without REDIS_URL the outbox stays in queue.db', async () => {
    const s = await system({});
    try {
      expect(s.outbox).toBeInstanceOf(SqliteOutbox);
    } finally {
      await s.close();
    }
  });
});
