/**
 * One EventLog contract for the SQLite log (embedded default) and the Redis Stream log every
 * worker shares with REDIS_URL (docs/design.md §9, §6), against a real redis-server; then what only
 * the shared one does: one worker follows every worker's events live, ids usable as Last-Event-ID.
 */
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventLog, sqliteEventLog, type EventLog } from '../../worker/src/events/log.js';
import { eventId, RedisEventLog, streamId } from '../../worker/src/events/redisLog.js';
import type { ArchiverEvent } from '../../worker/src/events/types.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';

import { ev } from '../support/events.js';
const missing = redisUnavailable();
let server: RedisHandle | null = null;
const clients: Redis[] = [];
let n = 0;
const client = () => {
  const c = server!.client();
  clients.push(c);
  return c;
};
beforeAll(async () => {
  if (!missing) server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.remove();
});

const makers: { name: string; open: () => EventLog; skip: boolean }[] = [
  { name: 'SqliteEventLog', open: () => sqliteEventLog(new SqliteEventLog(new Database(':memory:'))), skip: false },
  { name: 'RedisEventLog', open: () => new RedisEventLog({ redis: client(), prefix: `t${++n}:` }), skip: !!missing },
];

for (const m of makers) {
  describe.skipIf(m.skip)(`${m.name} (the EventLog contract)`, () => {
    it('gives increasing ids, pages with since() and filters, and knows its last id and size', async () => {
      const log = m.open();
      expect(await log.lastId()).toBe(0);
      const stored: ArchiverEvent[] = [];
      for (let i = 0; i < 30; i++) stored.push(await log.append(ev(i)));
      const ids = stored.map((e) => e.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(30);
      expect(await log.lastId()).toBe(ids.at(-1));
      expect(await log.count()).toBe(30);
      // Last-Event-ID: everything after the 10th, oldest first, as stored
      const after = await log.since(ids[9]!, {}, 1000);
      expect(after.map((e) => e.id)).toEqual(ids.slice(10));
      expect(after[0]).toEqual(stored[10]);
      expect(await log.since(ids[9]!, {}, 5)).toHaveLength(5);
      const mine = await log.since(0, { jobId: 'j_1', rowId: 'r1' });
      expect(mine.map((e) => e.data['percent'])).toEqual([1, 7, 13, 19, 25]);
      expect(await log.since(ids.at(-1)!)).toEqual([]);
    });
  });
}

describe.skipIf(missing)('RedisEventLog across workers', () => {
  it('maps ids to stream entries and back', () => {
    expect(streamId(12_345)).toBe('0-12345');
    expect(eventId('0-12345')).toBe(12_345);
  });

  it("one worker's follower sees every worker's events in id order, from its Last-Event-ID on", async () => {
    const prefix = `shared${++n}:`;
    const [a, b, c] = [0, 1, 2].map(() => new RedisEventLog({ redis: client(), prefix }));
    const before = await a!.append(ev(0, { type: 'job.queued' }));
    const ac = new AbortController();
    const seen: ArchiverEvent[] = [];
    const following = (async () => {
      for await (const e of c!.follow(before.id, ac.signal, 200)) {
        seen.push(e);
        if (seen.length === 60) ac.abort();
      }
    })();
    const appended = (await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a! : b!).append(ev(i + 1))))).sort(
      (x, y) => x.id - y.id,
    );
    await following;
    expect(seen.map((e) => e.id)).toEqual(appended.map((e) => e.id));
    expect(seen).toEqual(appended);
    // the same through since(): what a reconnecting SSE client on worker c gets
    expect((await c!.since(before.id, {}, 1000)).map((e) => e.id)).toEqual(appended.map((e) => e.id));
  });

  it('keeps about the newest keepCount (XADD MAXLEN ~)', async () => {
    const log = new RedisEventLog({ redis: client(), prefix: `trim${++n}:`, keepCount: 100 });
    for (let i = 0; i < 500; i++) await log.append(ev(i));
    const count = await log.count();
    expect(count).toBeGreaterThanOrEqual(100);
    expect(count).toBeLessThan(500);
    const kept = await log.since(0, {}, 1000);
    expect(kept.at(-1)!.id).toBe(await log.lastId());
  });
});
