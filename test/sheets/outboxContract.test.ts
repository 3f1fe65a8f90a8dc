/**
 * One contract for both status outboxes (docs/design.md §6): the SQLite one (embedded default) and
 * the Redis one every worker shares with REDIS_URL, against a real redis-server started here.
 * Then what only the shared one does: per-spreadsheet claims with expiry, and coalescing across
 * workers.
 */
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../worker/src/report/outbox.js';
import { RedisStatusOutbox } from '../../worker/src/report/redisOutbox.js';
import type { StatusOutbox } from '../../worker/src/sheets/types.js';
import { redisUnavailable, startRedis, type RedisHandle } from '../support/redis.js';
import { upd } from '../support/statusUpdate.js';

const missing = redisUnavailable();
let server: RedisHandle | null = null;
const clients: Redis[] = [];
let prefixN = 0;
let now: number;

beforeAll(async () => {
  if (!missing) server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.remove();
});

interface Maker {
  name: string;
  /** a fresh, empty outbox; `again()` opens another one on the same store (another worker, or a restart) */
  open(): { outbox: StatusOutbox; again: (opts?: { lockMs?: number; maxHoldMs?: number }) => StatusOutbox; close: () => void };
}

const makers: Maker[] = [
  {
    name: 'SqliteOutbox',
    open() {
      const db = new Database(':memory:');
      return {
        outbox: new SqliteOutbox(db, { now: () => now }),
        again: () => new SqliteOutbox(db, { now: () => now }),
        close: () => db.close(),
      };
    },
  },
  {
    name: 'RedisStatusOutbox',
    open() {
      const prefix = `t${++prefixN}:outbox:`;
      const mk = (o: { lockMs?: number; maxHoldMs?: number } = {}) => {
        const redis = server!.client();
        clients.push(redis);
        return new RedisStatusOutbox({ redis, prefix, now: () => now, ...o });
      };
      return { outbox: mk(), again: (o) => mk(o), close: () => undefined };
    },
  },
];

beforeEach(() => {
  now = 1_000_000;
});

for (const m of makers) {
  describe.skipIf(m.name === 'RedisStatusOutbox' && missing)(`${m.name} (the StatusOutbox contract)`, () => {
    let h: ReturnType<Maker['open']>;
    beforeEach(() => {
      h = m.open();
    });
    afterEach(() => h.close());

    it('coalesces per (spreadsheet, sheet, row, source): newer defined fields win, the first push time stays', async () => {
      const o = h.outbox;
      await o.push(
        upd('1', { status: 'downloading', files: ['a'], error: { source: 'youtube', attempt: 1, category: 'network', message: 'x' } }),
      );
      now += 10;
      await o.push(upd('1', { status: 'completed', error: null }));
      await o.push(upd('1', { source: 'drive', status: 'queued' }));
      await o.push(upd('2'));
      expect(await o.size()).toBe(3);
      const [first] = await o.peek(10);
      expect(first!.update).toEqual(upd('1', { status: 'completed', files: ['a'], error: null }));
      expect(first!.createdAt).toBe(1_000_000);
      expect(first!.tries).toBe(0);
    });

    it('keeps an erase until a newer update without it replaces it', async () => {
      const o = h.outbox;
      await o.push(upd('1', { status: 'pending', erased: 'erased on 2026-12-02' }));
      expect((await o.peek(10))[0]!.update.erased).toBe('erased on 2026-12-02');
      await o.release(await o.peek(10));
      await o.push(upd('1', { status: 'completed', files: [] }));
      const [e] = await o.peek(10);
      expect(e!.update.erased).toBeUndefined();
      expect(e!.update.files).toEqual([]);
    });

    it('ack removes only entries not replaced since peek; defer counts a try and hides entries a while', async () => {
      const o = h.outbox;
      await o.push(upd('1'));
      await o.push(upd('2'));
      const seen = await o.peek(10);
      expect(seen.map((e) => e.update.rowId)).toEqual(['1', '2']);
      await o.push(upd('1', { status: 'completed' })); // replaced while "in flight"
      await o.ack(seen);
      const again = await o.peek(10);
      expect(again.map((e) => [e.update.rowId, e.update.status])).toEqual([['1', 'completed']]);
      await o.defer(again, 5000);
      expect(await o.peek(10)).toEqual([]);
      expect((await o.peek(10, now + 5000))[0]!.tries).toBe(1);
      expect(await o.size()).toBe(1);
    });

    it('release gives entries back untouched, and peek honours its limit', async () => {
      const o = h.outbox;
      for (let i = 1; i <= 5; i++) await o.push(upd(String(i)));
      const two = await o.peek(2);
      expect(two.map((e) => e.update.rowId)).toEqual(['1', '2']);
      await o.release(two);
      const all = await o.peek(10);
      expect(all).toHaveLength(5);
      expect(all.every((e) => e.tries === 0)).toBe(true);
      await o.ack(all);
      expect(await o.size()).toBe(0);
    });

    it('what one handle stored, another handle on the same store sees (durable across a restart)', async () => {
      await h.outbox.push(upd('9', { status: 'completed' }));
      const o2 = h.again();
      expect(await o2.size()).toBe(1);
      expect((await o2.peek(10))[0]!.update.status).toBe('completed');
    });
  });
}

