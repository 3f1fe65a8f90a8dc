/**
 * The Sheets write budget (docs/design.md §6): a sliding window log, in process and in a real
 * redis-server shared by several clients ("workers").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RedisWriteBudget } from '../../worker/src/limits/redisWriteBudget.js';
import { LocalWriteBudget, slidingWindowTake } from '../../worker/src/limits/writeBudget.js';
import { createWriteBudget, sheetsAccountName } from '../../worker/src/limits/shared.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { loadConfig } from '../../worker/src/config/env.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('sliding window log', () => {
  it('grants `limit` in any window, and says how long until the oldest grant leaves it', () => {
    const log: number[] = [];
    expect([0, 100, 200].map((t) => slidingWindowTake(log, t, 3, 1000).ok)).toEqual([true, true, true]);
    expect(slidingWindowTake(log, 500, 3, 1000)).toEqual({ ok: false, retryInMs: 500 });
    expect(slidingWindowTake(log, 999, 3, 1000)).toEqual({ ok: false, retryInMs: 1 });
    // at 1000 the grant at 0 is out of the window (a window is half open): one more, not a second burst
    expect(slidingWindowTake(log, 1000, 3, 1000)).toEqual({ ok: true });
    expect(slidingWindowTake(log, 1001, 3, 1000)).toEqual({ ok: false, retryInMs: 99 });
  });

  it('LocalWriteBudget counts on its own clock and refuses bad settings', async () => {
    let now = 0;
    const b = new LocalWriteBudget({ limit: 2, windowMs: 60_000, now: () => now });
    expect((await b.take()).ok).toBe(true);
    expect((await b.take()).ok).toBe(true);
    expect(await b.take()).toEqual({ ok: false, retryInMs: 60_000 });
    now = 60_000;
    expect((await b.take()).ok).toBe(true);
    expect(() => new LocalWriteBudget({ limit: 0 })).toThrow(/limit must be a positive integer/);
    expect(() => new LocalWriteBudget({ windowMs: 1.5 })).toThrow(/windowMs must be a positive integer/);
  });

  it('a write is counted from when it was sent: sent() moves its grant to now', async () => {
    let now = 0;
    const b = new LocalWriteBudget({ limit: 1, windowMs: 60_000, now: () => now });
    const a = await b.take();
    expect(a).toEqual({ ok: true, grant: '0' });
    now = 5_000; // the reads and header writes before the batchUpdate took 5 s
    await b.sent((a as { grant: string }).grant);
    now = 60_000;
    expect(await b.take()).toEqual({ ok: false, retryInMs: 5_000 });
    now = 65_000;
    expect((await b.take()).ok).toBe(true);
    await b.sent('12345'); // unknown grants are ignored
  });

  it('ARCHIVER_SHEETS_WRITES_PER_MINUTE is validated with an error naming it; the default is 50', () => {
    expect(loadConfig({}).env.ARCHIVER_SHEETS_WRITES_PER_MINUTE).toBe(50);
    expect(loadConfig({ ARCHIVER_SHEETS_WRITES_PER_MINUTE: '12' }).env.ARCHIVER_SHEETS_WRITES_PER_MINUTE).toBe(12);
    for (const bad of ['0', '-3', '2.5', 'fifty'])
      expect(() => loadConfig({ ARCHIVER_SHEETS_WRITES_PER_MINUTE: bad })).toThrow(/ARCHIVER_SHEETS_WRITES_PER_MINUTE: must be/);
    expect(() => loadConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL: must be a redis:\/\//);
  });

  it('counts the quota under the service account of the key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sa-key-'));
    try {
      const key = join(dir, 'key.json');
      writeFileSync(key, JSON.stringify({ type: 'service_account', client_email: 'archiver@p.iam.gserviceaccount.com', private_key: 'x' }));
      expect(sheetsAccountName(key)).toBe('archiver@p.iam.gserviceaccount.com');
      expect(sheetsAccountName(join(dir, 'missing.json'))).toBe('default');
      expect(sheetsAccountName(undefined)).toBe('default');
      expect(createWriteBudget({ limit: 7, account: 'a' })).toBeInstanceOf(LocalWriteBudget);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const missing = redisUnavailable();
describe.skipIf(missing)('RedisWriteBudget (real redis-server)', () => {
  let server: RedisHandle;
  const clients: Redis[] = [];
  const client = () => {
    const c = server.client();
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server.remove();
  });

  it('three workers together get no more than the limit per window, then more once it slides', async () => {
    const workers = [0, 1, 2].map(() => new RedisWriteBudget({ redis: client(), account: 'sa@x', limit: 4, windowMs: 600 }));
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => workers[i % 3]!.take()));
    expect(answers.filter((a) => a.ok)).toHaveLength(4);
    const waits = answers.flatMap((a) => (a.ok ? [] : [a.retryInMs]));
    expect(waits).toHaveLength(8);
    for (const w of waits) {
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(600);
    }
    await new Promise((r) => setTimeout(r, Math.max(...waits) + 5));
    expect((await workers[1]!.take()).ok).toBe(true);
    // another service account has its own quota
    expect((await new RedisWriteBudget({ redis: client(), account: 'other@x', limit: 4, windowMs: 600 }).take()).ok).toBe(true);
    expect(createWriteBudget({ limit: 4, account: 'sa@x', redis: client() })).toBeInstanceOf(RedisWriteBudget);
  });

  it('sent() counts a write from when it went out, for every worker', async () => {
    const [a, b] = [0, 1].map(() => new RedisWriteBudget({ redis: client(), account: 'sent@x', limit: 1, windowMs: 600 }));
    const granted = await a!.take();
    expect(granted.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    await a!.sent((granted as { grant: string }).grant);
    await new Promise((r) => setTimeout(r, 350));
    // 650 ms after the grant but only 350 ms after the send: still counted
    const refused = await b!.take();
    expect(refused.ok).toBe(false);
    expect((refused as { retryInMs: number }).retryInMs).toBeGreaterThan(100);
    await new Promise((r) => setTimeout(r, (refused as { retryInMs: number }).retryInMs + 5));
    expect((await b!.take()).ok).toBe(true);
  });

  it('the log key expires with its window (nothing left behind)', async () => {
    const redis = client();
    const b = new RedisWriteBudget({ redis, account: 'ttl@x', limit: 1, windowMs: 300, prefix: 'ttl:' });
    await b.take();
    const ttl = await redis.pttl(b.key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
  });
});
