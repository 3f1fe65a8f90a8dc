/**
 * The durable event log and the bus (docs/design.md §9): ids increase and are never reused,
 * pruning keeps an event while it is younger than 24 h OR among the newest 10,000, filters, a
 * reopened file keeps its events, and a subscriber that falls behind is dropped with its queue freed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../worker/src/events/bus.js';
import { SqliteEventLog } from '../../worker/src/events/log.js';
import { SqliteJobBackend } from '../../worker/src/jobs/sqlite.js';
import { ev } from '../support/events.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function queueFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'sa-events-'));
  dirs.push(d);
  return join(d, 'queue.db');
}

describe('event log', () => {
  it('prunes by age and by count: old events go only beyond the newest keepCount', () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const q = new SqliteJobBackend(queueFile());
    const log = new SqliteEventLog(q.db, { now: () => now, keepCount: 50, maxAgeMs: 24 * 3600_000, pruneEvery: 1_000_000 });
    for (let i = 0; i < 120; i++) log.append(ev(i));
    // all young: nothing goes, though there are more than keepCount
    expect(log.prune()).toBe(0);
    expect(log.count()).toBe(120);

    now += 25 * 3600_000; // the 120 are now older than 24 h
    for (let i = 0; i < 10; i++) log.append(ev(1000 + i));
    expect(log.prune()).toBe(80); // 130 - newest 50 (10 young + 40 old kept by count)
    const kept = log.since(0, {}, 1000);
    expect(kept).toHaveLength(50);
    expect(kept[0]!.id).toBe(81);
    expect(kept.at(-1)!.id).toBe(130);

    now += 25 * 3600_000;
    expect(log.prune()).toBe(0); // only 50 left: the newest 50 stay however old
    // ids keep increasing after a prune, never reused
    expect(log.append(ev(5)).id).toBe(131);
    q.close();
  });

  it('keeps 10,000 by default and prunes on its own every pruneEvery appends', () => {
    let now = 0;
    const q = new SqliteJobBackend(queueFile(), { synchronous: 'NORMAL' });
    const log = new SqliteEventLog(q.db, { now: () => now, pruneEvery: 500 });
    const insert = q.db.transaction(() => {
      for (let i = 0; i < 10_500; i++) log.append(ev(i));
    });
    insert();
    now = 2 * 24 * 3600_000;
    for (let i = 0; i < 1000; i++) log.append(ev(i)); // appends 11,000 and 11,500 prune
    expect(log.count()).toBe(10_000);
    expect(log.since(0, {}, 1)[0]!.id).toBe(11_500 - 10_000 + 1);
    q.close();
  });

  it('filters by jobId, rowId, spreadsheetId and survives reopening the file', () => {
    const file = queueFile();
    let q = new SqliteJobBackend(file);
    let log = new SqliteEventLog(q.db);
    for (let i = 0; i < 12; i++) log.append(ev(i, i === 11 ? { spreadsheetId: 'other' } : {}));
    q.close();
    q = new SqliteJobBackend(file);
    log = new SqliteEventLog(q.db);
    expect(log.lastId()).toBe(12);
    expect(log.since(0, { jobId: 'j_1' }).map((e) => e.data['percent'])).toEqual([1, 4, 7, 10]);
    expect(log.since(0, { rowId: 'r0' }).every((e) => e.rowId === 'r0')).toBe(true);
    expect(log.since(0, { spreadsheetId: 'other' }).map((e) => e.id)).toEqual([12]);
    expect(log.since(5, { rowId: 'r1', jobId: 'j_1' }).map((e) => e.data['percent'])).toEqual([7]);
    const e = log.since(0, {}, 1)[0]!;
    expect(e).toMatchObject({ id: 1, type: 'job.progress', source: 'youtube' });
    expect(new Date(e.at).toISOString()).toBe(e.at);
    q.close();
  });
});

describe('event bus', () => {
  it('delivers in order to matching subscribers and drops one that falls behind, freeing its queue', async () => {
    const q = new SqliteJobBackend(':memory:');
    const bus = new EventBus(new SqliteEventLog(q.db), { maxQueued: 5 });
    const fast = bus.subscribe({ rowId: 'r0' });
    const slow = bus.subscribe({});
    const got: number[] = [];
    const reader = (async () => {
      for (let b = await fast.next(); b; b = await fast.next()) got.push(...b.map((e) => e.id));
    })();
    for (let i = 0; i < 20; i++) {
      bus.publish(ev(i));
      await new Promise((r) => setImmediate(r)); // the fast reader keeps up
    }
    expect(slow.overflowed).toBe(true);
    expect(await slow.next()).toBeNull();
    expect(bus.subscriberCount).toBe(1);
    fast.close();
    await reader;
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i + 1));
    expect(bus.subscriberCount).toBe(0);
    q.close();
  });
});