describe.skipIf(missing)('RedisStatusOutbox across workers', () => {
  it('a spreadsheet claimed by one worker is not handed to another until it acks, releases or its claim expires', async () => {
    const h = makers[1]!.open();
    // maxHoldMs = lockMs: renewals stop early, as if these workers had died soon after their peek
    const a = h.again({ lockMs: 400, maxHoldMs: 400 });
    const b = h.again({ lockMs: 400, maxHoldMs: 400 });
    await a.push(upd('1', { spreadsheetId: 'x' }));
    await b.push(upd('2', { spreadsheetId: 'y' }));
    const got = await a.peek(10);
    expect(got.map((e) => e.update.spreadsheetId).sort()).toEqual(['x', 'y']);
    expect(await b.peek(10)).toEqual([]); // both claimed by a
    await a.ack(got.filter((e) => e.update.spreadsheetId === 'x'));
    await b.push(upd('3', { spreadsheetId: 'x' }));
    expect((await b.peek(10)).map((e) => e.update.rowId)).toEqual(['3']); // x was released by the ack
    const d = h.again();
    expect(await d.peek(10)).toEqual([]); // y still a's, x now b's
    // a and b "die" holding y and x: after lockMs another worker gets both
    await new Promise((r) => setTimeout(r, 900)); // renewals stop at maxHoldMs, the claims lapse lockMs later
    expect((await d.peek(10)).map((e) => e.update.rowId).sort()).toEqual(['2', '3']);
  });

  it('a live worker renews its claims while it sends, up to maxHoldMs', async () => {
    const h = makers[1]!.open();
    const [a, b] = [h.again({ lockMs: 300 }), h.again({ lockMs: 300 })];
    await a.push(upd('1', { spreadsheetId: 'slow' }));
    const got = await a.peek(10);
    expect(got).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 800)); // > 2 × lockMs: renewed, still a's
    expect(await b.peek(10)).toEqual([]);
    await a.release(got);
    const slow = await b.peek(10);
    expect(slow).toHaveLength(1);
    await b.release(slow);

    const capped = h.again({ lockMs: 200, maxHoldMs: 300 });
    await b.push(upd('2', { spreadsheetId: 'hung' }));
    expect((await capped.peek(10)).map((e) => e.update.spreadsheetId).sort()).toEqual(['hung', 'slow']);
    await new Promise((r) => setTimeout(r, 700)); // renewed until 300 ms, then lapsed
    expect((await b.peek(10)).map((e) => e.update.spreadsheetId).sort()).toEqual(['hung', 'slow']);
  });

  it('pushes from several workers to one row coalesce into one entry, none lost', async () => {
    const h = makers[1]!.open();
    const workers = [h.again(), h.again(), h.again()];
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => workers[i % 3]!.push(upd(String(i % 4), { files: [`f${i}`], status: 'downloading' }))),
    );
    expect(await workers[0]!.size()).toBe(4);
    const entries = await workers[1]!.peek(10);
    expect(entries.map((e) => e.update.rowId).sort()).toEqual(['0', '1', '2', '3']);
    for (const e of entries) expect(e.update.files![0]).toMatch(/^f\d+$/);
  });
});
